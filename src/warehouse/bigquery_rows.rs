//! BigQuery query results (the REST API's `{"f": [{"v": …}]}` rows) as a
//! Polars frame with the contract's dtypes.
//!
//! Values arrive as strings. Each column is first read into a "wire"
//! dtype with no room for ambiguity (integers, floats, booleans, text,
//! bytes, and temporal values as their physical integers), then cast to
//! its final dtype in one Polars cast, nested columns included.
//!
//! TIMESTAMP arrives as integer microseconds from the emulator and as
//! float seconds (`"1.7041104E9"`) from BigQuery; both are read exactly.

use base64::Engine as _;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use polars::prelude::*;
use serde_json::Value;

use crate::schema::TableFieldSchema;

/// The frame of `rows` under `schema`. Errors name the column and row.
pub fn rows_to_frame(
    schema: &[TableFieldSchema],
    rows: &[Vec<Value>],
) -> Result<DataFrame, String> {
    let mut columns = Vec::with_capacity(schema.len());
    for (index, field) in schema.iter().enumerate() {
        let values = rows
            .iter()
            .enumerate()
            .map(|(row, cells)| {
                let cell = cells.get(index).unwrap_or(&Value::Null);
                wire_value(cell, field)
                    .map_err(|problem| format!("row {row}, column `{}`: {problem}", field.name))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let wire = Series::from_any_values_and_dtype(
            field.name.as_str().into(),
            &values,
            &wire_dtype(field),
            true,
        )
        .map_err(|error| format!("column `{}`: {error}", field.name))?;
        let column = wire
            .strict_cast(&final_dtype(field))
            .map_err(|error| format!("column `{}`: {error}", field.name))?;
        columns.push(column.into_column());
    }
    DataFrame::new(rows.len(), columns).map_err(|error| error.to_string())
}

/// The cells of a REST API row (`{"f": [{"v": …}, …]}`).
pub fn cells(row: &Value) -> Vec<Value> {
    row.get("f")
        .and_then(Value::as_array)
        .map(|cells| {
            cells
                .iter()
                .map(|cell| cell.get("v").cloned().unwrap_or(Value::Null))
                .collect()
        })
        .unwrap_or_default()
}

fn base_type(field: &TableFieldSchema) -> String {
    field.field_type.to_ascii_uppercase()
}

/// The dtype a column's values are read into.
fn wire_dtype(field: &TableFieldSchema) -> DataType {
    let scalar = match base_type(field).as_str() {
        "INTEGER" | "INT64" => DataType::Int64,
        "FLOAT" | "FLOAT64" => DataType::Float64,
        "BOOLEAN" | "BOOL" => DataType::Boolean,
        "BYTES" => DataType::Binary,
        "DATE" => DataType::Int32,
        "TIME" | "DATETIME" | "TIMESTAMP" => DataType::Int64,
        "RECORD" | "STRUCT" => DataType::Struct(sub_fields(field, wire_dtype)),
        _ => DataType::String,
    };
    repeated(field, scalar)
}

/// The dtype a column ends up with: the Polars type of its BigQuery type.
fn final_dtype(field: &TableFieldSchema) -> DataType {
    let scalar = match base_type(field).as_str() {
        "NUMERIC" => {
            let precision = field.precision.as_deref().and_then(|p| p.parse().ok());
            let scale = field.scale.as_deref().and_then(|s| s.parse().ok());
            match (precision, scale) {
                (Some(precision), scale) => DataType::Decimal(precision, scale.unwrap_or(0)),
                (None, _) => DataType::Decimal(38, 9),
            }
        }
        "DATE" => DataType::Date,
        "TIME" => DataType::Time,
        "DATETIME" => DataType::Datetime(TimeUnit::Microseconds, None),
        "TIMESTAMP" => DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)),
        "RECORD" | "STRUCT" => DataType::Struct(sub_fields(field, final_dtype)),
        _ => return wire_dtype(field),
    };
    repeated(field, scalar)
}

fn sub_fields(field: &TableFieldSchema, dtype: fn(&TableFieldSchema) -> DataType) -> Vec<Field> {
    field
        .fields
        .iter()
        .flatten()
        .map(|sub| Field::new(sub.name.as_str().into(), dtype(sub)))
        .collect()
}

fn repeated(field: &TableFieldSchema, scalar: DataType) -> DataType {
    if field.mode.eq_ignore_ascii_case("REPEATED") {
        DataType::List(Box::new(scalar))
    } else {
        scalar
    }
}

/// One cell in its wire dtype.
fn wire_value(cell: &Value, field: &TableFieldSchema) -> Result<AnyValue<'static>, String> {
    if cell.is_null() {
        return Ok(AnyValue::Null);
    }
    if field.mode.eq_ignore_ascii_case("REPEATED") {
        let element = TableFieldSchema {
            mode: "NULLABLE".into(),
            ..field.clone()
        };
        let items = cell.as_array().ok_or("a REPEATED value is not an array")?;
        let values = items
            .iter()
            .map(|item| wire_value(item.get("v").unwrap_or(&Value::Null), &element))
            .collect::<Result<Vec<_>, _>>()?;
        let series = Series::from_any_values_and_dtype(
            PlSmallStr::EMPTY,
            &values,
            &wire_dtype(&element),
            true,
        )
        .map_err(|error| error.to_string())?;
        return Ok(AnyValue::List(series));
    }
    let kind = base_type(field);
    if kind == "RECORD" || kind == "STRUCT" {
        let members = cells(cell);
        let subs: Vec<&TableFieldSchema> = field.fields.iter().flatten().collect();
        let values = subs
            .iter()
            .enumerate()
            .map(|(i, sub)| wire_value(members.get(i).unwrap_or(&Value::Null), sub))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(AnyValue::StructOwned(Box::new((
            values,
            sub_fields(field, wire_dtype),
        ))));
    }
    let text = match cell {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let bad = |what: &str| format!("`{text}` is not a valid {what}");
    Ok(match kind.as_str() {
        "INTEGER" | "INT64" => AnyValue::Int64(text.parse().map_err(|_| bad("INT64"))?),
        "FLOAT" | "FLOAT64" => AnyValue::Float64(float(&text).ok_or_else(|| bad("FLOAT64"))?),
        "BOOLEAN" | "BOOL" => AnyValue::Boolean(match text.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(bad("BOOL")),
        }),
        "BYTES" => AnyValue::BinaryOwned(
            base64::engine::general_purpose::STANDARD
                .decode(&text)
                .map_err(|_| bad("base64 BYTES"))?,
        ),
        "DATE" => {
            let date = NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| bad("DATE"))?;
            AnyValue::Int32((date - NaiveDate::default()).num_days() as i32)
        }
        "TIME" => {
            let time = text.parse::<NaiveTime>().map_err(|_| bad("TIME"))?;
            AnyValue::Int64(
                time.num_seconds_from_midnight() as i64 * 1_000_000_000 + time.nanosecond() as i64,
            )
        }
        "DATETIME" => {
            let civil = text
                .parse::<NaiveDateTime>()
                .or_else(|_| NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f"))
                .map_err(|_| bad("DATETIME"))?;
            AnyValue::Int64(civil.and_utc().timestamp_micros())
        }
        "TIMESTAMP" => AnyValue::Int64(timestamp_micros(&text).ok_or_else(|| bad("TIMESTAMP"))?),
        _ => AnyValue::StringOwned(text.into()),
    })
}

/// A FLOAT64 as BigQuery writes it, `NaN` and infinities included.
fn float(text: &str) -> Option<f64> {
    match text {
        "NaN" | "nan" => Some(f64::NAN),
        "Infinity" | "inf" => Some(f64::INFINITY),
        "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
        other => other.parse().ok(),
    }
}

/// A TIMESTAMP as microseconds since the epoch, from integer microseconds
/// (`"1704067200000000"`) or from float seconds (`"1.7040672001234E9"`),
/// the latter read exactly, without going through a float.
pub fn timestamp_micros(text: &str) -> Option<i64> {
    let text = text.trim();
    let seconds_form = text.contains(['.', 'e', 'E']);
    if !seconds_form {
        return text.parse().ok();
    }
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let negative = mantissa.starts_with('-');
    let mantissa = mantissa.trim_start_matches(['-', '+']);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !(whole.chars().chain(fraction.chars())).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits: String = format!("{whole}{fraction}");
    // value = digits × 10^(exponent − len(fraction)) seconds
    //       = digits × 10^(exponent − len(fraction) + 6) microseconds.
    let shift = exponent - fraction.len() as i32 + 6;
    let digits: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let micros = if shift >= 0 {
        digits.checked_mul(10i128.checked_pow(shift as u32)?)?
    } else {
        let divisor = 10i128.checked_pow((-shift) as u32)?;
        // Round half away from zero: the last digits are below 1 µs.
        (digits + divisor / 2) / divisor
    };
    let micros = i64::try_from(micros).ok()?;
    Some(if negative { -micros } else { micros })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(name: &str, field_type: &str, mode: &str) -> TableFieldSchema {
        TableFieldSchema::new(name, field_type, mode)
    }

    #[test]
    fn timestamps_parse_from_emulator_micros_and_bigquery_float_seconds() {
        assert_eq!(
            timestamp_micros("1704067200000000"),
            Some(1_704_067_200_000_000)
        );
        assert_eq!(timestamp_micros("1.7040672E9"), Some(1_704_067_200_000_000));
        assert_eq!(
            timestamp_micros("1.704067200123456E9"),
            Some(1_704_067_200_123_456)
        );
        assert_eq!(timestamp_micros("-1.5"), Some(-1_500_000));
        assert_eq!(timestamp_micros("12.5"), Some(12_500_000));
        assert_eq!(timestamp_micros("soon"), None);
        assert_eq!(timestamp_micros("1e400"), None);
    }

    #[test]
    fn rows_become_typed_columns_with_nulls_records_and_arrays() {
        let mut record = field("r", "RECORD", "NULLABLE");
        record.fields = Some(vec![
            field("a", "INTEGER", "NULLABLE"),
            field("at", "TIMESTAMP", "NULLABLE"),
        ]);
        let schema = vec![
            field("ts", "TIMESTAMP", "NULLABLE"),
            field("x", "NUMERIC", "NULLABLE"),
            field("f", "FLOAT", "NULLABLE"),
            field("d", "DATE", "NULLABLE"),
            field("tags", "STRING", "REPEATED"),
            record,
        ];
        let rows = vec![
            cells(&json!({"f": [
                {"v": "1.7040672E9"}, {"v": "1.500000000"}, {"v": "NaN"}, {"v": "2024-01-01"},
                {"v": [{"v": "a"}, {"v": "b"}]}, {"v": {"f": [{"v": "3"}, {"v": "1704067200000000"}]}}
            ]})),
            cells(&json!({"f": [
                {"v": "1704153600000000"}, {"v": null}, {"v": "2.5"}, {"v": null},
                {"v": []}, {"v": null}
            ]})),
        ];
        let frame = rows_to_frame(&schema, &rows).unwrap();
        assert_eq!(
            frame.column("ts").unwrap().dtype(),
            &DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        );
        assert_eq!(
            frame.column("x").unwrap().dtype(),
            &DataType::Decimal(38, 9)
        );
        assert_eq!(frame.column("x").unwrap().null_count(), 1);
        assert!(
            frame
                .column("f")
                .unwrap()
                .f64()
                .unwrap()
                .get(0)
                .unwrap()
                .is_nan()
        );
        assert_eq!(frame.column("d").unwrap().dtype(), &DataType::Date);
        assert_eq!(
            frame
                .column("tags")
                .unwrap()
                .list()
                .unwrap()
                .get_as_series(0)
                .unwrap()
                .len(),
            2
        );
        let ts = frame
            .column("ts")
            .unwrap()
            .datetime()
            .unwrap()
            .physical()
            .get(1);
        assert_eq!(ts, Some(1_704_153_600_000_000));
        assert!(
            matches!(frame.column("r").unwrap().dtype(), DataType::Struct(fields) if fields.len() == 2)
        );
    }

    #[test]
    fn a_bad_value_is_named_by_row_and_column() {
        let schema = vec![field("n", "INTEGER", "NULLABLE")];
        let rows = vec![vec![json!("1")], vec![json!("one")]];
        let error = rows_to_frame(&schema, &rows).unwrap_err();
        assert_eq!(error, "row 1, column `n`: `one` is not a valid INT64");
    }
}
