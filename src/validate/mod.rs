//! Validation in memory: every check of a contract over a Polars frame, in
//! one pass, with a [`Report`] users can act on.
//!
//! ```
//! use datacontract::DataContract;
//! use datacontract::validate::{Options, validate};
//! use polars::prelude::*;
//!
//! #[derive(DataContract)]
//! struct Reading {
//!     #[contract(min = 0, max = 100)]
//!     percent: i64,
//! }
//!
//! let frame = df!("percent" => [5i64, 50, 500]).unwrap();
//! let report = validate(frame, &Reading::contract(), &Options::default()).unwrap();
//! assert!(!report.passed);
//! assert_eq!(report.check("percent.range").unwrap().failing_rows, Some(1));
//! ```
//!
//! NULL semantics: a NULL passes every value check (range, length, regex,
//! one_of, unique), as in pandera and BigQuery; a NULL in a REQUIRED column
//! fails `<column>.not_null`. A row rule fails only when it is FALSE. NaN
//! and ±infinity fail a range check (no real number is infinite).

pub(crate) mod conformance;
mod driver;
mod in_memory;
mod native;
mod outcome;
mod pass;
mod references;
mod values;
mod warehouse;

use std::time::Instant;

use chrono::{DateTime, Utc};
use polars::prelude::{DataFrame, IntoLazy, LazyFrame, PolarsError};

use crate::Contract;
use crate::report::{ContractId, InputSummary, REPORT_FORMAT, Report, SourceFile, Timings};

pub use conformance::TextFormats;
pub use references::References;
pub use values::json_value;
pub use warehouse::{Rows, validate_in_warehouse};

/// How the frame's columns must match the contract's (also the values of
/// `contracts validate --schema-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SchemaPolicy {
    /// Exactly the contract's columns and dtypes.
    Strict,
    /// The contract's columns and dtypes; other columns are ignored.
    #[default]
    AllowExtraColumns,
    /// The contract's columns, other columns ignored, after safe casts: wider
    /// integers and floats, other time units, and text that parses
    /// (RFC 3339 timestamps, ISO dates, decimals, numbers). A value that
    /// does not parse fails `<column>.parse` and is shown in its examples.
    Coerce,
}

/// How to validate.
#[derive(Debug, Clone)]
pub struct Options {
    /// How the columns must match. Default: allow extra columns.
    pub schema_policy: SchemaPolicy,
    /// At most this many failing example rows per check. Default: 10.
    pub max_examples: usize,
    /// Also return the valid and the quarantined rows ([`Report::split`]).
    pub split: bool,
    /// The time freshness is measured against. Default: now.
    pub reference_time: Option<DateTime<Utc>>,
    /// Which code evaluates the hot row checks. Default: native.
    pub kernels: Kernels,
    /// How text parses as times under [`SchemaPolicy::Coerce`]. Default:
    /// RFC 3339 timestamps and ISO dates.
    pub formats: TextFormats,
    /// Where the tables the contract's foreign keys reference are: their
    /// rows, in memory (required for each); their warehouse tables
    /// (default: beside the validated table).
    pub references: References,
}

/// Which code evaluates, in memory, the row checks that dominate
/// validation time (also the values of `contracts validate --kernels`).
/// Both give identical reports; only the time differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Kernels {
    /// This crate's kernels for a dedup key of several columns and for
    /// anchored regexes of single-character classes (`^[A-Z]{3}$`),
    /// Polars for every other check.
    #[default]
    Native,
    /// Polars expressions for every check: the reference the native
    /// kernels are tested against.
    Polars,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            schema_policy: SchemaPolicy::default(),
            max_examples: 10,
            split: false,
            reference_time: None,
            kernels: Kernels::default(),
            formats: TextFormats::default(),
            references: References::default(),
        }
    }
}

/// What to validate: a frame in memory, or a lazy query (a scan is read in
/// one streaming pass).
pub enum Input {
    /// A frame in memory.
    Frame(DataFrame),
    /// A lazy query, e.g. a scan of Parquet files.
    Lazy(LazyFrame),
    /// Files read by [`crate::input`], with their row counts and lines.
    Files {
        /// The data.
        frame: LazyFrame,
        /// Where the rows came from, in order.
        files: Vec<SourceFile>,
        /// The scratch files `frame` scans (large CSV files, spooled as
        /// Parquet): keep them until `frame` is read.
        spools: Vec<crate::input::Spool>,
    },
}

impl Input {
    /// The rows, as a lazy query.
    pub fn into_lazy(self) -> LazyFrame {
        match self {
            Input::Frame(frame) => frame.lazy(),
            Input::Lazy(frame) | Input::Files { frame, .. } => frame,
        }
    }
}

impl From<DataFrame> for Input {
    fn from(frame: DataFrame) -> Self {
        Input::Frame(frame)
    }
}

impl From<LazyFrame> for Input {
    fn from(frame: LazyFrame) -> Self {
        Input::Lazy(frame)
    }
}

/// Validation could not run: the engine failed (not: the data failed).
#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    /// Polars could not evaluate the checks.
    #[error("the validation query failed: {0}")]
    Engine(#[from] PolarsError),
    /// The warehouse could not run the checks.
    #[error(transparent)]
    Warehouse(#[from] crate::warehouse::WarehouseError),
    /// The input is damaged beyond reading (its reader panicked).
    #[error("{0}")]
    Damaged(String),
    /// A check could not be judged: its engine returned no measurement for
    /// it, or a bound in the contract cannot be compared. Never a pass.
    #[error("check `{check}` cannot be judged: {problem}")]
    Unmeasured {
        /// The check's id.
        check: String,
        /// What is missing or wrong.
        problem: String,
    },
    /// A foreign key or reconciliation cannot be checked in memory: the
    /// rows of the table it reads were not given.
    #[error(
        "contract `{contract}` checks its rows against {}, whose rows were not given: pass each table's rows (Options::references; `contracts validate --reference TABLE=PATH`)",
        tables.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
    )]
    NoReferencedRows {
        /// The contract's name.
        contract: String,
        /// The referenced tables without rows.
        tables: Vec<String>,
    },
}

/// Validates `input` against `contract`: schema conformance, then every
/// check in one pass, then a bounded query for failing examples (and the
/// split, when asked for).
pub fn validate(
    input: impl Into<Input>,
    contract: &Contract,
    options: &Options,
) -> Result<Report, ValidationError> {
    let started = Instant::now();
    options.references.require_rows_for(contract)?;
    // Spooled files are deleted when `_spools` goes, after the validation.
    let (frame, streaming, description, files, _spools) = match input.into() {
        Input::Frame(frame) => (
            frame.lazy(),
            false,
            "in-memory frame".to_string(),
            Vec::new(),
            Vec::new(),
        ),
        Input::Lazy(frame) => (
            frame,
            true,
            "lazy frame".to_string(),
            Vec::new(),
            Vec::new(),
        ),
        Input::Files {
            frame,
            files,
            spools,
        } => {
            let names: Vec<&str> = files.iter().map(|file| file.path.as_str()).collect();
            (frame, true, names.join(", "), files, spools)
        }
    };
    let mut report = new_report(contract, description.clone(), files);
    // Files are read as the checks run: a damaged page is found then, and
    // Polars' readers panic on some. That is the input's error, named.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut engine =
            in_memory::InMemory::new(frame, streaming, options.kernels, &options.references);
        driver::run(&mut engine, contract, options, &mut report)
    }))
    .map_err(|panic| {
        ValidationError::Damaged(format!(
            "{description}: the data is damaged: its reader gave up ({})",
            crate::input::panic_message(&*panic)
        ))
    })??;
    report.locate_examples();
    report.conclude();
    report.timings.total_ms = elapsed_ms(started);
    Ok(report)
}

/// A report on `contract` with nothing measured yet.
fn new_report(contract: &Contract, description: String, files: Vec<SourceFile>) -> Report {
    Report {
        format: REPORT_FORMAT.to_string(),
        contract: ContractId {
            name: contract.name.clone(),
            version: contract.version.clone(),
        },
        input: InputSummary {
            description,
            files,
            rows: 0,
            scanned_bytes: None,
        },
        timings: Timings::default(),
        passed: false,
        summary: Default::default(),
        checks: Vec::new(),
        split: None,
    }
}

fn elapsed_ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}
