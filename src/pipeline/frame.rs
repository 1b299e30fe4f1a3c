//! Typed records into a frame with the contract's Polars schema.

use polars::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::{Contract, LogicalType};

/// Why records cannot become a frame.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// A record did not serialize to a JSON object.
    #[error("record {row}: {message}")]
    Record {
        /// The 0-based record index.
        row: usize,
        /// What went wrong.
        message: String,
    },
    /// A value does not fit its column's type.
    #[error("record {row}, column `{column}`: {message}")]
    Value {
        /// The 0-based record index.
        row: usize,
        /// The column.
        column: String,
        /// What went wrong.
        message: String,
    },
    /// Polars refused the column.
    #[error("column `{column}`: {source}")]
    Polars {
        /// The column.
        column: String,
        /// The error.
        source: PolarsError,
    },
}

/// The records as a frame with exactly the contract's columns, in order,
/// in the dtypes of [`Contract::polars_schema`]. Records serialize with
/// serde as the contract's struct does: field names as columns, decimals
/// as strings or numbers, times in RFC 3339.
///
/// Scalar columns only: a RECORD or REPEATED column is an error.
pub fn records_to_frame<T: Serialize>(
    records: &[T],
    contract: &Contract,
) -> Result<DataFrame, FrameError> {
    let rows = records
        .iter()
        .enumerate()
        .map(|(row, record)| match serde_json::to_value(record) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(other) => Err(FrameError::Record {
                row,
                message: format!("serialized to {other}, not an object"),
            }),
            Err(error) => Err(FrameError::Record {
                row,
                message: error.to_string(),
            }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let schema = contract.polars_schema();
    let mut columns = Vec::with_capacity(contract.fields.len());
    for field in &contract.fields {
        let dtype = schema
            .get(&field.name)
            .expect("the Polars schema has every field")
            .clone();
        let values: Vec<&Value> = rows
            .iter()
            .map(|row| row.get(&field.name).unwrap_or(&Value::Null))
            .collect();
        let column = column(
            &field.name,
            &field.logical_type,
            field.mode,
            &dtype,
            &values,
        )?;
        let column = column
            .strict_cast(&dtype)
            .map_err(|source| FrameError::Polars {
                column: field.name.clone(),
                source,
            })?;
        columns.push(column);
    }
    DataFrame::new(records.len(), columns).map_err(|source| FrameError::Polars {
        column: String::new(),
        source,
    })
}

/// One column from its JSON values, before the final cast.
fn column(
    name: &str,
    logical_type: &LogicalType,
    mode: crate::Mode,
    dtype: &DataType,
    values: &[&Value],
) -> Result<Column, FrameError> {
    let wrong = |row: usize, expected: &str| FrameError::Value {
        row,
        column: name.into(),
        message: format!("{} is not {expected}", values[row]),
    };
    if mode == crate::Mode::Repeated || matches!(logical_type, LogicalType::Record { .. }) {
        return Err(FrameError::Value {
            row: 0,
            column: name.into(),
            message: "RECORD and REPEATED columns cannot be built from records yet".into(),
        });
    }
    let name = PlSmallStr::from(name);
    Ok(match logical_type {
        LogicalType::Bool => {
            let cells = each(values, |v| v.as_bool(), |row| wrong(row, "true or false"))?;
            Column::new(name, cells)
        }
        LogicalType::Int64 => {
            let cells = each(values, |v| v.as_i64(), |row| wrong(row, "a 64-bit integer"))?;
            Column::new(name, cells)
        }
        LogicalType::Float64 => {
            let cells = each(values, |v| v.as_f64(), |row| wrong(row, "a number"))?;
            Column::new(name, cells)
        }
        LogicalType::Timestamp | LogicalType::DateTime => {
            let cells = each(
                values,
                |v| {
                    v.as_str()
                        .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
                        .map(|at| at.timestamp_micros())
                },
                |row| wrong(row, "an RFC 3339 time"),
            )?;
            let zone = match dtype {
                DataType::Datetime(_, zone) => zone.clone(),
                _ => None,
            };
            Int64Chunked::from_iter_options(name, cells.into_iter())
                .into_datetime(TimeUnit::Microseconds, zone)
                .into_column()
        }
        _ => {
            // Decimals, dates, times, text: through their text form, which
            // the final cast parses exactly.
            let cells = each(
                values,
                |v| match v {
                    Value::String(text) => Some(text.clone()),
                    Value::Number(number) => Some(number.to_string()),
                    Value::Bool(flag) => Some(flag.to_string()),
                    _ => None,
                },
                |row| wrong(row, "a scalar"),
            )?;
            Column::new(name, cells)
        }
    })
}

/// Every value through `read`; NULL stays NULL, anything `read` refuses is
/// an error at its row.
fn each<T>(
    values: &[&Value],
    read: impl Fn(&Value) -> Option<T>,
    wrong: impl Fn(usize) -> FrameError,
) -> Result<Vec<Option<T>>, FrameError> {
    values
        .iter()
        .enumerate()
        .map(|(row, value)| match value {
            Value::Null => Ok(None),
            value => read(value).map(Some).ok_or_else(|| wrong(row)),
        })
        .collect()
}
