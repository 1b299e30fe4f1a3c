//! MySQL's and MariaDB's result columns and their binary-protocol values,
//! decoded into the contract's types, exactly or with an error.

use chrono::NaiveDate;
use mysql_async::Value;
use mysql_async::consts::{ColumnFlags, ColumnType};

use crate::pipeline::source::database::Cell;
use crate::pipeline::source::database::values::{self, decimal, integer, text};
use crate::{LogicalType, Mode};

/// The character set of binary strings (BINARY, VARBINARY, BLOB).
const BINARY_CHARSET: u16 = 63;

/// How a result column's values arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// An integer column; `tiny` for TINYINT, which also holds booleans.
    Int {
        unsigned: bool,
        tiny: bool,
    },
    /// YEAR.
    Year,
    /// FLOAT and DOUBLE.
    Float,
    /// DECIMAL, as exact text.
    Decimal,
    /// CHAR, VARCHAR, TEXT, ENUM and SET in a text character set (and
    /// MariaDB's JSON, which is LONGTEXT).
    Text,
    /// MySQL's JSON.
    Json,
    /// BINARY, VARBINARY and BLOB.
    Bytes,
    /// BIT(n), big-endian bytes.
    Bit {
        bits: u32,
    },
    Date,
    Time,
    DateTime,
    /// TIMESTAMP, read in the session's time zone, which the reader sets
    /// to UTC.
    Timestamp,
}

impl Wire {
    /// The wire of a result column, if this reader knows its type.
    pub fn of(column: &mysql_async::Column) -> Option<Wire> {
        use ColumnType::*;
        let unsigned = column.flags().contains(ColumnFlags::UNSIGNED_FLAG);
        let binary = column.character_set() == BINARY_CHARSET;
        Some(match column.column_type() {
            MYSQL_TYPE_TINY => Wire::Int {
                unsigned,
                tiny: true,
            },
            MYSQL_TYPE_SHORT | MYSQL_TYPE_INT24 | MYSQL_TYPE_LONG | MYSQL_TYPE_LONGLONG => {
                Wire::Int {
                    unsigned,
                    tiny: false,
                }
            }
            MYSQL_TYPE_YEAR => Wire::Year,
            MYSQL_TYPE_FLOAT | MYSQL_TYPE_DOUBLE => Wire::Float,
            MYSQL_TYPE_DECIMAL | MYSQL_TYPE_NEWDECIMAL => Wire::Decimal,
            MYSQL_TYPE_VARCHAR
            | MYSQL_TYPE_VAR_STRING
            | MYSQL_TYPE_STRING
            | MYSQL_TYPE_ENUM
            | MYSQL_TYPE_SET
            | MYSQL_TYPE_TINY_BLOB
            | MYSQL_TYPE_MEDIUM_BLOB
            | MYSQL_TYPE_LONG_BLOB
            | MYSQL_TYPE_BLOB => {
                if binary {
                    Wire::Bytes
                } else {
                    Wire::Text
                }
            }
            MYSQL_TYPE_JSON => Wire::Json,
            MYSQL_TYPE_BIT => Wire::Bit {
                bits: column.column_length(),
            },
            MYSQL_TYPE_DATE | MYSQL_TYPE_NEWDATE => Wire::Date,
            MYSQL_TYPE_TIME | MYSQL_TYPE_TIME2 => Wire::Time,
            MYSQL_TYPE_DATETIME | MYSQL_TYPE_DATETIME2 => Wire::DateTime,
            MYSQL_TYPE_TIMESTAMP | MYSQL_TYPE_TIMESTAMP2 => Wire::Timestamp,
            _ => return None,
        })
    }

    /// The column's type as SQL names it, for messages.
    pub fn type_name(column: &mysql_async::Column) -> String {
        use ColumnType::*;
        let name = match column.column_type() {
            MYSQL_TYPE_TINY => "TINYINT",
            MYSQL_TYPE_SHORT => "SMALLINT",
            MYSQL_TYPE_INT24 => "MEDIUMINT",
            MYSQL_TYPE_LONG => "INT",
            MYSQL_TYPE_LONGLONG => "BIGINT",
            MYSQL_TYPE_YEAR => "YEAR",
            MYSQL_TYPE_FLOAT => "FLOAT",
            MYSQL_TYPE_DOUBLE => "DOUBLE",
            MYSQL_TYPE_DECIMAL | MYSQL_TYPE_NEWDECIMAL => "DECIMAL",
            MYSQL_TYPE_JSON => "JSON",
            MYSQL_TYPE_BIT => "BIT",
            MYSQL_TYPE_DATE | MYSQL_TYPE_NEWDATE => "DATE",
            MYSQL_TYPE_TIME | MYSQL_TYPE_TIME2 => "TIME",
            MYSQL_TYPE_DATETIME | MYSQL_TYPE_DATETIME2 => "DATETIME",
            MYSQL_TYPE_TIMESTAMP | MYSQL_TYPE_TIMESTAMP2 => "TIMESTAMP",
            MYSQL_TYPE_GEOMETRY => "GEOMETRY",
            MYSQL_TYPE_VECTOR => "VECTOR",
            _ if column.character_set() == BINARY_CHARSET => "a binary string",
            _ => "a string",
        };
        if column.flags().contains(ColumnFlags::UNSIGNED_FLAG) {
            format!("{name} UNSIGNED")
        } else {
            name.to_string()
        }
    }

    /// Whether this wire's values fit a column of `logical_type` in
    /// `mode` (a DECIMAL's digits, a TINYINT's 0 or 1 and an unsigned
    /// value's size are checked value by value). MySQL has no arrays: no
    /// wire fits a REPEATED column.
    pub fn fits(&self, logical_type: &LogicalType, mode: Mode) -> bool {
        use LogicalType as L;
        if mode == Mode::Repeated {
            return false;
        }
        match self {
            Wire::Int { tiny, .. } => {
                matches!(
                    logical_type,
                    L::Int64 | L::Numeric { .. } | L::BigNumeric { .. }
                ) || (*tiny && *logical_type == L::Bool)
            }
            Wire::Year => *logical_type == L::Int64,
            Wire::Float => *logical_type == L::Float64,
            Wire::Decimal => matches!(logical_type, L::Numeric { .. } | L::BigNumeric { .. }),
            Wire::Text | Wire::Json => matches!(logical_type, L::String | L::Json),
            Wire::Bytes => *logical_type == L::Bytes,
            Wire::Bit { bits } => match logical_type {
                L::Bool => *bits == 1,
                L::Int64 => *bits <= 63,
                L::Bytes => true,
                _ => false,
            },
            Wire::Date => *logical_type == L::Date,
            Wire::Time => *logical_type == L::Time,
            Wire::DateTime => *logical_type == L::DateTime,
            Wire::Timestamp => *logical_type == L::Timestamp,
        }
    }

    /// One non-NULL value of this wire as a `logical_type` cell.
    pub fn decode(&self, value: &Value, logical_type: &LogicalType) -> Result<Cell, String> {
        let unexpected = || format!("arrived as {value:?}, not as a {self:?} value");
        match (self, value) {
            (Wire::Int { .. } | Wire::Year, Value::Int(number)) => {
                whole_number(i128::from(*number), logical_type)
            }
            (Wire::Int { .. } | Wire::Year, Value::UInt(number)) => {
                whole_number(i128::from(*number), logical_type)
            }
            (Wire::Float, Value::Float(number)) => Ok(Cell::Float(f64::from(*number))),
            (Wire::Float, Value::Double(number)) => Ok(Cell::Float(*number)),
            (Wire::Decimal, Value::Bytes(digits)) => decimal(&text(digits)?, logical_type),
            (Wire::Text | Wire::Json, Value::Bytes(bytes)) => {
                let text = text(bytes)?;
                if *logical_type == LogicalType::Json {
                    serde_json::from_str::<serde::de::IgnoredAny>(&text)
                        .map_err(|error| format!("is not JSON: {error}"))?;
                }
                Ok(Cell::Text(text))
            }
            (Wire::Bytes, Value::Bytes(bytes)) => Ok(Cell::Bytes(bytes.clone())),
            (Wire::Bit { .. }, Value::Bytes(bytes)) => match logical_type {
                LogicalType::Bytes => Ok(Cell::Bytes(bytes.clone())),
                _ => {
                    let number = bytes
                        .iter()
                        .fold(0i128, |number, byte| (number << 8) | i128::from(*byte));
                    whole_number(number, logical_type)
                }
            },
            (Wire::Date, Value::Date(year, month, day, ..)) => {
                let date = civil_date(*year, *month, *day)?;
                values::day(days_since_epoch(date), "the date")
            }
            (
                Wire::DateTime | Wire::Timestamp,
                &Value::Date(year, month, day, hour, minute, second, micros),
            ) => {
                let at = civil_date(year, month, day)?
                    .and_hms_micro_opt(hour.into(), minute.into(), second.into(), micros)
                    .ok_or_else(|| {
                        format!("{hour:02}:{minute:02}:{second:02} is not a time of day")
                    })?;
                values::micros(at.and_utc().timestamp_micros(), "the time")
            }
            (Wire::Time, &Value::Time(negative, days, hours, minutes, seconds, micros)) => {
                let whole_seconds = i64::from(days) * 86_400
                    + i64::from(hours) * 3_600
                    + i64::from(minutes) * 60
                    + i64::from(seconds);
                let total = whole_seconds * 1_000_000 + i64::from(micros);
                values::time_of_day(if negative { -total } else { total })
            }
            _ => Err(unexpected()),
        }
    }
}

/// A whole number (from any integer or BIT column) as the contract's
/// BOOL, INT64, NUMERIC or BIGNUMERIC.
fn whole_number(number: i128, logical_type: &LogicalType) -> Result<Cell, String> {
    match logical_type {
        LogicalType::Bool => match number {
            0 => Ok(Cell::Bool(false)),
            1 => Ok(Cell::Bool(true)),
            other => Err(format!("is {other}; a BOOL column holds 0 or 1")),
        },
        LogicalType::Int64 => i64::try_from(number)
            .map(Cell::Int)
            .map_err(|_| format!("{number} is above INT64's largest value")),
        _ => match i64::try_from(number) {
            Ok(number) => integer(number, logical_type),
            Err(_) => decimal(&number.to_string(), logical_type),
        },
    }
}

/// A civil date; MySQL's zero date (`0000-00-00`) and dates with a zero
/// month or day are no dates.
fn civil_date(year: u16, month: u8, day: u8) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(year.into(), month.into(), day.into()).ok_or_else(|| {
        format!("{year:04}-{month:02}-{day:02} is not a calendar date (MySQL's zero date?)")
    })
}

fn days_since_epoch(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
    (date - epoch).num_days() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_fit_or_say_why_not() {
        let int = Wire::Int {
            unsigned: true,
            tiny: false,
        };
        assert_eq!(
            int.decode(&Value::UInt(7), &LogicalType::Int64).unwrap(),
            Cell::Int(7)
        );
        let error = int
            .decode(&Value::UInt(u64::MAX), &LogicalType::Int64)
            .unwrap_err();
        assert!(error.contains("above INT64"), "{error}");
        let numeric = LogicalType::Numeric {
            precision: Some(38),
            scale: Some(0),
        };
        assert_eq!(
            int.decode(&Value::UInt(u64::MAX), &numeric).unwrap(),
            Cell::Decimal(i128::from(u64::MAX))
        );
        let tiny = Wire::Int {
            unsigned: false,
            tiny: true,
        };
        assert_eq!(
            tiny.decode(&Value::Int(1), &LogicalType::Bool).unwrap(),
            Cell::Bool(true)
        );
        assert!(tiny.decode(&Value::Int(2), &LogicalType::Bool).is_err());
        assert!(!int.fits(&LogicalType::Bool, Mode::Nullable));
    }

    #[test]
    fn dates_and_times_are_exact_and_zero_dates_refused() {
        let at = Value::Date(2024, 3, 1, 12, 0, 0, 5);
        assert_eq!(
            Wire::Timestamp
                .decode(&at, &LogicalType::Timestamp)
                .unwrap(),
            Cell::Micros(1_709_294_400_000_005)
        );
        let zero = Value::Date(0, 0, 0, 0, 0, 0, 0);
        let error = Wire::Date.decode(&zero, &LogicalType::Date).unwrap_err();
        assert!(error.contains("0000-00-00"), "{error}");
        let late = Value::Time(false, 1, 0, 0, 0, 0);
        assert!(
            Wire::Time
                .decode(&late, &LogicalType::Time)
                .unwrap_err()
                .starts_with("24:00:00")
        );
        let negative = Value::Time(true, 0, 1, 0, 0, 0);
        assert!(Wire::Time.decode(&negative, &LogicalType::Time).is_err());
    }

    #[test]
    fn json_text_is_checked_to_be_json() {
        let json = Value::Bytes(br#"{"a": [1, 2]}"#.to_vec());
        assert!(Wire::Text.decode(&json, &LogicalType::Json).is_ok());
        let broken = Value::Bytes(b"{a".to_vec());
        assert!(
            Wire::Text
                .decode(&broken, &LogicalType::Json)
                .unwrap_err()
                .contains("not JSON")
        );
        assert!(Wire::Text.decode(&broken, &LogicalType::String).is_ok());
    }
}
