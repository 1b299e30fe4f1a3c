//! `contracts suggest`: a contract drawn from data, for a team adopting
//! contracts on tables it already has.
//!
//! The data is measured through the validation engines ([`Profiler`]):
//! one pass of statistics (NULL fractions, extremes, quantiles, means,
//! distinct counts), the distinct values of text columns, and one dedup-key
//! check per candidate key. From those:
//!
//! - every column's type as stored (text of files as what all of it parses
//!   as), REQUIRED where no NULL was seen;
//! - number bounds beyond the quantiles by a margin, never inside the
//!   observed extremes; dates and times a lower bound only (data grows);
//! - `one_of` for text of few distinct values; `length` and `regex` for
//!   codes and ids of one fixed format;
//! - the smallest candidate dedup keys ([`keys`]);
//! - `null_fraction` and `mean` expectations with tolerances, and a row
//!   count of at least 1.
//!
//! By construction the data passes its suggestion: every bound contains
//! what was observed, and a format read from a sample of values is checked
//! on all of them before it is suggested.

mod bounds;
mod keys;
mod profile;
mod shape;

use serde_json::Value;

use crate::report::Report;
use crate::{
    Bound, Constraint, ConstraintKind, Contract, Expectation, Field, Literal, LogicalType, Mode,
    Severity, Statistic,
};

pub use profile::{FrameProfiler, Profiler, WarehouseProfiler};

/// Why no suggestion could be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SuggestError(pub String);

/// How cautious a suggestion is.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestOptions {
    /// Number bounds start from the quantiles `quantile` and
    /// `1 - quantile` (default 0.01).
    pub quantile: f64,
    /// How far beyond those quantiles a bound lies, as a share of the
    /// distance between them (default 0.5); also the share of a standard
    /// deviation a mean may move.
    pub margin: f64,
    /// The most distinct values a text column may hold for `one_of`
    /// (default 20).
    pub max_one_of: usize,
    /// The most columns a candidate key holds (default 3).
    pub max_key_columns: usize,
}

impl Default for SuggestOptions {
    fn default() -> Self {
        SuggestOptions {
            quantile: 0.01,
            margin: 0.5,
            max_one_of: 20,
            max_key_columns: 3,
        }
    }
}

/// A suggested contract, and the other keys that would do.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// The contract; its dedup key is the first candidate.
    pub contract: Contract,
    /// Every candidate key found, smallest first.
    pub keys: Vec<Vec<String>>,
}

/// How many distinct values of a text column are read to find its format.
const FORMAT_SAMPLE: usize = 10_000;

/// One column and what was measured of it.
pub struct Column {
    /// The column as stored.
    pub field: Field,
    /// Rows holding NULL.
    pub nulls: u64,
    /// Distinct non-NULL values, when measured.
    pub distinct: Option<u64>,
    /// Values that are NaN or infinite (of a FLOAT64 column): no range
    /// holds them.
    pub non_finite: u64,
    statistics: Vec<(String, Value)>,
}

impl Column {
    /// Whether the column can be part of a key: a scalar without NULLs that
    /// is not a float or a boolean.
    pub fn keyable(&self) -> bool {
        self.nulls == 0
            && self.field.mode != Mode::Repeated
            && !matches!(
                self.field.logical_type,
                LogicalType::Float64
                    | LogicalType::Bool
                    | LogicalType::Record { .. }
                    | LogicalType::Json
            )
    }

    fn number(&self, statistic: &Statistic) -> Option<f64> {
        let name = statistic.name();
        self.statistics
            .iter()
            .find(|(id, _)| *id == name)
            .and_then(|(_, value)| value.as_f64())
    }

    /// A whole-number statistic exactly, where the report has it so.
    fn whole(&self, statistic: &Statistic) -> Option<i64> {
        let name = statistic.name();
        self.statistics
            .iter()
            .find(|(id, _)| *id == name)
            .and_then(|(_, value)| value.as_i64())
    }

    fn text(&self, statistic: &Statistic) -> Option<String> {
        let name = statistic.name();
        self.statistics
            .iter()
            .find(|(id, _)| *id == name)
            .and_then(|(_, value)| value.as_str().map(str::to_string))
    }
}

/// A contract of `fields` and no checks but what a probe adds.
fn probe(table: &str, fields: Vec<Field>) -> Contract {
    Contract::new(table, fields)
}

/// The statistics measured of a column of `logical` type.
fn measured(logical: &LogicalType, quantile: f64) -> Vec<Statistic> {
    let mut statistics = vec![Statistic::NullFraction];
    let numeric = matches!(
        logical,
        LogicalType::Int64 | LogicalType::Float64 | LogicalType::Numeric { .. }
    );
    let temporal = matches!(
        logical,
        LogicalType::Date | LogicalType::DateTime | LogicalType::Timestamp | LogicalType::Time
    );
    if numeric {
        statistics.extend([
            Statistic::Min,
            Statistic::Max,
            Statistic::Mean,
            Statistic::Stddev,
            Statistic::Quantile { q: quantile },
            Statistic::Quantile { q: 1.0 - quantile },
        ]);
    }
    if temporal {
        statistics.extend([Statistic::Min, Statistic::Max]);
    }
    if numeric || temporal || matches!(logical, LogicalType::String) {
        statistics.push(Statistic::DistinctCount);
    }
    statistics
}

/// Suggests the contract of the table `table` from `data`.
pub fn suggest(
    data: &dyn Profiler,
    table: &str,
    options: &SuggestOptions,
) -> Result<Suggestion, SuggestError> {
    let fields = data.columns()?;
    if let Some(problem) = names_problem(&fields) {
        return Err(SuggestError(problem));
    }
    let (rows, columns) = measure(data, table, fields, options)?;
    let mut contract = probe(table, Vec::new());
    for column in &columns {
        contract
            .fields
            .push(suggest_field(data, table, column, rows, options)?);
    }
    let keys = keys::candidates(data, table, &columns, rows, options.max_key_columns)?;
    if let Some(key) = keys.first() {
        contract.dedup_key = Some(crate::DedupKey {
            columns: key.clone(),
            severity: Severity::Error,
        });
    }
    if rows > 0 {
        contract.expectations.push(Expectation {
            statistic: Statistic::RowCount,
            min: Some(Literal::Int(1)),
            max: None,
            severity: Severity::Error,
            approximate: false,
        });
    }
    contract.description = Some(description(data, rows, &keys));
    Ok(Suggestion { contract, keys })
}

/// Why the columns' names make no contract, if they do not: each name
/// BigQuery refuses, and names that differ only in case.
fn names_problem(fields: &[Field]) -> Option<String> {
    let mut problems = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for field in fields {
        if let Some(problem) = datacontract_model::naming::column_name_problem(&field.name) {
            problems.push(format!("column `{}`: {problem}", field.name));
        }
        if let Some(first) = seen.insert(field.name.to_ascii_lowercase(), &field.name) {
            problems.push(format!(
                "columns `{first}` and `{}` have one name to BigQuery, which ignores case",
                field.name
            ));
        }
    }
    (!problems.is_empty()).then(|| {
        format!(
            "the data's column names make no contract; rename them first:\n  {}",
            problems.join("\n  ")
        )
    })
}

fn description(data: &dyn Profiler, rows: u64, keys: &[Vec<String>]) -> String {
    let mut text = format!(
        "Suggested by `contracts suggest` from {} ({rows} rows): review every check.",
        data.source()
    );
    if keys.len() > 1 {
        let others: Vec<String> = keys[1..]
            .iter()
            .map(|key| format!("({})", key.join(", ")))
            .collect();
        text.push_str(&format!("\nOther candidate keys: {}.", others.join(", ")));
    }
    text
}

/// The row count and every column's statistics, in one validation.
fn measure(
    data: &dyn Profiler,
    table: &str,
    fields: Vec<Field>,
    options: &SuggestOptions,
) -> Result<(u64, Vec<Column>), SuggestError> {
    let mut probe = probe(table, fields.clone());
    for field in &mut probe.fields {
        if field.mode == Mode::Repeated {
            continue;
        }
        if field.logical_type == LogicalType::Float64 {
            // A range without bounds fails exactly the NaN and infinite
            // values: their count.
            field.constraints.push(Constraint {
                kind: ConstraintKind::Range {
                    min: None,
                    max: None,
                },
                severity: Severity::Warn,
            });
        }
        field.expectations = measured(&field.logical_type, options.quantile)
            .into_iter()
            .map(|statistic| Expectation {
                statistic,
                min: None,
                max: None,
                severity: Severity::Warn,
                approximate: false,
            })
            .collect();
    }
    probe.expectations.push(Expectation {
        statistic: Statistic::RowCount,
        min: None,
        max: None,
        severity: Severity::Warn,
        approximate: false,
    });
    let report = data.validate(&probe)?;
    let rows = observed(&report, "row_count")
        .and_then(|value| value.as_f64())
        .ok_or_else(|| SuggestError("the row count was not measured".into()))?
        as u64;
    let columns = fields
        .into_iter()
        .map(|field| {
            let prefix = format!("{}.", field.name);
            let statistics: Vec<(String, Value)> = report
                .checks
                .iter()
                .filter_map(|check| {
                    let name = check.id.strip_prefix(&prefix)?;
                    Some((name.to_string(), check.observed.clone()?))
                })
                .collect();
            let non_finite = report
                .checks
                .iter()
                .find(|check| check.id == format!("{}.range", field.name))
                .and_then(|check| check.failing_rows)
                .unwrap_or(0);
            let mut column = Column {
                field,
                nulls: 0,
                distinct: None,
                non_finite,
                statistics,
            };
            let fraction = column.number(&Statistic::NullFraction).unwrap_or(0.0);
            column.nulls = (fraction * rows as f64).round() as u64;
            column.distinct = column.number(&Statistic::DistinctCount).map(|d| d as u64);
            column
        })
        .collect();
    Ok((rows, columns))
}

fn observed<'a>(report: &'a Report, id: &str) -> Option<&'a Value> {
    report
        .checks
        .iter()
        .find(|check| check.id == id)?
        .observed
        .as_ref()
}

/// The field suggested for one column.
fn suggest_field(
    data: &dyn Profiler,
    table: &str,
    column: &Column,
    rows: u64,
    options: &SuggestOptions,
) -> Result<Field, SuggestError> {
    let mut field = column.field.clone();
    if field.mode == Mode::Repeated || matches!(field.logical_type, LogicalType::Record { .. }) {
        return Ok(field);
    }
    if rows > 0 && column.nulls == 0 {
        field.mode = Mode::Required;
    }
    let check = |kind| Constraint {
        kind,
        severity: Severity::Error,
    };
    match &field.logical_type {
        LogicalType::Int64 | LogicalType::Float64 | LogicalType::Numeric { .. } => {
            if let Some(range) = number_range(column, options) {
                field.constraints.push(check(range));
            }
            if let Some(mean) = mean_expectation(column, options) {
                field.expectations.push(mean);
            }
        }
        LogicalType::Date | LogicalType::DateTime | LogicalType::Timestamp => {
            if let Some(min) = column
                .text(&Statistic::Min)
                .and_then(|min| start_of_day(&min, &field.logical_type))
            {
                field.constraints.push(check(ConstraintKind::Range {
                    min: Some(Bound {
                        value: Literal::String(min),
                        inclusive: true,
                    }),
                    max: None,
                }));
            }
        }
        LogicalType::String => {
            field.constraints.extend(
                text_checks(data, table, column, rows, options)?
                    .into_iter()
                    .map(check),
            );
        }
        _ => {}
    }
    if field.mode == Mode::Nullable
        && let Some(fraction) = column.number(&Statistic::NullFraction)
    {
        let allowed = (fraction + (fraction * 0.5).max(0.01)).min(1.0);
        field.expectations.push(Expectation {
            statistic: Statistic::NullFraction,
            min: None,
            max: Some(Literal::Float(bounds::round_up(allowed, 0.01))),
            severity: Severity::Warn,
            approximate: false,
        });
    }
    Ok(field)
}

/// The range of a numeric column, from its quantiles with the margin.
fn number_range(column: &Column, options: &SuggestOptions) -> Option<ConstraintKind> {
    if column.non_finite > 0 {
        return None;
    }
    let min = column.number(&Statistic::Min)?;
    let max = column.number(&Statistic::Max)?;
    let low = column
        .number(&Statistic::Quantile {
            q: options.quantile,
        })
        .unwrap_or(min);
    let high = column
        .number(&Statistic::Quantile {
            q: 1.0 - options.quantile,
        })
        .unwrap_or(max);
    if !(min.is_finite() && max.is_finite()) {
        return None;
    }
    let (lower, upper) = bounds::range(min, max, low, high, options.margin);
    if !(lower.is_finite() && upper.is_finite()) {
        return None;
    }
    let (lower, upper) = if column.field.logical_type == LogicalType::Int64 {
        // Past 2^53 a float is no exact integer: the observed extremes,
        // exactly, bound the bounds.
        let exact_min = column.whole(&Statistic::Min)?;
        let exact_max = column.whole(&Statistic::Max)?;
        (
            Literal::Int((lower as i64).min(exact_min)),
            Literal::Int((upper as i64).max(exact_max)),
        )
    } else {
        (Literal::Float(lower), Literal::Float(upper))
    };
    let bound = |value| {
        Some(Bound {
            value,
            inclusive: true,
        })
    };
    Some(ConstraintKind::Range {
        min: bound(lower),
        max: bound(upper),
    })
}

/// The mean may move by `margin` standard deviations (or 1% of itself
/// for a constant column).
fn mean_expectation(column: &Column, options: &SuggestOptions) -> Option<Expectation> {
    let mean = column.number(&Statistic::Mean).filter(|m| m.is_finite())?;
    let stddev = column
        .number(&Statistic::Stddev)
        .filter(|s| s.is_finite())
        .unwrap_or(0.0);
    let tolerance = (options.margin * stddev)
        .max(mean.abs() * 0.01)
        .max(f64::EPSILON);
    let min = bounds::round_down(mean - tolerance, tolerance);
    let max = bounds::round_up(mean + tolerance, tolerance);
    if !(min.is_finite() && max.is_finite()) {
        return None;
    }
    Some(Expectation {
        statistic: Statistic::Mean,
        min: Some(Literal::Float(min)),
        max: Some(Literal::Float(max)),
        severity: Severity::Warn,
        approximate: false,
    })
}

/// The first instant of the day of `text` (an ISO date or time), written
/// as a bound of `logical`; `None` when `text` starts with no ISO date.
fn start_of_day(text: &str, logical: &LogicalType) -> Option<String> {
    let utc_day;
    let day = match logical {
        // An instant written with an offset may fall on the day before in
        // UTC, where the bound is compared.
        LogicalType::Timestamp => {
            utc_day = instant(text)?.date_naive().to_string();
            utc_day.as_str()
        }
        _ => text.get(..10)?,
    };
    let bound = match logical {
        LogicalType::Timestamp => format!("{day}T00:00:00Z"),
        LogicalType::DateTime => format!("{day}T00:00:00"),
        _ => day.to_string(),
    };
    let scalar = datacontract_model::rust_types::Scalar::of_logical_type(logical);
    datacontract_model::fit::temporal_literal_problem(&bound, scalar)
        .is_none()
        .then_some(bound)
}

/// An instant as a report writes it: RFC 3339, or with a space for the
/// `T`, a ` UTC` suffix, or no zone (UTC).
fn instant(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let mut text = text.trim().trim_end_matches(" UTC").replacen(' ', "T", 1);
    let zoned = text.ends_with('Z') || text.get(19..).is_some_and(|rest| rest.contains(['+', '-']));
    if !zoned {
        text.push('Z');
    }
    chrono::DateTime::parse_from_rfc3339(&text)
        .ok()
        .map(|instant| instant.with_timezone(&chrono::Utc))
}

/// `one_of` for few distinct values, else `length` and `regex` for a
/// fixed format.
fn text_checks(
    data: &dyn Profiler,
    table: &str,
    column: &Column,
    rows: u64,
    options: &SuggestOptions,
) -> Result<Vec<ConstraintKind>, SuggestError> {
    let name = &column.field.name;
    let non_null = rows - column.nulls;
    let distinct = column.distinct.unwrap_or(u64::MAX);
    if distinct == 0 {
        return Ok(Vec::new());
    }
    if distinct as usize <= options.max_one_of && distinct * 2 <= non_null {
        let (mut values, complete) = data.distinct_text(name, options.max_one_of)?;
        if complete {
            values.sort();
            return Ok(vec![ConstraintKind::OneOf {
                values: values.into_iter().map(Literal::String).collect(),
            }]);
        }
    }
    let (values, complete) = data.distinct_text(name, FORMAT_SAMPLE)?;
    let Some(found) = shape::infer(&values) else {
        return Ok(Vec::new());
    };
    let length = ConstraintKind::Length {
        min: Some(found.min_length),
        max: Some(found.max_length),
    };
    let pattern = ConstraintKind::Regex {
        pattern: found.pattern,
    };
    let checks = vec![length, pattern];
    if complete || holds_everywhere(data, table, column, &checks)? {
        Ok(checks)
    } else {
        Ok(Vec::new())
    }
}

/// Whether every row passes `checks` on the column: for a format read from
/// a sample of its values.
fn holds_everywhere(
    data: &dyn Profiler,
    table: &str,
    column: &Column,
    checks: &[ConstraintKind],
) -> Result<bool, SuggestError> {
    let mut field = column.field.clone();
    field.constraints = checks
        .iter()
        .map(|kind| Constraint {
            kind: kind.clone(),
            severity: Severity::Error,
        })
        .collect();
    let report = data.validate(&probe(table, vec![field]))?;
    Ok(report
        .checks
        .iter()
        .filter(|check| check.columns == [column.field.name.clone()])
        .all(|check| check.failing_rows.unwrap_or(0) == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_bound_starts_the_day_of_the_first_value_in_utc() {
        let day = |text: &str, logical| start_of_day(text, &logical);
        assert_eq!(
            day("2024-01-01T01:00:00+05:00", LogicalType::Timestamp).as_deref(),
            Some("2023-12-31T00:00:00Z")
        );
        assert_eq!(
            day("2024-03-01 10:15:00 UTC", LogicalType::Timestamp).as_deref(),
            Some("2024-03-01T00:00:00Z")
        );
        assert_eq!(
            day("2024-03-01T10:15:00.123456", LogicalType::DateTime).as_deref(),
            Some("2024-03-01T00:00:00")
        );
        assert_eq!(
            day("2024-03-01", LogicalType::Date).as_deref(),
            Some("2024-03-01")
        );
        assert_eq!(day("yesterday", LogicalType::Date), None);
        assert_eq!(day("é", LogicalType::Timestamp), None);
    }
}
