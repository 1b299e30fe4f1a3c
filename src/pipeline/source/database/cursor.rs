//! An incremental read's cursor: a column that only grows, and its
//! high-water mark, kept in the store between runs.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::pipeline::source::{Checkpoint, ExtractError};
use crate::store::{ObjectStore, StoreError};
use crate::{Contract, LogicalType, Mode};

/// The store folder of every high-water mark.
pub const CURSORS_FOLDER: &str = "cursors";

/// One value of a cursor column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CursorValue {
    /// An INT64 cursor (an id, a version).
    Int(i64),
    /// A TIMESTAMP cursor, in microseconds since 1970-01-01 UTC.
    Timestamp(i64),
    /// A DATETIME cursor (no time zone), in microseconds since 1970-01-01.
    DateTime(i64),
    /// A DATE cursor, in days since 1970-01-01.
    Date(i32),
}

impl CursorValue {
    /// The value as the mark's file holds it: a number, or ISO 8601 text.
    pub fn to_json(&self) -> serde_json::Value {
        match *self {
            CursorValue::Int(value) => value.into(),
            CursorValue::Timestamp(micros) => DateTime::from_timestamp_micros(micros)
                .map(|at| at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
                .into(),
            CursorValue::DateTime(micros) => DateTime::from_timestamp_micros(micros)
                .map(|at| at.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string())
                .into(),
            CursorValue::Date(days) => date_of(days).map(|day| day.to_string()).into(),
        }
    }

    /// The value of a `logical_type` cursor from the mark's file.
    fn from_json(value: &serde_json::Value, logical_type: &LogicalType) -> Option<Self> {
        match logical_type {
            LogicalType::Int64 => value.as_i64().map(CursorValue::Int),
            LogicalType::Timestamp => DateTime::parse_from_rfc3339(value.as_str()?)
                .ok()
                .map(|at| CursorValue::Timestamp(at.timestamp_micros())),
            LogicalType::DateTime => {
                NaiveDateTime::parse_from_str(value.as_str()?, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .map(|at| CursorValue::DateTime(at.and_utc().timestamp_micros()))
            }
            LogicalType::Date => value
                .as_str()?
                .parse::<NaiveDate>()
                .ok()
                .map(|day| CursorValue::Date((day - epoch_day()).num_days() as i32)),
            _ => None,
        }
    }

    /// The value as SQL literals spell it: `42`, `2024-03-01 12:00:00.000000`
    /// (a TIMESTAMP's in UTC), `2024-03-01`. Engines wrap it in their typed
    /// literal. A value beyond the calendar cannot come from a column; its
    /// text is empty, which no engine accepts as a literal.
    pub fn sql_text(&self) -> String {
        match *self {
            CursorValue::Int(value) => value.to_string(),
            CursorValue::Timestamp(micros) | CursorValue::DateTime(micros) => Self::naive(micros)
                .map(|at| at.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
                .unwrap_or_default(),
            CursorValue::Date(days) => date_of(days).map(|day| day.to_string()).unwrap_or_default(),
        }
    }

    /// The civil date and time of a DATETIME or TIMESTAMP value.
    pub fn naive(micros: i64) -> Option<NaiveDateTime> {
        DateTime::from_timestamp_micros(micros).map(|at| at.naive_utc())
    }

    /// The day of a DATE value.
    pub fn day(days: i32) -> Option<NaiveDate> {
        date_of(days)
    }
}

fn epoch_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date")
}

fn date_of(days: i32) -> Option<NaiveDate> {
    epoch_day().checked_add_signed(chrono::Duration::days(days.into()))
}

/// The mark's file.
#[derive(Debug, Serialize, Deserialize)]
struct MarkFile {
    engine: String,
    origin: String,
    cursor: String,
    #[serde(rename = "type")]
    logical_type: String,
    value: serde_json::Value,
}

/// A read's cursor column and where its mark is kept.
#[derive(Debug, Clone)]
pub struct Cursor {
    engine: String,
    origin: String,
    column: String,
    logical_type: LogicalType,
    key: String,
}

impl Cursor {
    /// The cursor `column` of `contract`, read by `engine` from `origin`.
    /// It must be a REQUIRED INT64, TIMESTAMP, DATETIME or DATE column (a
    /// NULL cursor would never be read again), and the contract must have
    /// a dedup key (rows at the mark are read twice).
    pub fn new(
        engine: &str,
        origin: &str,
        column: &str,
        contract: &Contract,
    ) -> Result<Self, ExtractError> {
        let field = contract.field(column).ok_or_else(|| {
            ExtractError::usage(format!(
                "database_cursor `{column}` is not a column of the contract `{}`",
                contract.name
            ))
        })?;
        if !matches!(
            field.logical_type,
            LogicalType::Int64 | LogicalType::Timestamp | LogicalType::DateTime | LogicalType::Date
        ) || field.mode != Mode::Required
        {
            return Err(ExtractError::usage(format!(
                "database_cursor `{column}` is {} {}; a cursor is a REQUIRED INT64, TIMESTAMP, DATETIME or DATE column",
                format!("{:?}", field.mode).to_uppercase(),
                field.logical_type.sql_name()
            )));
        }
        if contract.dedup_key.is_none() {
            return Err(ExtractError::usage(format!(
                "database_cursor needs a dedup key on the contract `{}`: rows at the high-water mark are read again, and the key merges them",
                contract.name
            )));
        }
        let digest = Sha256::digest(format!("{engine}\n{origin}\n{column}"));
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Ok(Cursor {
            engine: engine.into(),
            origin: origin.into(),
            column: column.into(),
            logical_type: field.logical_type.clone(),
            key: format!("{CURSORS_FOLDER}/{engine}/{hex}.json"),
        })
    }

    /// The high-water mark the last promoted run left, if any.
    pub fn mark(&self, store: &dyn ObjectStore) -> Result<Option<CursorValue>, ExtractError> {
        let bytes = match store.get(&self.key) {
            Ok(bytes) => bytes,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(error) => {
                return Err(ExtractError::service(format!(
                    "cannot read the high-water mark {}: {error}",
                    self.key
                )));
            }
        };
        let damaged = |why: String| {
            ExtractError::service(format!(
                "the high-water mark {} cannot be used: {why}; delete it to read everything again",
                self.key
            ))
        };
        let file: MarkFile =
            serde_json::from_slice(&bytes).map_err(|error| damaged(error.to_string()))?;
        if file.engine != self.engine || file.origin != self.origin || file.cursor != self.column {
            return Err(damaged(format!(
                "it belongs to {} {} by `{}`",
                file.engine, file.origin, file.cursor
            )));
        }
        if file.logical_type != self.logical_type.sql_name() {
            return Err(damaged(format!(
                "it is a {} mark, the column is now {}",
                file.logical_type,
                self.logical_type.sql_name()
            )));
        }
        CursorValue::from_json(&file.value, &self.logical_type)
            .map(Some)
            .ok_or_else(|| {
                damaged(format!(
                    "{} is not a {} value",
                    file.value, file.logical_type
                ))
            })
    }

    /// The mark after reading `frame`: its largest cursor value, to be
    /// written once the rows are in production; `None` when nothing was read.
    pub fn advance(
        &self,
        frame: &DataFrame,
        previous: Option<&CursorValue>,
    ) -> Result<Option<Checkpoint>, ExtractError> {
        let Some(largest) = self.largest(frame)? else {
            return Ok(None);
        };
        let value = previous.map_or(largest, |previous| largest.max(*previous));
        let file = MarkFile {
            engine: self.engine.clone(),
            origin: self.origin.clone(),
            cursor: self.column.clone(),
            logical_type: self.logical_type.sql_name().into(),
            value: value.to_json(),
        };
        Ok(Some(Checkpoint {
            key: self.key.clone(),
            contents: serde_json::to_vec_pretty(&file).expect("plain data"),
            description: format!("{} up to {}", self.column, value.to_json()),
        }))
    }

    fn largest(&self, frame: &DataFrame) -> Result<Option<CursorValue>, ExtractError> {
        let column = frame
            .column(&self.column)
            .map_err(|error| ExtractError::service(error.to_string()))?;
        let wrong = |error: PolarsError| ExtractError::service(error.to_string());
        Ok(match self.logical_type {
            LogicalType::Int64 => column.i64().map_err(wrong)?.max().map(CursorValue::Int),
            LogicalType::Timestamp => column
                .datetime()
                .map_err(wrong)?
                .physical()
                .max()
                .map(CursorValue::Timestamp),
            LogicalType::DateTime => column
                .datetime()
                .map_err(wrong)?
                .physical()
                .max()
                .map(CursorValue::DateTime),
            LogicalType::Date => column
                .date()
                .map_err(wrong)?
                .physical()
                .max()
                .map(CursorValue::Date),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_survive_the_marks_file() {
        for (value, logical_type) in [
            (CursorValue::Int(-42), LogicalType::Int64),
            (
                CursorValue::Timestamp(1_700_000_000_123_456),
                LogicalType::Timestamp,
            ),
            (
                CursorValue::DateTime(-86_400_000_001),
                LogicalType::DateTime,
            ),
            (CursorValue::Date(19_000), LogicalType::Date),
        ] {
            let json = value.to_json();
            assert_eq!(
                CursorValue::from_json(&json, &logical_type),
                Some(value),
                "{json}"
            );
        }
    }
}
