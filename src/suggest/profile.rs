//! What `suggest` reads data through: files or a frame in memory (checks
//! run by Polars), or a warehouse table (checks pushed down as SQL). Both
//! measure through the validation engines, so a suggestion is measured the
//! way it will be checked.

use polars::prelude::*;

use crate::report::Report;
use crate::schema::type_name::column_type;
use crate::sql::{Query, TableRef};
use crate::store::SOURCE_ROW;
use crate::validate::conformance::coercion;
use crate::validate::{Options, Rows, SchemaPolicy, TextFormats, validate, validate_in_warehouse};
use crate::warehouse::{CREATED_AT, UPDATED_AT, Warehouse};
use crate::{Contract, Field, LogicalType, Mode};

use super::SuggestError;

/// The data a suggestion is drawn from.
pub trait Profiler {
    /// Where the data is, for the suggestion's description.
    fn source(&self) -> String;

    /// The columns, typed as stored (text of files as what all its values
    /// parse as), NULLABLE or REPEATED.
    fn columns(&self) -> Result<Vec<Field>, SuggestError>;

    /// Runs the checks of `contract` over the data (its columns may be a
    /// subset of the data's).
    fn validate(&self, contract: &Contract) -> Result<Report, SuggestError>;

    /// Up to `limit` distinct non-NULL values of a text column, and
    /// whether they are all of them.
    fn distinct_text(
        &self,
        column: &str,
        limit: usize,
    ) -> Result<(Vec<String>, bool), SuggestError>;
}

/// A frame in memory, checked by Polars.
pub struct FrameProfiler {
    frame: DataFrame,
    source: String,
}

impl FrameProfiler {
    /// `frame`, its text columns typed by what every value parses as
    /// (`formats` say how times are written): BOOL, INT64 and FLOAT64
    /// (unless a value has a leading zero, as codes do: `02134`), DATE,
    /// TIMESTAMP, else STRING.
    pub fn new(
        frame: DataFrame,
        source: String,
        formats: &TextFormats,
    ) -> Result<Self, SuggestError> {
        let typed = type_text(frame, formats)?;
        Ok(FrameProfiler {
            frame: typed,
            source,
        })
    }
}

/// The types text may parse as, in the order they are tried.
const TEXT_TYPES: [LogicalType; 5] = [
    LogicalType::Bool,
    LogicalType::Int64,
    LogicalType::Float64,
    LogicalType::Date,
    LogicalType::Timestamp,
];

fn polars_error(error: PolarsError) -> SuggestError {
    SuggestError(error.to_string())
}

/// Casts each text column to the first type every one of its values
/// parses as, through the validation's own casts.
fn type_text(frame: DataFrame, formats: &TextFormats) -> Result<DataFrame, SuggestError> {
    let text: Vec<String> = frame
        .schema()
        .iter()
        .filter(|(_, dtype)| **dtype == DataType::String)
        .map(|(name, _)| name.to_string())
        .collect();
    if text.is_empty() {
        return Ok(frame);
    }
    // First, per column: its values, those with a leading zero, and those
    // that do not start like an ISO date (only such text is suggested as a
    // timestamp: `01/02/2013` may be day first or month first).
    let mut shapes = Vec::new();
    for name in &text {
        let values = col(name.as_str()).is_not_null().sum();
        let zeros = col(name.as_str())
            .str()
            .contains(lit("^-?0[0-9]"), false)
            .sum();
        let dateless = col(name.as_str())
            .str()
            .contains(lit(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"), false)
            .not()
            .sum();
        shapes.extend([
            values.alias(format!("{name}\u{0}values")),
            zeros.alias(format!("{name}\u{0}zeros")),
            dateless.alias(format!("{name}\u{0}dateless")),
        ]);
    }
    let shape_counts = frame
        .clone()
        .lazy()
        .select(shapes)
        .collect()
        .map_err(polars_error)?;
    let may_be_time = |name: &str| {
        formats.timestamp.is_some() || count(&shape_counts, format!("{name}\u{0}dateless")) == 0
    };
    // Then, per column and candidate type: how many values would be lost.
    let mut probes = Vec::new();
    let mut candidates = Vec::new();
    let lazy = frame.clone().lazy();
    for name in &text {
        for (index, logical) in TEXT_TYPES.iter().enumerate() {
            if *logical == LogicalType::Timestamp && !may_be_time(name) {
                continue;
            }
            let want = crate::schema::polars_type(logical);
            if let Some(cast) =
                coercion(&lazy, name, &DataType::String, &want, formats).map_err(polars_error)?
            {
                probes.push(cast.lost().sum().alias(format!("{name}\u{0}{index}")));
                candidates.push((name.clone(), index, cast.cast));
            }
        }
    }
    let lost = frame
        .clone()
        .lazy()
        .select(probes)
        .collect()
        .map_err(polars_error)?;
    let mut casts = Vec::new();
    for name in &text {
        if count(&shape_counts, format!("{name}\u{0}values")) == 0 {
            continue;
        }
        let leading_zeros = count(&shape_counts, format!("{name}\u{0}zeros")) > 0;
        let chosen = candidates.iter().find(|(column, index, _)| {
            column == name
                && count(&lost, format!("{name}\u{0}{index}")) == 0
                && !(leading_zeros
                    && matches!(
                        TEXT_TYPES[*index],
                        LogicalType::Int64 | LogicalType::Float64
                    ))
        });
        if let Some((_, _, cast)) = chosen {
            casts.push(cast.clone());
        }
    }
    frame
        .lazy()
        .with_columns(casts)
        .collect()
        .map_err(polars_error)
}

/// The one value of the column `alias` of a one-row frame of counts.
fn count(counts: &DataFrame, alias: String) -> u64 {
    counts
        .column(&alias)
        .ok()
        .and_then(|column| column.get(0).ok())
        .and_then(|value| value.extract::<u64>())
        .unwrap_or(u64::MAX)
}

impl Profiler for FrameProfiler {
    fn source(&self) -> String {
        self.source.clone()
    }

    fn columns(&self) -> Result<Vec<Field>, SuggestError> {
        self.frame
            .schema()
            .iter()
            .map(|(name, dtype)| field_of(name.as_str(), dtype))
            .collect()
    }

    fn validate(&self, contract: &Contract) -> Result<Report, SuggestError> {
        let options = Options {
            schema_policy: SchemaPolicy::AllowExtraColumns,
            max_examples: 0,
            ..Options::default()
        };
        validate(self.frame.clone(), contract, &options)
            .map_err(|error| SuggestError(error.to_string()))
    }

    fn distinct_text(
        &self,
        column: &str,
        limit: usize,
    ) -> Result<(Vec<String>, bool), SuggestError> {
        let unique = self
            .frame
            .clone()
            .lazy()
            .select([col(column)
                .drop_nulls()
                .unique_stable()
                .head(Some(limit.saturating_add(1)))])
            .collect()
            .map_err(polars_error)?;
        let values: Vec<String> = unique
            .column(column)
            .and_then(|c| {
                c.str()
                    .map(|s| s.iter().flatten().map(str::to_string).collect())
            })
            .map_err(polars_error)?;
        Ok(truncated(values, limit))
    }
}

/// The first `limit` values, and whether there were no more.
fn truncated(mut values: Vec<String>, limit: usize) -> (Vec<String>, bool) {
    let complete = values.len() <= limit;
    values.truncate(limit);
    (values, complete)
}

/// The column a Polars dtype is stored as.
fn field_of(name: &str, dtype: &DataType) -> Result<Field, SuggestError> {
    let (logical, mode) = match dtype {
        DataType::List(inner) => (logical_of(name, inner)?, Mode::Repeated),
        other => (logical_of(name, other)?, Mode::Nullable),
    };
    Ok(Field::new(name, logical, mode))
}

fn logical_of(name: &str, dtype: &DataType) -> Result<LogicalType, SuggestError> {
    Ok(match dtype {
        DataType::Boolean => LogicalType::Bool,
        DataType::UInt64 => LogicalType::Numeric {
            precision: Some(20),
            scale: Some(0),
        },
        d if d.is_integer() => LogicalType::Int64,
        d if d.is_float() => LogicalType::Float64,
        DataType::String | DataType::Null => LogicalType::String,
        DataType::Binary => LogicalType::Bytes,
        DataType::Date => LogicalType::Date,
        DataType::Time => LogicalType::Time,
        DataType::Datetime(_, Some(_)) => LogicalType::Timestamp,
        DataType::Datetime(_, None) => LogicalType::DateTime,
        DataType::Decimal(precision, scale) => {
            let precision = u8::try_from(*precision).ok();
            let scale = u8::try_from(*scale).ok();
            if precision.is_some_and(|p| p > 38) {
                LogicalType::BigNumeric { precision, scale }
            } else {
                LogicalType::Numeric { precision, scale }
            }
        }
        DataType::Struct(fields) => LogicalType::Record {
            fields: fields
                .iter()
                .map(|field| field_of(field.name(), field.dtype()))
                .collect::<Result<_, _>>()?,
        },
        other => {
            return Err(SuggestError(format!(
                "column `{name}`: no column type holds Polars' {other}"
            )));
        }
    })
}

/// A warehouse table, its checks pushed down.
pub struct WarehouseProfiler<'a> {
    warehouse: &'a dyn Warehouse,
    table: TableRef,
}

impl<'a> WarehouseProfiler<'a> {
    /// The table `table` of `warehouse`.
    pub fn new(warehouse: &'a dyn Warehouse, table: TableRef) -> Self {
        WarehouseProfiler { warehouse, table }
    }
}

fn warehouse_error(error: impl std::fmt::Display) -> SuggestError {
    SuggestError(error.to_string())
}

impl Profiler for WarehouseProfiler<'_> {
    fn source(&self) -> String {
        format!("the table {}", self.table.quoted(self.warehouse.dialect()))
    }

    fn columns(&self) -> Result<Vec<Field>, SuggestError> {
        let live = self
            .warehouse
            .live_columns(&self.table)
            .map_err(warehouse_error)?
            .ok_or_else(|| SuggestError(format!("there is no table {}", self.source())))?;
        // The columns the pipeline adds to its tables are not the data's.
        live.iter()
            .filter(|column| ![CREATED_AT, UPDATED_AT, SOURCE_ROW].contains(&column.name.as_str()))
            .map(|column| {
                let logical = column_type(&column.field_type)
                    .map(|(logical, _)| logical)
                    .ok_or_else(|| {
                        SuggestError(format!(
                            "column `{}`: a {} column is not suggested from a warehouse yet",
                            column.name, column.field_type
                        ))
                    })?;
                let mode = if column.mode == "REPEATED" {
                    Mode::Repeated
                } else {
                    Mode::Nullable
                };
                Ok(Field::new(column.name.clone(), logical, mode))
            })
            .collect()
    }

    fn validate(&self, contract: &Contract) -> Result<Report, SuggestError> {
        let options = Options {
            max_examples: 0,
            ..Options::default()
        };
        validate_in_warehouse(self.warehouse, &self.table, Rows::All, contract, &options)
            .map_err(warehouse_error)
    }

    fn distinct_text(
        &self,
        column: &str,
        limit: usize,
    ) -> Result<(Vec<String>, bool), SuggestError> {
        let dialect = self.warehouse.dialect();
        let quoted = dialect.quote(column);
        let mut query = Query::new(dialect);
        query.sql = format!(
            "SELECT DISTINCT {quoted} AS value FROM {} WHERE {quoted} IS NOT NULL ORDER BY value LIMIT {}",
            self.table.quoted(dialect),
            limit.saturating_add(1)
        );
        let frame = self.warehouse.query(&query).map_err(warehouse_error)?;
        let values: Vec<String> = frame
            .column("value")
            .and_then(|c| {
                c.str()
                    .map(|s| s.iter().flatten().map(str::to_string).collect())
            })
            .map_err(polars_error)?;
        Ok(truncated(values, limit))
    }
}
