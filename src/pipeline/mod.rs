//! The DataOps pipeline: extract → land raw → load raw → gate 1 →
//! transform → land processed → gate 2 → promote, with a report for every
//! run.
//!
//! A [`Pipeline`] names its two contracts (raw and processed), its
//! sources, its transform (Polars, lazy) and its input-relative
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
pub mod in_warehouse;
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

pub use config::{Catalogue, Config, ConfigError, Layers, TransformEngine};
pub use environment::Environment;
pub use error::{FailureKind, RunError};
pub use frame::{FrameError, records_to_frame};
pub use history::{History, Window};
pub use reconcile::{Comparison, Reconciliation, SqlMeasures};
pub use run_id::RunId;
pub use run_report::{Outcome, RunReport};
pub use runner::{RunOptions, RunOutput, run};
pub use source::{
    Checkpoint, DatabaseSource, Extract, ExtractError, Extractor, FilesSource, Rejected, Source,
};

use crate::Contract;
use crate::sql::SqlSteps;

/// The sources every pipeline has besides its own.
const BUILT_IN_SOURCES: &[&dyn Source] = &[
    &FilesSource,
    &DatabaseSource::new(&source::database::Postgres),
    &DatabaseSource::new(&source::database::Mysql),
];

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
    /// Its own sources (a bundled sample, an API), each named in
    /// `source = "…"`; the built-in ones (`files`) come after them.
    pub sources: Vec<Box<dyn Source>>,
    /// Raw rows into processed rows; its output must match the processed
    /// contract exactly, dtypes included.
    pub transform: Transform,
    /// The same transform in SQL, run inside the warehouse when the
    /// configuration says `transform = "warehouse"`: steps over the
    /// relation `input` ([`in_warehouse`]) whose last one has exactly the
    /// processed contract's columns and types.
    pub sql_transform: Option<SqlSteps>,
    /// Expectations of the output relative to the input, checked at gate 2.
    pub reconciliations: Vec<Reconciliation>,
    /// The production history the transform needs besides the run's rows
    /// (rolling statistics), if any.
    pub history: Option<History>,
}

impl Pipeline {
    /// Every source `source = "…"` may name: the pipeline's own, then the
    /// built-in ones.
    pub fn sources(&self) -> impl Iterator<Item = &dyn Source> {
        self.sources
            .iter()
            .map(|source| source.as_ref())
            .chain(BUILT_IN_SOURCES.iter().copied())
    }

    /// Every setting this pipeline reads: the general ones, then its
    /// sources' own.
    ///
    /// # Panics
    ///
    /// When two sources declare one setting differently, or two sources
    /// share a name (a mistake in the pipeline's definition).
    pub fn catalogue(&self) -> Catalogue {
        let mut names = Vec::new();
        self.sources()
            .fold(Catalogue::default(), |catalogue, source| {
                assert!(
                    !names.contains(&source.name()),
                    "two sources of pipeline `{}` are named `{}`",
                    self.name,
                    source.name()
                );
                names.push(source.name());
                catalogue.with(source.settings())
            })
    }

    /// The extractor of the source `layers` name, configured from them.
    pub fn extractor(&self, layers: &Layers) -> Result<Box<dyn Extractor>, ConfigError> {
        let name = &layers.required("source")?.value;
        match self.sources().find(|source| source.name() == name) {
            Some(source) => source.configure(layers),
            None => Err(layers.invalid(
                "source",
                format!(
                    "`{name}` is not a source of this pipeline; its sources are {}",
                    self.sources()
                        .map(|source| format!("`{}`", source.name()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
}
