//! # datacontract-core
//!
//! What `#[derive(DataContract)]` compiles against: the [`DataContract`]
//! trait it implements, the [`Contract`] it emits, and the schemas a
//! contract generates ([`schema`]). The `datacontract` library re-exports
//! all of it and adds the checks, the warehouses and the pipeline; users
//! depend on the library, not on this crate.
//!
//! It lives apart so that what the derive needs builds in seconds: the
//! derive's compile-error tests build it on their own, and the
//! in-memory engines' schemas (Arrow, Polars) wait behind the `engines`
//! feature, which the library turns on.

#![warn(missing_docs)]

pub mod contract;
pub mod schema;

pub use contract::{
    Bound, Constraint, ConstraintKind, Contract, DedupKey, DriftRule, Expectation, Field,
    ForeignKey, Freshness, Literal, LogicalType, Mode, Partitioning, ReconcileRule, RowRule,
    Sensitivity, Severity, Statistic, TimeGranularity,
};
pub use datacontract_derive::DataContract;

/// A type that describes a table: implemented by `#[derive(DataContract)]`.
pub trait DataContract {
    /// How many RECORD levels this type occupies when used as a column: 1
    /// for a struct of scalar columns. BigQuery allows at most 15.
    const RECORD_DEPTH: usize;

    /// The table's name, as [`DataContract::contract`] gives it: usable in
    /// constants, where a foreign key of another contract names it.
    const TABLE: &'static str;

    /// The columns a foreign key can reference (the top-level scalar
    /// columns: no array, RECORD or JSON), each with its type as keys
    /// compare it ([`LogicalType::key_type`]). The derive checks a key
    /// against them at compile time.
    const KEY_COLUMNS: &'static [(&'static str, &'static str)];

    /// The table's contract.
    fn contract() -> Contract;
}

/// The deepest RECORD nesting BigQuery accepts.
pub const MAX_RECORD_DEPTH: usize = 15;

/// Helpers for the code `#[derive(DataContract)]` emits. Not a public API.
#[doc(hidden)]
pub mod __private {
    /// The largest of `depths`, or 0 (usable in constants).
    pub const fn max_depth(depths: &[usize]) -> usize {
        let mut max = 0;
        let mut i = 0;
        while i < depths.len() {
            if depths[i] > max {
                max = depths[i];
            }
            i += 1;
        }
        max
    }

    /// How a referenced column fits a foreign key's column.
    pub enum ReferenceFit {
        /// The column exists, with the key's type.
        Fits,
        /// No column a key can reference has the name.
        Missing,
        /// The column has another type.
        OtherType,
    }

    /// Whether `columns` (a contract's `KEY_COLUMNS`) hold `column` with
    /// the type `key_type` (usable in constants).
    pub const fn reference_fit(
        columns: &[(&str, &str)],
        column: &str,
        key_type: &str,
    ) -> ReferenceFit {
        let mut i = 0;
        while i < columns.len() {
            if same(columns[i].0, column) {
                return if same(columns[i].1, key_type) {
                    ReferenceFit::Fits
                } else {
                    ReferenceFit::OtherType
                };
            }
            i += 1;
        }
        ReferenceFit::Missing
    }

    const fn same(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
}
