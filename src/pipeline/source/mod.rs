//! Extraction: where a run's raw rows come from.
//!
//! A [`Source`] is a kind of origin a pipeline can name in `source = "…"`:
//! it declares its own settings and, configured from them, becomes an
//! [`Extractor`]. A pipeline definition brings its own sources (an HTTP
//! API, a bundled sample); [`FilesSource`] (CSV, Parquet or NDJSON files,
//! local or `gs://`) and the databases ([`database`]: PostgreSQL) serve
//! every pipeline.

pub mod database;
mod files;

use indicatif::ProgressBar;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::config::{Config, ConfigError, Layers, SettingSpec};
use super::error::FailureKind;
use crate::Contract;
use crate::store::ObjectStore;

pub use database::{DatabaseExtractor, DatabaseSource};
pub use files::{CastProblem, FilesExtractor, FilesSource, cast_to_contract};

/// One record that did not make it into the frame, kept whole with why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejected {
    /// Where it was: `page 3, row 17`, `file.csv:12`.
    pub location: String,
    /// The rule it broke.
    pub reason: String,
    /// The record as it arrived.
    pub record: String,
}

/// What an extractor produced.
#[derive(Debug, Clone)]
pub struct Extract {
    /// The rows, in the raw contract's columns and dtypes.
    pub frame: DataFrame,
    /// Records that failed parsing or validation (never silently dropped).
    pub rejected: Vec<Rejected>,
    /// What was read, for the report: `Binance BTCUSDT 1m, 3 pages`.
    pub description: String,
    /// Extractor-specific facts for the report (requests, retries, pages).
    pub details: serde_json::Value,
    /// What the source remembers of this run (a cursor's high-water mark),
    /// written only once the run has promoted its rows to production.
    pub checkpoint: Option<Checkpoint>,
}

/// State a source keeps in the store between runs, written by the run
/// once its rows are in production (landed, past both gates, promoted): a
/// run that stops or fails a gate before leaves it as it was, and the next
/// run reads the same rows again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Its key in the store.
    pub key: String,
    /// What is written there.
    pub contents: Vec<u8>,
    /// What it says, for the report: `updated_at up to "2024-…"`.
    pub description: String,
}

/// Why extraction failed, and whether the data or the source is to blame.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ExtractError {
    /// Input (the data cannot be read), service (the source, the store or
    /// the disk failed) or usage (the configuration cannot work).
    pub kind: FailureKind,
    /// What went wrong, naming the file, page or row.
    pub message: String,
}

impl ExtractError {
    /// Data that cannot be read: a malformed file, a value that does not fit.
    pub fn input(message: impl std::fmt::Display) -> Self {
        ExtractError {
            kind: FailureKind::Input,
            message: message.to_string(),
        }
    }

    /// A source, store or disk that failed.
    pub fn service(message: impl std::fmt::Display) -> Self {
        ExtractError {
            kind: FailureKind::Service,
            message: message.to_string(),
        }
    }

    /// A configuration the extractor cannot work with.
    pub fn usage(message: impl std::fmt::Display) -> Self {
        ExtractError {
            kind: FailureKind::Usage,
            message: message.to_string(),
        }
    }
}

/// A kind of source a pipeline can extract from, named in `source = "…"`.
/// Adding one (a database, another API) is implementing this trait and
/// listing it in the pipeline's sources.
pub trait Source: Send + Sync {
    /// Its name in `source = "…"`.
    fn name(&self) -> &'static str;

    /// The settings only this source reads, declared once: they join the
    /// pipeline's [`Catalogue`](super::config::Catalogue), so the
    /// configuration file, the environment and `contracts run`'s flags
    /// accept them, and the README lists them.
    fn settings(&self) -> &'static [SettingSpec] {
        &[]
    }

    /// The extractor the settings in `layers` describe. An invalid setting
    /// is a [`ConfigError`] naming its key and where it came from, found
    /// before the run begins.
    fn configure(&self, layers: &Layers) -> Result<Box<dyn Extractor>, ConfigError>;
}

/// A configured source of raw rows for one contract.
pub trait Extractor {
    /// Reads the rows the configuration asks for. `store` is the run's
    /// store (where a [`Checkpoint`] is kept); `progress` may be ticked per
    /// page, file or batch.
    fn extract(
        &self,
        config: &Config,
        store: &dyn ObjectStore,
        contract: &Contract,
        progress: &ProgressBar,
    ) -> Result<Extract, ExtractError>;
}
