//! The Polars schema of the data a table really carries.

use polars::prelude::{DataType, Field as PolarsField, Schema, TimeUnit, TimeZone};

use crate::{Contract, Field, LogicalType, Mode};

impl Contract {
    /// The Polars schema of this table, with the dtypes a frame read from
    /// the warehouse or from Parquet written by this project holds:
    /// TIMESTAMP is `Datetime(µs, UTC)`, DATETIME `Datetime(µs)`, NUMERIC
    /// `Decimal(38, 9)`, JSON `String`, BIGNUMERIC (wider than
    /// Polars' 38-digit decimals) its decimal text as `String`, REPEATED a `List`, RECORD a `Struct`.
    ///
    /// Polars dtypes carry no nullability; the contract's modes are checked
    /// on the data instead.
    pub fn polars_schema(&self) -> Schema {
        self.fields.iter().map(polars_field).collect()
    }
}

/// The schema as text, one `name: dtype` line per column, for people and
/// for snapshots. Structs are spelled out (`struct{a: i64, b: str}`), where
/// Polars' own display shows only their width.
pub fn render_polars_schema(schema: &Schema) -> String {
    schema
        .iter()
        .map(|(name, dtype)| format!("{name}: {}\n", render_dtype(dtype)))
        .collect()
}

fn render_dtype(dtype: &DataType) -> String {
    match dtype {
        DataType::Struct(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|field| format!("{}: {}", field.name(), render_dtype(field.dtype())))
                .collect();
            format!("struct{{{}}}", fields.join(", "))
        }
        DataType::List(inner) => format!("list[{}]", render_dtype(inner)),
        other => other.to_string(),
    }
}

fn polars_field(field: &Field) -> PolarsField {
    let value = polars_type(&field.logical_type);
    let dtype = match field.mode {
        Mode::Repeated => DataType::List(Box::new(value)),
        Mode::Required | Mode::Nullable => value,
    };
    PolarsField::new(field.name.as_str().into(), dtype)
}

/// The Polars dtype of one value of a logical type (the element of a
/// REPEATED column).
pub fn polars_type(logical_type: &LogicalType) -> DataType {
    match logical_type {
        LogicalType::Bool => DataType::Boolean,
        LogicalType::Int64 => DataType::Int64,
        LogicalType::Float64 => DataType::Float64,
        LogicalType::Numeric { .. } => {
            let (precision, scale) = logical_type
                .decimal_precision_scale()
                .expect("decimal types have a precision and scale");
            DataType::Decimal(precision as usize, scale as usize)
        }
        LogicalType::String | LogicalType::Json | LogicalType::BigNumeric { .. } => {
            DataType::String
        }
        LogicalType::Bytes => DataType::Binary,
        LogicalType::Date => DataType::Date,
        LogicalType::Time => DataType::Time,
        LogicalType::DateTime => DataType::Datetime(TimeUnit::Microseconds, None),
        LogicalType::Timestamp => DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)),
        LogicalType::Record { fields } => {
            DataType::Struct(fields.iter().map(polars_field).collect())
        }
    }
}
