//! What both engines conclude from their measurements: a check's status,
//! failing rows and observed value, from the counts and aggregates that
//! Polars (in memory) or the warehouse (pushed down) computed.

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::values::{date, json_value, micros, micros_f64};
use crate::check::polars_expr::temporal_ticks;
use crate::check::{CheckKind, PlannedCheck, RowTest, Test};
use crate::report::{CheckResult, Status};
use crate::{Literal, Severity, Statistic};

/// A check's result before anything is measured: passing, with what it expects.
pub(super) fn skeleton(
    id: String,
    kind: CheckKind,
    columns: Vec<String>,
    severity: Severity,
    expected: String,
) -> CheckResult {
    CheckResult {
        id,
        columns,
        kind,
        severity,
        status: Status::Pass,
        failing_rows: None,
        failing_fraction: None,
        observed: None,
        approximate: false,
        expected,
        message: None,
        examples: Vec::new(),
    }
}

/// The contract dtype at a dotted path.
pub(super) fn dtype_at(schema: &Schema, path: &str) -> Option<DataType> {
    let mut parts = path.split('.');
    let mut dtype = schema.get(parts.next()?)?.clone();
    for part in parts {
        let DataType::Struct(fields) = dtype else {
            return None;
        };
        dtype = fields.iter().find(|f| f.name() == part)?.dtype().clone();
    }
    Some(dtype)
}

/// The result of a planned check before anything is measured.
pub(super) fn planned_result(check: &PlannedCheck) -> CheckResult {
    skeleton(
        check.id.clone(),
        check.kind,
        check.columns.clone(),
        check.severity,
        expected(&check.test),
    )
}

/// `result`, skipped for `reason`.
pub(super) fn skipped(mut result: CheckResult, reason: String) -> CheckResult {
    result.status = Status::Skipped;
    result.message = Some(reason);
    result
}

/// Concludes a row check from the number of failing rows.
pub(super) fn conclude_rows(result: &mut CheckResult, failing: u64, rows: u64) {
    result.failing_rows = Some(failing);
    result.failing_fraction = Some(if rows == 0 {
        0.0
    } else {
        failing as f64 / rows as f64
    });
    if failing > 0 {
        result.status = Status::Fail;
    }
}

/// Concludes an expectation from the observed statistic. A bound that
/// cannot be compared (text where a number is expected, a time that does
/// not parse) is an error, never ignored.
pub(super) fn conclude_statistic(
    result: &mut CheckResult,
    observed: &AnyValue,
    statistic: &Statistic,
    dtype: Option<&DataType>,
    min: Option<&Literal>,
    max: Option<&Literal>,
) -> Result<(), String> {
    result.observed = Some(json_value(observed));
    match within_bounds(observed, statistic, dtype, min, max)? {
        Some(true) => {}
        Some(false) => result.status = Status::Fail,
        None => {
            result.status = Status::Skipped;
            result.message = Some("no non-NULL values to measure".into());
        }
    }
    Ok(())
}

/// Concludes a reconciliation from this table's value and the other's: it
/// holds when they differ by at most `tolerance` times the other's (a
/// count or sum over no rows is 0; a minimum, maximum or mean over none is
/// NULL, equal only to NULL).
pub(super) fn conclude_reconcile(
    result: &mut CheckResult,
    ours: &AnyValue,
    theirs: &AnyValue,
    statistic: &Statistic,
    tolerance: f64,
) -> Result<(), String> {
    let number = |value: &AnyValue, side: &str| match value {
        AnyValue::Null
            if matches!(
                statistic,
                Statistic::RowCount | Statistic::Sum | Statistic::DistinctCount
            ) =>
        {
            Ok(Some(0.0))
        }
        AnyValue::Null => Ok(None),
        other => other
            .extract::<f64>()
            .map(Some)
            .ok_or_else(|| format!("{side} value `{other}` is no number")),
    };
    let (ours, theirs) = (
        number(ours, "this table's")?,
        number(theirs, "the other table's")?,
    );
    result.observed = Some(serde_json::json!({ "this": ours, "other": theirs }));
    let holds = match (ours, theirs) {
        (Some(ours), Some(theirs)) => (ours - theirs).abs() <= tolerance * theirs.abs(),
        (None, None) => true,
        _ => false,
    };
    if !holds {
        result.status = Status::Fail;
    }
    Ok(())
}

/// Concludes freshness from the newest value and the reference time.
pub(super) fn conclude_freshness(
    result: &mut CheckResult,
    newest: &AnyValue,
    max_age_seconds: u64,
    reference: DateTime<Utc>,
) {
    match instant(newest) {
        Some(newest) => {
            let age = (reference - newest).num_seconds();
            result.observed = Some(serde_json::json!({
                "newest": newest.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                "reference": reference.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                "age_seconds": age,
            }));
            if age > max_age_seconds as i64 {
                result.status = Status::Fail;
            }
        }
        None => {
            result.status = Status::Fail;
            result.message = Some("no rows with a time: nothing is fresh".into());
        }
    }
}

/// Whether an observed statistic lies within its bounds; `None` when there
/// was nothing to measure (NULL or NaN); an error when a bound cannot be
/// compared with it.
fn within_bounds(
    observed: &AnyValue,
    statistic: &Statistic,
    dtype: Option<&DataType>,
    min: Option<&Literal>,
    max: Option<&Literal>,
) -> Result<Option<bool>, String> {
    let temporal_dtype =
        dtype.filter(|d| d.is_temporal() && matches!(statistic, Statistic::Min | Statistic::Max));
    let as_number = |literal: &Literal| -> Result<f64, String> {
        match (literal, temporal_dtype) {
            (Literal::Int(int), _) => Ok(*int as f64),
            (Literal::Float(float), _) => Ok(*float),
            (Literal::String(text), Some(dtype)) => literal_ticks(text, dtype)
                .ok_or_else(|| format!("the bound {literal} is not a valid {dtype}")),
            (other, _) => Err(format!(
                "the bound {other} is not a number, so {} cannot be compared with it",
                statistic.name()
            )),
        }
    };
    let min = min.map(as_number).transpose()?;
    let max = max.map(as_number).transpose()?;
    let value = match temporal_dtype {
        Some(_) => observed_ticks(observed),
        None => observed.extract::<f64>(),
    };
    let Some(value) = value.filter(|value| !value.is_nan()) else {
        return Ok(None);
    };
    let above_min = min.is_none_or(|min| value >= min);
    let below_max = max.is_none_or(|max| value <= max);
    Ok(Some(above_min && below_max))
}

/// A temporal literal in the ticks `observed_ticks` uses (µs for DATETIME).
fn literal_ticks(text: &str, dtype: &DataType) -> Option<f64> {
    let ticks = temporal_ticks(text, dtype)?;
    Some(match dtype {
        DataType::Datetime(unit, _) => micros_f64(ticks, *unit),
        _ => ticks as f64,
    })
}

fn observed_ticks(value: &AnyValue) -> Option<f64> {
    match value {
        AnyValue::Datetime(ticks, unit, _) | AnyValue::DatetimeOwned(ticks, unit, _) => {
            Some(micros_f64(*ticks, *unit))
        }
        other => observed_physical(other),
    }
}

fn observed_physical(value: &AnyValue) -> Option<f64> {
    match value {
        AnyValue::Date(days) => Some(*days as f64),
        AnyValue::Time(nanos) => Some(*nanos as f64),
        other => other.extract::<f64>(),
    }
}

/// A DATE, DATETIME or TIMESTAMP value as an instant (DATE at midnight UTC,
/// DATETIME read as UTC).
fn instant(value: &AnyValue) -> Option<DateTime<Utc>> {
    match value {
        AnyValue::Datetime(ticks, unit, _) | AnyValue::DatetimeOwned(ticks, unit, _) => {
            micros(*ticks, *unit).and_then(DateTime::from_timestamp_micros)
        }
        AnyValue::Date(days) => date(*days).map(|d| d.and_hms_opt(0, 0, 0).unwrap().and_utc()),
        _ => None,
    }
}

/// The expected outcome of a check, in words.
pub(super) fn expected(test: &Test) -> String {
    match test {
        Test::Row(RowTest::NotNull { .. }) => "not NULL".into(),
        Test::Row(RowTest::Range { min, max, .. }) => {
            let min = min
                .as_ref()
                .map(|b| format!("{} {}", if b.inclusive { ">=" } else { ">" }, b.value));
            let max = max
                .as_ref()
                .map(|b| format!("{} {}", if b.inclusive { "<=" } else { "<" }, b.value));
            [min, max]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" and ")
        }
        Test::Row(RowTest::Length { min, max, .. }) => match (min, max) {
            (Some(min), Some(max)) if min == max => format!("length {min}"),
            (min, max) => {
                let min = min.map(|v| format!("length >= {v}"));
                let max = max.map(|v| format!("length <= {v}"));
                [min, max]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" and ")
            }
        },
        Test::Row(RowTest::Regex { pattern, .. }) => format!("matches {pattern}"),
        Test::Row(RowTest::OneOf { values, .. }) => {
            let values: Vec<String> = values.iter().map(ToString::to_string).collect();
            format!("one of {}", values.join(", "))
        }
        Test::Row(RowTest::Unique { columns }) if columns.len() == 1 => "no repeated value".into(),
        Test::Row(RowTest::Unique { columns }) => {
            format!("one row per ({})", columns.join(", "))
        }
        Test::Row(RowTest::Rule { sql }) => sql.clone(),
        Test::Row(RowTest::References {
            columns,
            table,
            referenced,
        }) => format!(
            "every ({}) without NULL is a ({}) of {table}",
            columns.join(", "),
            referenced.join(", ")
        ),
        Test::Statistic {
            statistic,
            min,
            max,
            ..
        } => {
            let name = statistic.name();
            match (min, max) {
                (Some(min), Some(max)) => format!("{name} between {min} and {max}"),
                (Some(min), None) => format!("{name} >= {min}"),
                (None, Some(max)) => format!("{name} <= {max}"),
                (None, None) => name,
            }
        }
        Test::Freshness {
            max_age_seconds, ..
        } => format!("newest value at most {max_age_seconds} s old"),
        Test::Reconcile {
            statistic,
            column,
            table,
            other_column,
            tolerance,
        } => {
            let side = |column: &Option<String>| match column {
                Some(column) => format!("{}({column})", statistic.name()),
                None => statistic.name(),
            };
            let within = if *tolerance == 0.0 {
                String::new()
            } else {
                format!(" within {tolerance:e} of it")
            };
            format!(
                "{} = {} of {table}{within}",
                side(column),
                side(other_column)
            )
        }
        Test::Unsupported { .. } => String::new(),
    }
}
