//! Database values in the contract's terms, the same for every engine:
//! exact decimals, integers, text, and dates and times inside the range
//! BigQuery holds. Each either becomes a [`Cell`] whole or says why not.

use super::Cell;
use crate::LogicalType;

/// The first and last instants BigQuery holds (0001-01-01 and
/// 9999-12-31 23:59:59.999999), in Unix microseconds.
const FIRST_MICROS: i64 = -62_135_596_800_000_000;
const LAST_MICROS: i64 = 253_402_300_799_999_999;
/// The first and last days BigQuery holds, in Unix days.
const FIRST_DAY: i32 = -719_162;
const LAST_DAY: i32 = 2_932_896;
/// Microseconds in a day.
pub const DAY_MICROS: i64 = 86_400_000_000;

/// A DATETIME or TIMESTAMP value, microseconds since 1970-01-01 (UTC),
/// if BigQuery holds it; `what` names it otherwise.
pub fn micros(value: i64, what: &str) -> Result<Cell, String> {
    if (FIRST_MICROS..=LAST_MICROS).contains(&value) {
        Ok(Cell::Micros(value))
    } else {
        Err(out_of_range(what))
    }
}

/// A DATE value, days since 1970-01-01, if BigQuery holds it.
pub fn day(days: i32, what: &str) -> Result<Cell, String> {
    if (FIRST_DAY..=LAST_DAY).contains(&days) {
        Ok(Cell::Date(days))
    } else {
        Err(out_of_range(what))
    }
}

/// A TIME value, microseconds since midnight, if it is one of a day's.
pub fn time_of_day(micros: i64) -> Result<Cell, String> {
    if (0..DAY_MICROS).contains(&micros) {
        Ok(Cell::Time(micros * 1_000))
    } else {
        Err(format!(
            "{} is not a TIME value (00:00:00 … 23:59:59.999999)",
            clock(micros)
        ))
    }
}

/// `hh:mm:ss[.ffffff]`, for messages, also past a day (`24:00:00`).
fn clock(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let micros = micros.unsigned_abs();
    let seconds = micros / 1_000_000;
    let fraction = micros % 1_000_000;
    let base = format!(
        "{sign}{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if fraction == 0 {
        base
    } else {
        format!("{base}.{fraction:06}")
    }
}

fn out_of_range(what: &str) -> String {
    format!("{what} is outside 0001-01-01 … 9999-12-31, the range BigQuery holds")
}

/// UTF-8 text.
pub fn text(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| "is not valid UTF-8".into())
}

/// An integer as an INT64, NUMERIC or BIGNUMERIC cell.
pub fn integer(value: i64, logical_type: &LogicalType) -> Result<Cell, String> {
    match logical_type {
        LogicalType::Int64 => Ok(Cell::Int(value)),
        _ => decimal(&value.to_string(), logical_type),
    }
}

/// Exact decimal text (`-12.5`) as a NUMERIC cell (its unscaled integer)
/// or a BIGNUMERIC one (its text): an error if it has more digits after
/// the point than the scale, or more in all than the precision.
pub fn decimal(text: &str, logical_type: &LogicalType) -> Result<Cell, String> {
    let (precision, scale) = logical_type.decimal_precision_scale().ok_or_else(|| {
        format!(
            "{text} is a number; the column is {}",
            logical_type.sql_name()
        )
    })?;
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if !whole
        .chars()
        .chain(fraction.chars())
        .all(|c| c.is_ascii_digit())
    {
        return Err(format!("{text} is not a decimal number"));
    }
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let (precision, scale) = (usize::from(precision), usize::from(scale));
    if fraction.len() > scale {
        return Err(format!(
            "{text} has {} digits after the point; {}({precision}, {scale}) keeps {scale}",
            fraction.len(),
            logical_type.sql_name()
        ));
    }
    if whole.len() + scale > precision {
        return Err(format!(
            "{text} has {} digits before the point; {}({precision}, {scale}) holds {}",
            whole.len(),
            logical_type.sql_name(),
            precision - scale
        ));
    }
    if let LogicalType::BigNumeric { .. } = logical_type {
        let sign = if negative && !(whole.is_empty() && fraction.is_empty()) {
            "-"
        } else {
            ""
        };
        let whole = if whole.is_empty() { "0" } else { whole };
        let point = if fraction.is_empty() { "" } else { "." };
        return Ok(Cell::Text(format!("{sign}{whole}{point}{fraction}")));
    }
    let unscaled = format!("{whole}{fraction:0<scale$}");
    let magnitude: i128 = if unscaled.is_empty() {
        0
    } else {
        unscaled
            .parse()
            .map_err(|_| format!("{text} does not fit 128 bits"))?
    };
    Ok(Cell::Decimal(if negative { -magnitude } else { magnitude }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_every_digit_or_fail() {
        let numeric = |p, s| LogicalType::Numeric {
            precision: Some(p),
            scale: Some(s),
        };
        assert_eq!(
            decimal("12.50", &numeric(10, 2)).unwrap(),
            Cell::Decimal(1250)
        );
        assert_eq!(
            decimal("-0.5", &numeric(10, 2)).unwrap(),
            Cell::Decimal(-50)
        );
        let error = decimal("1.234", &numeric(10, 2)).unwrap_err();
        assert!(error.contains("3 digits after the point"), "{error}");
        let error = decimal("123456789", &numeric(10, 2)).unwrap_err();
        assert!(error.contains("holds 8"), "{error}");
        assert!(
            decimal("1e5", &numeric(10, 2))
                .unwrap_err()
                .contains("not a decimal")
        );
        let big = LogicalType::BigNumeric {
            precision: Some(55),
            scale: Some(20),
        };
        assert_eq!(
            decimal("-0001234567890123456789012345678901.50", &big).unwrap(),
            Cell::Text("-1234567890123456789012345678901.5".into())
        );
    }

    #[test]
    fn dates_and_times_outside_bigquerys_range_are_refused() {
        assert_eq!(micros(0, "the time").unwrap(), Cell::Micros(0));
        assert!(
            micros(LAST_MICROS + 1, "the time")
                .unwrap_err()
                .contains("outside")
        );
        assert!(
            day(FIRST_DAY - 1, "infinity")
                .unwrap_err()
                .starts_with("infinity")
        );
        assert_eq!(time_of_day(1).unwrap(), Cell::Time(1_000));
        let error = time_of_day(DAY_MICROS).unwrap_err();
        assert!(error.starts_with("24:00:00 is not a TIME"), "{error}");
        assert!(
            time_of_day(-1_500_000)
                .unwrap_err()
                .starts_with("-00:00:01.500000")
        );
    }
}
