//! The plain-data model of a data contract: a table's columns, their
//! types and modes, the checks on them, how the warehouse lays the table
//! out, and BigQuery's naming rules. No I/O and no heavy dependencies.
//!
//! Two crates share it: `datacontract-derive` reads struct attributes into
//! these types' vocabulary and rejects a bad name at compile time with
//! [`naming`]'s rules; `datacontract-core` re-exports everything here, adds
//! the `Contract` that holds a table and generates schemas from it, and the
//! `datacontract` library re-exports that in turn (users write
//! `datacontract::Field`, `datacontract::Severity`, …) and checks data.

#![warn(missing_docs)]

mod checks;
pub mod fit;
mod layout;
pub mod naming;
mod reconcile;
mod references;
pub mod rust_types;
#[cfg(feature = "tokens")]
pub mod tokens;
mod types;

use serde::{Deserialize, Serialize};

pub use checks::{
    Bound, Constraint, ConstraintKind, Expectation, Literal, RowRule, Severity, Statistic,
};
pub use layout::{Partitioning, TimeGranularity};
pub use reconcile::ReconcileRule;
pub use references::{ForeignKey, parse_target};
pub use types::{LogicalType, Mode, Sensitivity};

/// Thresholds on how far a pipeline run's columns may move from those of
/// the last promoted run: `drift(psi = 0.25, ks = 0.3, category_share = 0.1)`.
/// A statistic without a threshold is not measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftRule {
    /// The columns it covers; every numeric, text and boolean column when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// The largest population stability index of a numeric column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_psi: Option<f64>,
    /// The largest Kolmogorov–Smirnov statistic of a numeric column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ks: Option<f64>,
    /// The largest change of one category's share of a text or boolean column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_share_change: Option<f64>,
    /// What drift beyond a threshold does to a run.
    pub severity: Severity,
}

impl DriftRule {
    /// The largest threshold of each statistic, by the name the derive
    /// gives it: PSI up to 10, KS and a category's share change up to 1.
    pub const LIMITS: [(&'static str, f64); 3] =
        [("psi", 10.0), ("ks", 1.0), ("category_share", 1.0)];

    /// Why a threshold is out of range, if one is: each lies in
    /// (0, its limit], and at least one is given.
    pub fn threshold_problem(&self) -> Option<String> {
        let given = [self.max_psi, self.max_ks, self.max_share_change];
        if given.iter().all(Option::is_none) {
            return Some("drift names no threshold (psi, ks or category_share)".into());
        }
        Self::LIMITS
            .iter()
            .zip(given)
            .find_map(|((name, limit), value)| {
                value
                    .filter(|value| !(*value > 0.0 && value <= limit))
                    .map(|value| format!("a {name} threshold lies in (0, {limit}], not {value}"))
            })
    }
}

/// The newest value of a time column lies within `max_age_seconds` of the
/// reference time a validation is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freshness {
    /// A DATE, DATETIME or TIMESTAMP column.
    pub column: String,
    /// The greatest age allowed, in seconds.
    pub max_age_seconds: u64,
    /// What a stale table does to a run.
    pub severity: Severity,
}

/// The key that identifies a row, and what a duplicated key does to a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DedupKey {
    /// The key's columns, in order.
    pub columns: Vec<String>,
    /// What rows sharing a key do to a run.
    pub severity: Severity,
}

/// One column of a table, or one sub-field of a RECORD column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The column name as stored (after any serde renaming).
    pub name: String,
    /// What the column holds.
    #[serde(rename = "type")]
    pub logical_type: LogicalType,
    /// REQUIRED, NULLABLE or REPEATED.
    pub mode: Mode,
    /// What the column means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// For a REPEATED column whose Rust type is `Option<Vec<T>>`: serde
    /// writes `None` as `null`, which BigQuery stores as an empty array.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub null_array_allowed: bool,
    /// Checks each value must pass.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<Constraint>,
    /// Statistical expectations over the whole column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expectations: Vec<Expectation>,
    /// BigQuery policy tags (resource names) that guard the column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_tags: Vec<String>,
    /// How sensitive the column's data is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<Sensitivity>,
}

impl Field {
    /// A column with no description, checks or tags.
    pub fn new(name: impl Into<String>, logical_type: LogicalType, mode: Mode) -> Self {
        Field {
            name: name.into(),
            logical_type,
            mode,
            description: None,
            null_array_allowed: false,
            constraints: Vec::new(),
            expectations: Vec::new(),
            policy_tags: Vec::new(),
            sensitivity: None,
        }
    }

    /// The sub-fields of a RECORD column; empty for every other type.
    pub fn sub_fields(&self) -> &[Field] {
        match &self.logical_type {
            LogicalType::Record { fields } => fields,
            _ => &[],
        }
    }
}
