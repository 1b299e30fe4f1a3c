//! `contracts suggest`: a contract drawn from files or a warehouse table,
//! as the Rust source of its struct or as ODCS.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::validate::expand_globs;
use super::{flagged_table, flagged_warehouse, reading_options};
use crate::input;
use crate::odcs;
use crate::pipeline::RunError;
use crate::rust_source::{self, Struct};
use crate::suggest::{FrameProfiler, SuggestOptions, Suggestion, WarehouseProfiler, suggest};

/// The arguments of `contracts suggest`.
#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// CSV, Parquet or NDJSON files, read in order as one table; globs are
    /// expanded.
    #[arg(required_unless_present = "warehouse", conflicts_with = "warehouse")]
    files: Vec<String>,
    /// Profile the warehouse table `<dataset>.<table>` instead, inside the
    /// warehouse: DuckDB at --duckdb, or BigQuery with --bigquery-project.
    #[arg(long, value_name = "DATASET.TABLE")]
    warehouse: Option<String>,
    /// The DuckDB database file.
    #[arg(long, default_value = "data/warehouse.duckdb", requires = "warehouse")]
    duckdb: PathBuf,
    /// Profile in BigQuery, in this project (BIGQUERY_EMULATOR_HOST selects
    /// an emulator).
    #[arg(long, requires = "warehouse")]
    bigquery_project: Option<String>,
    /// The table's name in the contract: default the first file's name, or
    /// the warehouse table's.
    #[arg(long)]
    table: Option<String>,
    /// What to print.
    #[arg(long, value_enum, default_value_t = SuggestFormat::Rust)]
    format: SuggestFormat,
    /// Number bounds start from this quantile and its complement.
    #[arg(long, default_value_t = SuggestOptions::default().quantile)]
    quantile: f64,
    /// How far beyond those quantiles a bound lies, as a share of the
    /// distance between them (also the share of a standard deviation a
    /// mean may move).
    #[arg(long, default_value_t = SuggestOptions::default().margin)]
    margin: f64,
    /// The most distinct values a text column may hold for `one_of`.
    #[arg(long, default_value_t = SuggestOptions::default().max_one_of)]
    max_one_of: usize,
    /// The most columns a candidate dedup key holds.
    #[arg(long, default_value_t = SuggestOptions::default().max_key_columns)]
    max_key_columns: usize,
    /// How the files are read (CSV options and time formats).
    #[command(flatten)]
    reading: input::ReadingText,
}

/// What `contracts suggest` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SuggestFormat {
    /// The Rust source of a `#[derive(DataContract)]` struct.
    Rust,
    /// An ODCS v3.1.0 document, in YAML.
    Odcs,
}

/// Runs `contracts suggest`.
pub fn suggest_command(args: &SuggestArgs) -> Result<(String, ExitCode), RunError> {
    let options = SuggestOptions {
        quantile: args.quantile,
        margin: args.margin,
        max_one_of: args.max_one_of,
        max_key_columns: args.max_key_columns,
    };
    if !(0.0..0.5).contains(&options.quantile) || !(0.0..=f64::MAX).contains(&options.margin) {
        return Err(RunError::usage(
            "--quantile is at least 0 and below 0.5, --margin at least 0",
        ));
    }
    let suggestion = match &args.warehouse {
        Some(qualified) => from_warehouse(args, qualified, &options)?,
        None => from_files(args, &options)?,
    };
    let printed = match args.format {
        SuggestFormat::Odcs => {
            // One file (or glob) read with these options: the document's
            // `local` server says so.
            let files = match args.files.as_slice() {
                [path] => Some(odcs::FileServer::new(path, args.reading.clone())),
                _ => None,
            };
            let servers = odcs::Servers {
                files,
                ..Default::default()
            };
            odcs::to_yaml(&odcs::export(&suggestion.contract, &servers))
        }
        SuggestFormat::Rust => rust_source::render(
            "A contract suggested by `contracts suggest`: review it, then register it\n\
             with `Registry::with::<…>()`.",
            &[Struct {
                name: &suggestion.contract.name,
                contract: &suggestion.contract,
            }],
        )
        .map_err(RunError::input)?,
    };
    Ok((printed, ExitCode::SUCCESS))
}

fn from_files(args: &SuggestArgs, options: &SuggestOptions) -> Result<Suggestion, RunError> {
    let reading = reading_options(&args.reading)?;
    if !reading.csv.header {
        return Err(RunError::usage(
            "suggest reads column names from the files' header: --no-header is for validate",
        ));
    }
    let paths = expand_globs(&args.files).map_err(RunError::usage)?;
    let table = match &args.table {
        Some(table) => table.clone(),
        None => table_name(&paths[0]),
    };
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let frame = match input::read_files(&paths, &reading.csv).map_err(RunError::input)? {
        // Spooled files are read before `_spools` goes.
        crate::validate::Input::Files {
            frame,
            spools: _spools,
            ..
        } => frame
            .collect()
            .map_err(|error| RunError::input(format!("{}: {error}", names.join(", "))))?,
        _ => unreachable!("read_files reads files"),
    };
    let data =
        FrameProfiler::new(frame, names.join(", "), &reading.formats).map_err(RunError::input)?;
    suggest(&data, &table, options).map_err(RunError::input)
}

fn from_warehouse(
    args: &SuggestArgs,
    qualified: &str,
    options: &SuggestOptions,
) -> Result<Suggestion, RunError> {
    if args.reading != input::ReadingText::default() {
        return Err(RunError::usage(
            "the reading options (--null-values, --delimiter, …) are for files, not --warehouse",
        ));
    }
    let (dataset, name) = qualified.split_once('.').ok_or_else(|| {
        RunError::usage(format!(
            "--warehouse `{qualified}`: write it as <dataset>.<table>"
        ))
    })?;
    let project = args.bigquery_project.as_deref();
    let table = flagged_table(dataset, name, project)?;
    let warehouse = flagged_warehouse(&args.duckdb, project)?;
    let data = WarehouseProfiler::new(warehouse.as_ref(), table);
    let contract_name = args.table.clone().unwrap_or_else(|| name.to_string());
    suggest(&data, &contract_name, options).map_err(RunError::service)
}

/// A table name from a file's name: `flights-3m.parquet` → `flights_3m`.
fn table_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name
    } else {
        format!("t_{name}")
    }
}
