//! Reconciliation between tables: a number of this table (its row count,
//! a column's sum, …) that must equal the same number of another table,
//! within a relative tolerance. Counts and sums preserved across a
//! transform, checked wherever the contract is validated.

use serde::{Deserialize, Serialize};

use crate::{Severity, Statistic};

/// `statistic` of this table's `column` equals `statistic` of `table`'s
/// `other_column`, within `tolerance` of the other's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconcileRule {
    /// Its name; the check's id is `reconcile.<name>`.
    pub name: String,
    /// What is measured on both sides: the row count, a sum, a distinct
    /// count, the smallest, the largest value or the mean.
    pub statistic: Statistic,
    /// This table's column (`None` for the row count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The other table: a contract's name.
    pub table: String,
    /// The other table's column (`None` for the row count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_column: Option<String>,
    /// The largest difference allowed, relative to the other table's
    /// value: 0 for equal.
    #[serde(default)]
    pub tolerance: f64,
    /// What a mismatch does to a run.
    pub severity: Severity,
}

impl ReconcileRule {
    /// Whether a reconciliation can measure `statistic`: the row count, a
    /// sum, a distinct count, the smallest, the largest value or the mean
    /// (a quantile or a standard deviation is no number a transform
    /// preserves).
    pub fn measures(statistic: &Statistic) -> bool {
        matches!(
            statistic,
            Statistic::RowCount
                | Statistic::Sum
                | Statistic::DistinctCount
                | Statistic::Min
                | Statistic::Max
                | Statistic::Mean
        )
    }

    /// The name it gets when none is given: the statistic and the column,
    /// `sum_volume`, or `row_count`.
    pub fn default_name(statistic_name: &str, column: Option<&str>) -> String {
        match column {
            Some(column) => format!("{statistic_name}_{column}"),
            None => statistic_name.to_string(),
        }
    }

    /// What the other side is, as written: `raw_orders` or
    /// `raw_orders.amount`.
    pub fn against(&self) -> String {
        match &self.other_column {
            Some(column) => format!("{}.{column}", self.table),
            None => self.table.clone(),
        }
    }
}
