//! The DataOps pipeline: extract → land raw → load raw → gate 1 →
//! transform → land processed → gate 2 → promote, with a report for every
//! run.
//!
//! A [`Pipeline`] names its two contracts (raw and processed), its
//! extractors, its transform (Polars, lazy) and its input-relative
//! expectations; [`run`] executes it in an [`Environment`] opened from a
//! layered [`config`]. Staging and production are datasets of one store
//! and one warehouse: partitions land under `{dataset}/{table}/created_at=…/`
//! and tables live in `{dataset}.{table}`.
//!
//! ```text
//! extract ─► land_raw ─► load_raw ─► gate_raw ─► transform ─► land_processed ─► load_processed ─► gate_processed ─► promote
//! ```

pub mod config;
pub mod environment;
pub mod error;
pub mod failpoint;
mod frame;
pub mod history;
pub mod html;
pub mod http;
pub mod landing;
pub mod profile;
pub mod promote;
pub mod query;
pub mod reconcile;
mod run_id;
pub mod run_report;
mod runner;
pub mod shutdown;
pub mod source;

use polars::prelude::{LazyFrame, PolarsResult};

pub use config::{Config, ConfigError, Layers};
pub use environment::Environment;
pub use error::{FailureKind, RunError};
pub use frame::{FrameError, records_to_frame};
pub use history::History;
pub use reconcile::{Comparison, Reconciliation};
pub use run_id::RunId;
pub use run_report::{Outcome, RunReport};
pub use runner::{RunOptions, RunOutput, run};
pub use source::{Extract, ExtractError, Extractor, Rejected};

use crate::Contract;

/// A transform from the raw frame to the processed one.
pub type Transform = Box<dyn Fn(LazyFrame) -> PolarsResult<LazyFrame> + Send + Sync>;

/// What a pipeline is: two tables, where rows come from, and how raw rows
/// become processed ones.
pub struct Pipeline {
    /// Its name, for reports.
    pub name: String,
    /// The raw table's contract: rows as extracted.
    pub raw: Contract,
    /// The processed table's contract: the transform's output.
    pub processed: Contract,
    /// The bundled sample (`source = "sample"`), if any.
    pub sample: Option<Box<dyn Extractor>>,
    /// The API extractor (`source = "binance"`), if any.
    pub api: Option<Box<dyn Extractor>>,
    /// Raw rows into processed rows; its output must match the processed
    /// contract exactly, dtypes included.
    pub transform: Transform,
    /// Expectations of the output relative to the input, checked at gate 2.
    pub reconciliations: Vec<Reconciliation>,
    /// The production history the transform needs besides the run's rows
    /// (rolling statistics), if any.
    pub history: Option<History>,
}
