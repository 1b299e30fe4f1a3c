//! Polars values as JSON, for reports: numbers stay numbers, temporal
//! values become ISO 8601 text, decimals exact text, non-finite floats text.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta};
use polars::prelude::{AnyValue, TimeUnit};
use serde_json::Value;

/// `value` as JSON.
pub fn json_value(value: &AnyValue) -> Value {
    match value {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(flag) => (*flag).into(),
        AnyValue::String(text) => shown(text).into(),
        AnyValue::StringOwned(text) => shown(text.as_str()).into(),
        AnyValue::Int8(v) => (*v).into(),
        AnyValue::Int16(v) => (*v).into(),
        AnyValue::Int32(v) => (*v).into(),
        AnyValue::Int64(v) => (*v).into(),
        AnyValue::UInt8(v) => (*v).into(),
        AnyValue::UInt16(v) => (*v).into(),
        AnyValue::UInt32(v) => (*v).into(),
        AnyValue::UInt64(v) => (*v).into(),
        AnyValue::Float32(v) => float((*v).into()),
        AnyValue::Float64(v) => float(*v),
        AnyValue::Date(days) => date(*days).map_or(Value::Null, |d| d.to_string().into()),
        AnyValue::Datetime(ticks, unit, zone) => datetime(*ticks, *unit, zone.is_some()),
        AnyValue::DatetimeOwned(ticks, unit, zone) => datetime(*ticks, *unit, zone.is_some()),
        AnyValue::Time(nanos) => time(*nanos),
        AnyValue::Decimal(value, _, scale) => decimal(*value, *scale).into(),
        other => other.to_string().into(),
    }
}

/// The longest text a report shows whole, in bytes.
const LONGEST_SHOWN: usize = 1024;

/// `text`, or its start and its length when it is longer than
/// [`LONGEST_SHOWN`] (a 10 MB field makes no readable example).
fn shown(text: &str) -> String {
    if text.len() <= LONGEST_SHOWN {
        return text.to_string();
    }
    let mut cut = LONGEST_SHOWN;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..cut], text.len())
}

fn float(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or_else(|| value.to_string().into(), Value::Number)
}

/// Days since 1970-01-01 as a date.
pub fn date(days: i32) -> Option<NaiveDate> {
    NaiveDate::default().checked_add_signed(TimeDelta::days(days as i64))
}

/// Ticks since the epoch as microseconds, when that fits in an `i64`.
pub fn micros(ticks: i64, unit: TimeUnit) -> Option<i64> {
    match unit {
        TimeUnit::Nanoseconds => Some(ticks / 1000),
        TimeUnit::Microseconds => Some(ticks),
        TimeUnit::Milliseconds => ticks.checked_mul(1000),
    }
}

/// Ticks since the epoch as microseconds, in floating point (never
/// overflows; exact to the microsecond within ±285 years of 1970).
pub fn micros_f64(ticks: i64, unit: TimeUnit) -> f64 {
    match unit {
        TimeUnit::Nanoseconds => ticks as f64 / 1000.0,
        TimeUnit::Microseconds => ticks as f64,
        TimeUnit::Milliseconds => ticks as f64 * 1000.0,
    }
}

/// A datetime as ISO 8601 text; one that no calendar date can hold, as its
/// ticks, so that an example never hides its value.
fn datetime(ticks: i64, unit: TimeUnit, zoned: bool) -> Value {
    let Some(instant) = micros(ticks, unit).and_then(DateTime::from_timestamp_micros) else {
        let unit = match unit {
            TimeUnit::Nanoseconds => "ns",
            TimeUnit::Microseconds => "µs",
            TimeUnit::Milliseconds => "ms",
        };
        return format!("{ticks} {unit} since 1970-01-01 (beyond the calendar)").into();
    };
    if zoned {
        instant
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            .into()
    } else {
        instant
            .naive_utc()
            .format("%Y-%m-%dT%H:%M:%S%.f")
            .to_string()
            .into()
    }
}

fn time(nanos: i64) -> Value {
    let seconds = (nanos / 1_000_000_000) as u32;
    NaiveTime::from_num_seconds_from_midnight_opt(seconds, (nanos % 1_000_000_000) as u32)
        .map_or(Value::Null, |t| t.format("%H:%M:%S%.f").to_string().into())
}

/// An unscaled i128 with `scale` digits after the point, exactly.
fn decimal(value: i128, scale: usize) -> String {
    let digits = value.unsigned_abs().to_string();
    let sign = if value < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_every_digit() {
        assert_eq!(decimal(123_456, 2), "1234.56");
        assert_eq!(decimal(-5, 3), "-0.005");
        assert_eq!(decimal(42, 0), "42");
    }

    #[test]
    fn long_text_is_shown_by_its_start_and_length() {
        let long = "é".repeat(4000);
        let Value::String(shown) = json_value(&AnyValue::String(&long)) else {
            panic!("text stays text")
        };
        assert!(shown.ends_with("… (8000 bytes in all)"), "{shown}");
        assert!(shown.len() < 1100);
        assert_eq!(json_value(&AnyValue::String("short")), Value::from("short"));
    }

    #[test]
    fn datetimes_beyond_the_calendar_show_their_ticks() {
        for unit in [
            TimeUnit::Milliseconds,
            TimeUnit::Microseconds,
            TimeUnit::Nanoseconds,
        ] {
            for ticks in [i64::MAX, i64::MIN, i64::MAX - 1] {
                let shown = json_value(&AnyValue::Datetime(ticks, unit, None));
                let text = shown.as_str().unwrap_or_default().to_string();
                assert!(
                    text.contains(&ticks.to_string()) || text.starts_with(char::is_numeric),
                    "{unit:?} {ticks}: {shown}"
                );
            }
        }
        assert_eq!(micros(i64::MAX, TimeUnit::Milliseconds), None);
        assert_eq!(micros_f64(2, TimeUnit::Milliseconds), 2000.0);
    }

    #[test]
    fn temporal_values_are_iso() {
        assert_eq!(json_value(&AnyValue::Date(0)), Value::from("1970-01-01"));
        assert_eq!(
            json_value(&AnyValue::Datetime(1_500_000, TimeUnit::Microseconds, None)),
            Value::from("1970-01-01T00:00:01.500")
        );
        assert_eq!(json_value(&AnyValue::Float64(f64::NAN)), Value::from("NaN"));
    }
}
