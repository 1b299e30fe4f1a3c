//! # datacontract
//!
//! One annotated Rust struct is the single source of truth for a table:
//!
//! ```
//! use datacontract::DataContract;
//!
//! /// One trade.
//! #[derive(DataContract)]
//! #[contract(version = "1.0.0", dedup_key(trade_id), partition_by(day(traded_at)))]
//! struct Trade {
//!     /// Exchange-assigned id.
//!     trade_id: i64,
//!     #[contract(min_exclusive = 0)]
//!     price: f64,
//!     traded_at: chrono::DateTime<chrono::Utc>,
//! }
//!
//! let contract = Trade::contract();
//! assert_eq!(contract.name, "trade");
//! let ddl = contract.ddl(&datacontract::schema::DdlOptions::default()).unwrap();
//! assert!(ddl.contains("PARTITION BY DATE(`traded_at`)"));
//! ```
//!
//! From a [`Contract`] the [`schema`] module generates the BigQuery JSON
//! schema and DDL, the JSON Schema of a row, and the Arrow and Polars
//! schemas; [`cli`] is the `contracts` command, reusable by any crate.

#![warn(missing_docs)]

extern crate self as datacontract;

pub mod alert;
pub mod check;
pub mod cli;
pub mod compat;
pub mod contract;
pub mod errors;
pub mod input;
pub mod odcs;
pub mod pipeline;
mod registry;
pub mod report;
pub mod retry;
pub mod rust_source;
pub mod schema;
pub mod secrets;
pub mod sql;
pub mod store;
pub mod suggest;
pub mod testing;
pub mod validate;
pub mod warehouse;

pub use contract::{
    Bound, Constraint, ConstraintKind, Contract, DedupKey, DriftRule, Expectation, Field,
    ForeignKey, Freshness, Literal, LogicalType, Mode, Partitioning, ReconcileRule, RowRule,
    Sensitivity, Severity, Statistic, TimeGranularity,
};
pub use datacontract_derive::DataContract;
pub use registry::Registry;
pub use report::Report;
pub use validate::{Options, SchemaPolicy, validate};

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

    /// Validates a frame against this table's contract with the default
    /// [`Options`]: `Kline::validate(frame)`.
    fn validate(frame: impl Into<validate::Input>) -> Result<Report, validate::ValidationError> {
        validate::validate(frame, &Self::contract(), &Options::default())
    }
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
