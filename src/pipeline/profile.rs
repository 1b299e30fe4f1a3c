//! Column profiles (for the report's summaries and charts) and drift
//! between a run's columns and those of the last promoted run: the
//! population stability index (PSI) and the Kolmogorov–Smirnov statistic
//! for numbers, the largest change of a category's share for text.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Severity;
use crate::contract::DriftRule;

/// Bins of a profile's histogram.
const HISTOGRAM_BINS: usize = 20;
/// Categories a profile lists.
const TOP_CATEGORIES: usize = 10;
/// Reference quantile bins for the PSI.
const PSI_BINS: usize = 10;
/// The share an empty PSI bin counts as, so the logarithm stays finite.
const PSI_FLOOR: f64 = 1e-4;

/// A summary of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    /// The column.
    pub column: String,
    /// Its Polars dtype.
    pub dtype: String,
    /// Its rows.
    pub rows: u64,
    /// Its NULLs.
    pub nulls: u64,
    /// The smallest value, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    /// The largest value, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// The mean, for numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Equal-width bin counts between min and max, for numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub histogram: Vec<u64>,
    /// The most frequent values and their counts, for text and booleans.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top: Vec<(String, u64)>,
}

/// Profiles of every column of `frame`: rows and NULLs for all, bounds for
/// ordered types, a histogram for numbers, the top values for text and
/// booleans.
pub fn profile(frame: &DataFrame) -> PolarsResult<Vec<ColumnProfile>> {
    frame
        .columns()
        .iter()
        .map(|column| {
            let series = column.as_materialized_series();
            let dtype = series.dtype();
            let mut profile = ColumnProfile {
                column: series.name().to_string(),
                dtype: dtype.to_string(),
                rows: series.len() as u64,
                nulls: series.null_count() as u64,
                min: None,
                max: None,
                mean: None,
                histogram: Vec::new(),
                top: Vec::new(),
            };
            if let Some(values) = numbers(series)? {
                profile.mean = mean(&values);
                profile.histogram = histogram(&values);
                let (min, max) = bounds(&values);
                profile.min = min.map(|v| v.to_string());
                profile.max = max.map(|v| v.to_string());
            } else if matches!(dtype, DataType::String | DataType::Boolean) {
                profile.top = shares(series)?
                    .into_iter()
                    .take(TOP_CATEGORIES)
                    .map(|(value, count, _)| (value, count))
                    .collect();
            } else if !dtype.is_nested() {
                profile.min = any_text(series.min_reduce()?.value());
                profile.max = any_text(series.max_reduce()?.value());
            }
            // Lists and records have no order: rows and NULLs say enough.
            Ok(profile)
        })
        .collect()
}

/// One drift measurement of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftResult {
    /// The column.
    pub column: String,
    /// `psi`, `ks` or `category_share`.
    pub statistic: String,
    /// The measured value.
    pub value: f64,
    /// The largest value allowed.
    pub threshold: f64,
    /// What drift beyond the threshold does.
    pub severity: Severity,
    /// Whether the value exceeds the threshold.
    pub drifted: bool,
}

/// The drift of every column the rule covers (every numeric, text and
/// boolean column when it names none) between `reference` and `current`.
pub fn drift(
    reference: &DataFrame,
    current: &DataFrame,
    rule: &DriftRule,
) -> PolarsResult<Vec<DriftResult>> {
    let mut results = Vec::new();
    for column in current.columns() {
        let name = column.name().as_str();
        if !rule.columns.is_empty() && !rule.columns.iter().any(|c| c == name) {
            continue;
        }
        let Ok(before) = reference.column(name) else {
            continue;
        };
        let (now, before) = (
            column.as_materialized_series(),
            before.as_materialized_series(),
        );
        let mut measure = |statistic: &str, value: f64, threshold: f64| {
            results.push(DriftResult {
                column: name.to_string(),
                statistic: statistic.into(),
                value,
                threshold,
                severity: rule.severity,
                drifted: value > threshold,
            });
        };
        if let (Some(mut expected), Some(mut actual)) = (numbers(before)?, numbers(now)?) {
            if expected.is_empty() || actual.is_empty() {
                continue;
            }
            expected.sort_by(f64::total_cmp);
            actual.sort_by(f64::total_cmp);
            if let Some(threshold) = rule.max_psi {
                measure("psi", psi(&expected, &actual), threshold);
            }
            if let Some(threshold) = rule.max_ks {
                measure("ks", ks(&expected, &actual), threshold);
            }
        } else if matches!(now.dtype(), DataType::String | DataType::Boolean)
            && let Some(threshold) = rule.max_share_change
        {
            measure(
                "category_share",
                share_change(&shares(before)?, &shares(now)?),
                threshold,
            );
        }
    }
    Ok(results)
}

/// The population stability index of `actual` against `expected` (both
/// sorted), over the deciles of `expected`.
pub fn psi(expected: &[f64], actual: &[f64]) -> f64 {
    let mut edges: Vec<f64> = (1..PSI_BINS)
        .map(|i| expected[(i * expected.len() / PSI_BINS).min(expected.len() - 1)])
        .collect();
    edges.dedup();
    let fractions = |values: &[f64]| -> Vec<f64> {
        let mut counts = vec![0usize; edges.len() + 1];
        for value in values {
            counts[edges.partition_point(|edge| edge <= value)] += 1;
        }
        counts
            .into_iter()
            .map(|count| (count as f64 / values.len() as f64).max(PSI_FLOOR))
            .collect()
    };
    fractions(expected)
        .into_iter()
        .zip(fractions(actual))
        .map(|(e, a)| (a - e) * (a / e).ln())
        .sum()
}

/// The two-sample Kolmogorov–Smirnov statistic (both sorted): the largest
/// distance between the empirical distribution functions.
pub fn ks(expected: &[f64], actual: &[f64]) -> f64 {
    let (mut i, mut j, mut largest) = (0, 0, 0f64);
    while i < expected.len() && j < actual.len() {
        let next = expected[i].min(actual[j]);
        while i < expected.len() && expected[i] <= next {
            i += 1;
        }
        while j < actual.len() && actual[j] <= next {
            j += 1;
        }
        let distance = (i as f64 / expected.len() as f64 - j as f64 / actual.len() as f64).abs();
        largest = largest.max(distance);
    }
    largest
}

/// The largest absolute change of any category's share.
fn share_change(before: &[(String, u64, f64)], now: &[(String, u64, f64)]) -> f64 {
    let mut changes: BTreeMap<&str, f64> = BTreeMap::new();
    for (value, _, share) in before {
        *changes.entry(value).or_default() -= share;
    }
    for (value, _, share) in now {
        *changes.entry(value).or_default() += share;
    }
    changes
        .values()
        .fold(0f64, |most, change| most.max(change.abs()))
}

/// The non-NULL values of a numeric column as `f64`, or `None` for other
/// columns.
fn numbers(series: &Series) -> PolarsResult<Option<Vec<f64>>> {
    let dtype = series.dtype();
    if !(dtype.is_primitive_numeric() || dtype.is_decimal()) {
        return Ok(None);
    }
    let floats = series.cast(&DataType::Float64)?;
    Ok(Some(
        floats
            .f64()?
            .iter()
            .flatten()
            .filter(|v| v.is_finite())
            .collect(),
    ))
}

/// Each distinct non-NULL value, its count and its share, most frequent
/// first.
fn shares(series: &Series) -> PolarsResult<Vec<(String, u64, f64)>> {
    let text = series.cast(&DataType::String)?;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for value in text.str()?.iter().flatten() {
        *counts.entry(value.to_string()).or_default() += 1;
    }
    let total = counts.values().sum::<u64>().max(1) as f64;
    let mut shares: Vec<(String, u64, f64)> = counts
        .into_iter()
        .map(|(value, count)| (value, count, count as f64 / total))
        .collect();
    shares.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(shares)
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn bounds(values: &[f64]) -> (Option<f64>, Option<f64>) {
    let min = values.iter().copied().reduce(f64::min);
    let max = values.iter().copied().reduce(f64::max);
    (min, max)
}

fn histogram(values: &[f64]) -> Vec<u64> {
    let (Some(min), Some(max)) = bounds(values) else {
        return Vec::new();
    };
    let mut counts = vec![0u64; HISTOGRAM_BINS];
    let width = (max - min) / HISTOGRAM_BINS as f64;
    for value in values {
        let bin = if width > 0.0 {
            (((value - min) / width) as usize).min(HISTOGRAM_BINS - 1)
        } else {
            0
        };
        counts[bin] += 1;
    }
    counts
}

fn any_text(value: &AnyValue<'_>) -> Option<String> {
    (!value.is_null()).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
        let mut values: Vec<f64> = values.into_iter().collect();
        values.sort_by(f64::total_cmp);
        values
    }

    #[test]
    fn identical_samples_do_not_drift_and_shifted_ones_do() {
        let base = sorted((0..1000).map(|i| i as f64));
        assert!(psi(&base, &base).abs() < 1e-12);
        assert_eq!(ks(&base, &base), 0.0);
        let shifted = sorted((0..1000).map(|i| i as f64 + 500.0));
        assert!(psi(&base, &shifted) > 1.0, "{}", psi(&base, &shifted));
        assert!(
            (ks(&base, &shifted) - 0.5).abs() < 1e-9,
            "{}",
            ks(&base, &shifted)
        );
    }

    #[test]
    fn category_shares_compare_by_value() {
        let before = Series::new("s".into(), ["a", "a", "b", "b"]);
        let now = Series::new("s".into(), ["a", "a", "a", "b"]);
        let change = share_change(&shares(&before).unwrap(), &shares(&now).unwrap());
        assert!((change - 0.25).abs() < 1e-12);
    }

    #[test]
    fn profiles_summarise_numbers_and_categories() {
        let frame = df!(
            "x" => [Some(1.0), None, Some(3.0)],
            "s" => ["a", "b", "a"],
        )
        .unwrap();
        let profiles = profile(&frame).unwrap();
        assert_eq!(profiles[0].nulls, 1);
        assert_eq!(profiles[0].mean, Some(2.0));
        assert_eq!(profiles[0].histogram.iter().sum::<u64>(), 2);
        assert_eq!(
            profiles[1].top,
            vec![("a".to_string(), 2), ("b".to_string(), 1)]
        );
    }

    #[test]
    fn lists_and_records_are_profiled_by_their_rows_and_nulls() {
        let list = Series::new(
            "l".into(),
            [
                Some(Series::new("".into(), [1i64, 2])),
                None,
                Some(Series::new("".into(), Vec::<i64>::new())),
            ],
        );
        let record = StructChunked::from_series(
            "r".into(),
            3,
            [Series::new("a".into(), [1i64, 2, 3])].iter(),
        )
        .unwrap()
        .into_series();
        let frame = DataFrame::new_infer_height(vec![list.into(), record.into()]).unwrap();
        let profiles = profile(&frame).unwrap();
        assert_eq!((profiles[0].rows, profiles[0].nulls), (3, 1));
        assert_eq!((profiles[1].rows, profiles[1].nulls), (3, 0));
        assert_eq!(profiles[1].min, None);
    }
}
