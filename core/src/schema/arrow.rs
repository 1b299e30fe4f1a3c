//! The Arrow schema (arrow-rs) of the data a table really carries.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::{DataType, Field as ArrowField, Fields, Schema, TimeUnit};

use crate::{Contract, Field, LogicalType, Mode};

/// The canonical Arrow extension name for JSON text.
const JSON_EXTENSION: &str = "arrow.json";

impl Contract {
    /// The Arrow schema of this table: what BigQuery's Storage Read API and
    /// Parquet files written from the contract carry. TIMESTAMP is
    /// `Timestamp(µs, "UTC")`, DATETIME `Timestamp(µs)`, NUMERIC
    /// `Decimal128(38, 9)`, BIGNUMERIC `Decimal256(76, 38)`, JSON a `Utf8`
    /// with the `arrow.json` extension, REPEATED a non-null `List`.
    pub fn arrow_schema(&self) -> Schema {
        Schema::new(self.fields.iter().map(arrow_field).collect::<Vec<_>>())
    }
}

fn arrow_field(field: &Field) -> ArrowField {
    let value = ArrowField::new(
        field.name.as_str(),
        arrow_type(&field.logical_type),
        field.mode == Mode::Nullable,
    );
    let value = if field.logical_type == LogicalType::Json {
        value.with_metadata(HashMap::from([(
            "ARROW:extension:name".to_string(),
            JSON_EXTENSION.to_string(),
        )]))
    } else {
        value
    };
    match field.mode {
        Mode::Repeated => ArrowField::new(
            field.name.as_str(),
            DataType::List(Arc::new(value.with_name("item"))),
            false,
        ),
        Mode::Required | Mode::Nullable => value,
    }
}

fn arrow_type(logical_type: &LogicalType) -> DataType {
    match logical_type {
        LogicalType::Bool => DataType::Boolean,
        LogicalType::Int64 => DataType::Int64,
        LogicalType::Float64 => DataType::Float64,
        LogicalType::Numeric { .. } | LogicalType::BigNumeric { .. } => {
            let (precision, scale) = logical_type
                .decimal_precision_scale()
                .expect("decimal types have a precision and scale");
            if matches!(logical_type, LogicalType::Numeric { .. }) {
                DataType::Decimal128(precision, scale as i8)
            } else {
                DataType::Decimal256(precision, scale as i8)
            }
        }
        LogicalType::String | LogicalType::Json => DataType::Utf8,
        LogicalType::Bytes => DataType::Binary,
        LogicalType::Date => DataType::Date32,
        LogicalType::Time => DataType::Time64(TimeUnit::Microsecond),
        LogicalType::DateTime => DataType::Timestamp(TimeUnit::Microsecond, None),
        LogicalType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        LogicalType::Record { fields } => DataType::Struct(Fields::from(
            fields.iter().map(arrow_field).collect::<Vec<_>>(),
        )),
    }
}
