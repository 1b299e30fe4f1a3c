//! Expectations of a transform's output relative to its input: no hour
//! lost, the volume preserved. Each measures one number on each side and
//! compares them.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Severity;

/// A measurement of one frame: one number.
pub type Measure = Box<dyn Fn(LazyFrame) -> LazyFrame + Send + Sync>;

/// How the two numbers must relate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Comparison {
    /// Exactly equal.
    Equal,
    /// Within this relative tolerance of the input's number.
    WithinRelative {
        /// E.g. `1e-9`.
        tolerance: f64,
    },
}

/// One input-relative expectation.
pub struct Reconciliation {
    /// Its name, e.g. `hours_preserved`.
    pub name: String,
    /// What it means, for people.
    pub description: String,
    /// The input's number: a query over the raw frame that yields one row
    /// and one column.
    pub input: Measure,
    /// The output's number, likewise over the processed frame.
    pub output: Measure,
    /// The same two numbers measured in the warehouse, which a transform
    /// that runs there needs.
    pub sql: Option<SqlMeasures>,
    /// How they must relate.
    pub comparison: Comparison,
    /// What a failure does to the run.
    pub severity: Severity,
}

/// A reconciliation's two numbers in SQL: each one GoogleSQL query (see
/// [`crate::sql::translate`]) that yields one row of one number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlMeasures {
    /// Over the relation `input`: the raw rows the output is made of, with
    /// `__batch` and `__row` (see [`crate::pipeline::in_warehouse`]).
    pub input: String,
    /// Over the relation `output`: the processed rows.
    pub output: String,
}

/// The outcome of one [`Reconciliation`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconciliationResult {
    /// Its name.
    pub name: String,
    /// What it means.
    pub description: String,
    /// The input's number.
    pub input: f64,
    /// The output's number.
    pub output: f64,
    /// The rule, in words: `output = input`, `|output − input| ≤ 1e-9 × |input|`.
    pub rule: String,
    /// Its severity.
    pub severity: Severity,
    /// Whether the rule held.
    pub passed: bool,
}

impl Reconciliation {
    /// Measures both sides and compares them.
    pub fn check(
        &self,
        input: &DataFrame,
        output: &DataFrame,
    ) -> PolarsResult<ReconciliationResult> {
        let (before, after) = (
            scalar(&self.input, input, "input")?,
            scalar(&self.output, output, "output")?,
        );
        Ok(self.compare(before, after))
    }

    /// Compares the two numbers, measured.
    pub fn compare(&self, before: f64, after: f64) -> ReconciliationResult {
        let (passed, rule) = match self.comparison {
            Comparison::Equal => (before == after, "output = input".to_string()),
            Comparison::WithinRelative { tolerance } => (
                (after - before).abs() <= tolerance * before.abs(),
                format!("|output − input| ≤ {tolerance:e} × |input|"),
            ),
        };
        ReconciliationResult {
            name: self.name.clone(),
            description: self.description.clone(),
            input: before,
            output: after,
            rule,
            severity: self.severity,
            passed,
        }
    }
}

/// The single number `measure` makes of `frame`.
fn scalar(measure: &Measure, frame: &DataFrame, side: &str) -> PolarsResult<f64> {
    single_number(&measure(frame.clone().lazy()).collect()?, side)
}

/// The one number `result`, a measure's result, holds.
pub(crate) fn single_number(result: &DataFrame, side: &str) -> PolarsResult<f64> {
    let value = result
        .columns()
        .first()
        .filter(|_| result.height() == 1)
        .map(|column| column.cast(&DataType::Float64))
        .transpose()?
        .and_then(|column| column.f64().ok().and_then(|values| values.get(0)));
    value.ok_or_else(|| {
        polars_err!(ComputeError: "the {side} measure must yield one non-NULL number, not {result}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum_of(column: &'static str) -> Measure {
        Box::new(move |frame| frame.select([col(column).sum()]))
    }

    #[test]
    fn relative_tolerance_and_equality() {
        let input = df!("v" => [1.0, 2.0, 3.0]).unwrap();
        let close = df!("v" => [6.0 + 1e-12]).unwrap();
        let far = df!("v" => [5.0]).unwrap();
        let preserved = Reconciliation {
            name: "volume_preserved".into(),
            description: "the volume".into(),
            input: sum_of("v"),
            output: sum_of("v"),
            sql: None,
            comparison: Comparison::WithinRelative { tolerance: 1e-9 },
            severity: Severity::Error,
        };
        assert!(preserved.check(&input, &close).unwrap().passed);
        let result = preserved.check(&input, &far).unwrap();
        assert!(!result.passed);
        assert_eq!((result.input, result.output), (6.0, 5.0));
        let equal = Reconciliation {
            comparison: Comparison::Equal,
            ..preserved
        };
        assert!(!equal.check(&input, &close).unwrap().passed);
    }
}
