//! Column type names as databases write them.

use crate::LogicalType;

/// The column type `name` spells, and the greatest length its declaration
/// implies (`VARCHAR(2)`), when the name is one BigQuery (in DDL or in its
/// API: `INT64`, `INTEGER`, `NUMERIC(10, 2)`), PostgreSQL, MySQL or DuckDB
/// spell, in any case. `None` for another name, and for STRUCT and ARRAY.
pub fn column_type(name: &str) -> Option<(LogicalType, Option<u64>)> {
    let upper = name.trim().to_ascii_uppercase();
    let (name, parameters) = match upper.split_once('(') {
        Some((name, rest)) => (name.trim(), parameters(rest.strip_suffix(')')?)?),
        None => (upper.as_str(), Vec::new()),
    };
    let plain = |logical: LogicalType| parameters.is_empty().then_some((logical, None));
    match name {
        "BOOL" | "BOOLEAN" => plain(LogicalType::Bool),
        "INT64" | "INTEGER" | "INT" | "BIGINT" | "SMALLINT" | "TINYINT" | "BYTEINT" | "INT2"
        | "INT4" | "INT8" | "LONG" | "MEDIUMINT" => plain(LogicalType::Int64),
        "FLOAT64" | "FLOAT" | "DOUBLE" | "DOUBLE PRECISION" | "REAL" | "FLOAT4" | "FLOAT8" => {
            plain(LogicalType::Float64)
        }
        "STRING" | "TEXT" | "VARCHAR" | "CHARACTER VARYING" | "CHAR" | "CHARACTER" | "UUID" => {
            match parameters.as_slice() {
                [] => Some((LogicalType::String, None)),
                [length] => Some((LogicalType::String, Some(*length))),
                _ => None,
            }
        }
        "BYTES" | "BYTEA" | "BINARY" | "VARBINARY" | "BLOB" => plain(LogicalType::Bytes),
        "DATE" => plain(LogicalType::Date),
        "TIME" => plain(LogicalType::Time),
        "DATETIME" | "TIMESTAMP_NTZ" | "TIMESTAMP WITHOUT TIME ZONE" => {
            plain(LogicalType::DateTime)
        }
        "TIMESTAMP" | "TIMESTAMPTZ" | "TIMESTAMP_TZ" | "TIMESTAMP WITH TIME ZONE" => {
            plain(LogicalType::Timestamp)
        }
        "JSON" | "JSONB" => plain(LogicalType::Json),
        "NUMERIC" | "DECIMAL" | "NUMBER" | "BIGNUMERIC" | "BIGDECIMAL" => {
            decimal(name, &parameters).map(|logical| (logical, None))
        }
        _ => None,
    }
}

/// `NUMERIC`, `NUMERIC(P)` (scale 0) or `NUMERIC(P, S)`, and DECIMAL and
/// NUMBER alike; one too wide for NUMERIC is a BIGNUMERIC.
fn decimal(name: &str, parameters: &[u64]) -> Option<LogicalType> {
    let narrow = |p: u64| u8::try_from(p).ok();
    let (precision, scale) = match parameters {
        [] => (None, None),
        // As BigQuery reads `NUMERIC(P)`: no digits after the point.
        [p] => (Some(narrow(*p)?), Some(0)),
        [p, s] => (Some(narrow(*p)?), Some(narrow(*s)?)),
        _ => return None,
    };
    let fits_numeric = match (precision, scale) {
        (Some(p), s) => {
            let s = s.unwrap_or(0);
            s <= 9 && p >= s && p - s <= 29
        }
        (None, _) => true,
    };
    let big = matches!(name, "BIGNUMERIC" | "BIGDECIMAL") || !fits_numeric;
    Some(if big {
        LogicalType::BigNumeric { precision, scale }
    } else {
        LogicalType::Numeric { precision, scale }
    })
}

fn parameters(list: &str) -> Option<Vec<u64>> {
    list.split(',')
        .map(|part| part.trim().parse().ok())
        .collect()
}
