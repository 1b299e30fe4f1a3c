//! The runtime model of a data contract: plain data, no I/O.
//!
//! `#[derive(DataContract)]` emits a [`Contract`]; every generator
//! ([`crate::schema`]) and every check reads only this description. The
//! columns, types, checks and naming rules come from the
//! `datacontract-model` crate, which the derive shares; they are re-exported
//! here. [`Contract`] itself lives in this crate so that the generators are
//! its inherent methods (`contract.ddl(…)`), with nothing to import.

mod references;

use serde::{Deserialize, Serialize};

pub use datacontract_model::*;

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
    /// Columns whose values must name rows of other tables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
    /// Numbers of this table that must equal those of other tables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reconciliations: Vec<ReconcileRule>,
}

impl Contract {
    /// A contract of `fields` at version `0.1.0` (the derive's default),
    /// with no key, layout or checks beyond the columns' own.
    pub fn new(name: impl Into<String>, fields: Vec<Field>) -> Contract {
        Contract {
            name: name.into(),
            version: "0.1.0".into(),
            description: None,
            fields,
            dedup_key: None,
            partitioning: None,
            clustering: Vec::new(),
            default_severity: Severity::Error,
            rules: Vec::new(),
            expectations: Vec::new(),
            freshness: None,
            drift: None,
            foreign_keys: Vec::new(),
            reconciliations: Vec::new(),
        }
    }

    /// The column named `name` at the top level, if any.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }
}
