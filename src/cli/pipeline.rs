//! `contracts run` and `contracts query`: the pipeline from the command line.

use std::io::{Cursor, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use polars::prelude::*;

use super::{EXIT_FAILED, exit_code};
use crate::pipeline::config::{Config, Layers};
use crate::pipeline::environment::{Access, open_store, open_warehouse};
use crate::pipeline::promote::{Recovery, pending, recover as recover_promotion};
use crate::pipeline::query::{query_production, refuse_pending};
use crate::pipeline::{
    Environment, FailureKind, Outcome, Pipeline, RunError, RunOptions, run as run_pipeline,
    shutdown,
};

/// The configuration flags: the top layer over defaults, `conf/{env}.toml`
/// and environment variables.
#[derive(Debug, Args)]
pub struct SettingArgs {
    /// The environment: reads {conf-dir}/{env}.toml [default: DATACONTRACT_ENV, or `local`].
    #[arg(long)]
    env: Option<String>,
    /// The folder of the environment files.
    #[arg(long, default_value = "conf")]
    conf_dir: PathBuf,
    /// Where raw rows come from: `sample`, `binance` or `files`.
    #[arg(long)]
    source: Option<String>,
    /// The first open time to extract (a date or an RFC 3339 time).
    #[arg(long)]
    start: Option<String>,
    /// The end of the range to extract (exclusive).
    #[arg(long)]
    end: Option<String>,
    /// The symbol to extract, e.g. BTCUSDT.
    #[arg(long)]
    symbol: Option<String>,
    /// The kline interval to extract, e.g. 1m.
    #[arg(long)]
    interval: Option<String>,
    /// Binance's base URL.
    #[arg(long)]
    binance_url: Option<String>,
    /// Files to read with `--source files` (comma-separated; local or gs://).
    #[arg(long)]
    files: Option<String>,
    /// The object store: `local` or `gcs`.
    #[arg(long)]
    store: Option<String>,
    /// The local store's folder.
    #[arg(long)]
    data_dir: Option<String>,
    /// The GCS bucket (GCS_BUCKET_NAME).
    #[arg(long)]
    gcs_bucket: Option<String>,
    /// The warehouse: `duckdb` or `bigquery`.
    #[arg(long)]
    warehouse: Option<String>,
    /// The DuckDB database file.
    #[arg(long)]
    duckdb_path: Option<String>,
    /// The BigQuery project (PROJECT_ID).
    #[arg(long)]
    project_id: Option<String>,
    /// The staging dataset.
    #[arg(long)]
    staging_dataset: Option<String>,
    /// The production dataset of the raw table (BIGQUERY_RAW_DATASET).
    #[arg(long)]
    raw_dataset: Option<String>,
    /// The production dataset of the processed table (BIGQUERY_TRANSFORMED_DATASET).
    #[arg(long)]
    transformed_dataset: Option<String>,
    /// How loads treat existing rows: `append` or `truncate`.
    #[arg(long)]
    load_mode: Option<String>,
    /// Where the gates check: `polars` or `warehouse`.
    #[arg(long)]
    validation: Option<String>,
}

impl SettingArgs {
    /// Every layer, these flags on top.
    fn layers(&self) -> Result<Layers, RunError> {
        let vars = |name: &str| std::env::var(name).ok();
        let mut layers = Layers::load(&self.conf_dir, self.env.as_deref(), &vars)?;
        let flags = [
            ("source", &self.source),
            ("start", &self.start),
            ("end", &self.end),
            ("symbol", &self.symbol),
            ("interval", &self.interval),
            ("binance_url", &self.binance_url),
            ("files", &self.files),
            ("store", &self.store),
            ("data_dir", &self.data_dir),
            ("gcs_bucket", &self.gcs_bucket),
            ("warehouse", &self.warehouse),
            ("duckdb_path", &self.duckdb_path),
            ("project_id", &self.project_id),
            ("staging_dataset", &self.staging_dataset),
            ("raw_dataset", &self.raw_dataset),
            ("transformed_dataset", &self.transformed_dataset),
            ("load_mode", &self.load_mode),
            ("validation", &self.validation),
        ];
        for (key, value) in flags {
            if let Some(value) = value {
                layers.set_flag(key, value.clone())?;
            }
        }
        Ok(layers)
    }

    fn resolve(&self) -> Result<(Layers, Config), RunError> {
        let layers = self.layers()?;
        let config = layers.resolve()?;
        Ok((layers, config))
    }
}

/// How `contracts query` prints rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RowFormat {
    /// An aligned table.
    Table,
    /// CSV with a header.
    Csv,
    /// One JSON object per row (NDJSON).
    Json,
}

/// `contracts run`: one run, its summary, and the exit code of its outcome.
pub fn run(
    pipeline: &Pipeline,
    settings: &SettingArgs,
    quiet: bool,
) -> Result<(String, ExitCode), RunError> {
    let (layers, config) = settings.resolve()?;
    shutdown::install()
        .map_err(|error| RunError::service(format!("cannot handle SIGTERM and SIGINT: {error}")))?;
    let environment = Environment::open(&config).map_err(RunError::service)?;
    let options = RunOptions {
        progress: !quiet && std::io::stderr().is_terminal(),
    };
    let output = run_pipeline(pipeline, &layers, &config, &environment, options);
    let code = match output.report.outcome {
        Outcome::Promoted => ExitCode::SUCCESS,
        Outcome::StoppedAtRawGate | Outcome::StoppedAtProcessedGate => ExitCode::from(EXIT_FAILED),
        Outcome::Failed => exit_code(output.report.failure.unwrap_or(FailureKind::Service)),
    };
    let summary = output.report.render_summary(&output.location);
    Ok((crate::secrets::redact(&summary).into_owned(), code))
}

/// `contracts query`: the rows of `sql`, one SELECT, run read-only in the
/// production warehouse when no promotion is in progress or interrupted
/// ([`query_production`]).
pub fn query(
    sql: &str,
    format: RowFormat,
    settings: &SettingArgs,
) -> Result<(String, ExitCode), RunError> {
    let layers = settings.layers()?;
    let store = open_store(&layers.store()?).map_err(RunError::service)?;
    let lease = layers.promotion_lease()?;
    // Refused before the warehouse is even opened (an embedded one is
    // locked while a run writes it).
    refuse_pending(store.as_ref(), lease)?;
    let warehouse_config = layers.warehouse()?;
    let warehouse =
        open_warehouse(&warehouse_config, Access::ReadOnly).map_err(RunError::service)?;
    let mut rows = query_production(store.as_ref(), warehouse.as_ref(), sql, lease)?;
    Ok((render_rows(&mut rows, format)?, ExitCode::SUCCESS))
}

/// `contracts recover`: finishes a promotion a dead process left behind
/// (rolls it back, or completes it if it had committed).
pub fn recover(settings: &SettingArgs) -> Result<(String, ExitCode), RunError> {
    let layers = settings.layers()?;
    let store = open_store(&layers.store()?).map_err(RunError::service)?;
    let lease = layers.promotion_lease()?;
    let in_progress = |run| {
        (
            format!(
                "run {run} is promoting and its holder may be at work; left alone (its lease decides when it counts as dead)\n"
            ),
            ExitCode::from(EXIT_FAILED),
        )
    };
    match pending(store.as_ref(), lease).map_err(RunError::service)? {
        None => return Ok(("no promotion to recover\n".into(), ExitCode::SUCCESS)),
        Some((run, true)) => return Ok(in_progress(run)),
        Some((_, false)) => {}
    }
    let warehouse_config = layers.warehouse()?;
    let warehouse =
        open_warehouse(&warehouse_config, Access::ReadWrite).map_err(RunError::service)?;
    Ok(
        match recover_promotion(store.as_ref(), warehouse.as_ref(), lease)
            .map_err(RunError::service)?
        {
            Recovery::Nothing => ("no promotion to recover\n".into(), ExitCode::SUCCESS),
            Recovery::RolledBack(run) => (
                format!("rolled back the interrupted promotion of run {run}\n"),
                ExitCode::SUCCESS,
            ),
            Recovery::Completed(run) => (
                format!("completed the committed promotion of run {run}\n"),
                ExitCode::SUCCESS,
            ),
            Recovery::InProgress(run) => in_progress(run),
        },
    )
}

fn render_rows(rows: &mut DataFrame, format: RowFormat) -> Result<String, RunError> {
    let mut bytes = Cursor::new(Vec::new());
    match format {
        // Polars shortens long tables (POLARS_FMT_MAX_ROWS sets how
        // much); --format csv or json prints every row.
        RowFormat::Table => return Ok(format!("{rows}\n{} row(s)\n", rows.height())),
        RowFormat::Csv => CsvWriter::new(&mut bytes)
            .include_header(true)
            .finish(rows)
            .map_err(RunError::input)?,
        RowFormat::Json => JsonWriter::new(&mut bytes)
            .with_json_format(JsonFormat::JsonLines)
            .finish(rows)
            .map_err(RunError::input)?,
    }
    String::from_utf8(bytes.into_inner()).map_err(RunError::input)
}
