//! The runtime model of a data contract: plain data, no I/O.
//!
//! `#[derive(DataContract)]` emits a [`Contract`]; every generator
//! ([`crate::schema`]) and, later, every check reads only this description.

mod checks;
mod layout;
pub mod naming;
mod types;

use serde::{Deserialize, Serialize};

pub use checks::{
    Bound, Constraint, ConstraintKind, Expectation, Literal, RowRule, Severity, Statistic,
};
pub use layout::{Partitioning, TimeGranularity};
pub use types::{LogicalType, Mode, Sensitivity};

/// One table's contract: its columns and everything a pipeline checks of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contract {
    /// The table name, e.g. `raw_binance_btcusdt_spot`.
    pub name: String,
    /// The contract's semantic version. A major bump allows breaking changes.
    pub version: String,
    /// What one row of the table means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The columns, in order.
    pub fields: Vec<Field>,
    /// The columns that identify a row; loads keep one row per key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup_key: Option<DedupKey>,
    /// How the warehouse partitions the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitioning: Option<Partitioning>,
    /// The warehouse's clustering columns, at most four.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clustering: Vec<String>,
    /// The severity of checks that do not name their own.
    pub default_severity: Severity,
    /// Row rules: SQL boolean expressions every row must satisfy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RowRule>,
    /// Table-level expectations, such as the row count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expectations: Vec<Expectation>,
    /// How recent the newest row must be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freshness: Option<Freshness>,
    /// How far a run's columns may drift from the last promoted run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftRule>,
}

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

impl Contract {
    /// The column named `name` at the top level, if any.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }
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
