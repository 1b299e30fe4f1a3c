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
pub mod errors;
pub mod input;
pub mod odcs;
pub mod pipeline;
mod registry;
pub mod report;
pub mod retry;
pub mod rust_source;
pub mod secrets;
pub mod sql;
pub mod store;
pub mod suggest;
pub mod testing;
pub mod validate;
pub mod warehouse;

#[doc(hidden)]
pub use datacontract_core::__private;
pub use datacontract_core::{
    Bound, Constraint, ConstraintKind, Contract, DataContract, DedupKey, DriftRule, Expectation,
    Field, ForeignKey, Freshness, Literal, LogicalType, MAX_RECORD_DEPTH, Mode, Partitioning,
    ReconcileRule, RowRule, Sensitivity, Severity, Statistic, TimeGranularity, contract, schema,
};
pub use registry::Registry;
pub use report::Report;
pub use validate::{Options, SchemaPolicy, validate};

/// Validation for every type that derives [`DataContract`], with the default
/// [`Options`]: `Kline::validate(frame)`, with this trait in scope.
pub trait Validate: DataContract {
    /// Validates a frame against this table's contract.
    fn validate(frame: impl Into<validate::Input>) -> Result<Report, validate::ValidationError> {
        validate::validate(frame, &Self::contract(), &Options::default())
    }
}

impl<T: DataContract> Validate for T {}
