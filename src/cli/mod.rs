//! The `contracts` command, as a library function so that any crate can
//! ship the same binary over its own contracts:
//!
//! ```no_run
//! use datacontract::{DataContract, Registry};
//!
//! #[derive(DataContract)]
//! struct Trade { id: i64 }
//!
//! fn main() -> std::process::ExitCode {
//!     datacontract::cli::main(Registry::new().with::<Trade>())
//! }
//! ```
//!
//! A crate with a [`Pipeline`] serves `contracts run` and `contracts query`
//! too, through [`main_with_pipeline`].
//!
//! Standard output carries the artifact alone, so it can be piped; errors
//! go to standard error. Exit codes ([`exit_code`]): 0 success, 1 the data
//! failed its contract (or a run stopped at a gate), 2 a usage or input
//! error, 3 a service or infrastructure failure.

mod check;
mod import;
mod logging;
mod pipeline;
mod suggest;
mod validate;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::pipeline::Pipeline;
use crate::pipeline::config::WarehouseConfig;
use crate::pipeline::environment::{Access, open_warehouse};
use crate::pipeline::{FailureKind, RunError};
use crate::schema::{DdlOptions, render_polars_schema};
use crate::sql::TableRef;
use crate::warehouse::Warehouse;
use crate::{Contract, Registry};

pub use logging::{CloudLogging, LogFormat};

/// Exit code for data that fails its contract.
pub const EXIT_FAILED: u8 = 1;
/// Exit code for a usage or input error: flags, settings, an unknown
/// table, a file that cannot be read.
pub const EXIT_USAGE: u8 = 2;
/// Exit code for a service or infrastructure failure: the object store,
/// the warehouse, the source's API, the disk, a signal, another run
/// promoting. Running again later may succeed.
pub const EXIT_SERVICE: u8 = 3;

/// The exit code of a failure of `kind`: the one table from error kinds to
/// exit codes (a failed gate, exit 1, is an outcome, not an error).
pub fn exit_code(kind: FailureKind) -> ExitCode {
    ExitCode::from(match kind {
        FailureKind::Usage | FailureKind::Input => EXIT_USAGE,
        FailureKind::Service => EXIT_SERVICE,
    })
}

#[derive(Debug, Parser)]
#[command(
    name = "contracts",
    version,
    about = "Data contracts: schemas, DDL and checks from Rust structs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How log lines on standard error are written: `text`, or `json`, one
    /// object a line as Google Cloud Logging reads it (also
    /// DATACONTRACT_LOG_FORMAT).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    // Read before parsing (`LogFormat::requested`), so that logging is up
    // first; declared here for `--help` and the value's check.
    #[allow(dead_code)]
    log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the registered tables: name, version, column count, description.
    List,
    /// Print one table's schema.
    Schema {
        /// The table name (see `contracts list`).
        table: String,
        /// Which schema to print.
        #[arg(long, value_enum, default_value_t = SchemaFormat::Bigquery)]
        format: SchemaFormat,
    },
    /// Print the BigQuery CREATE TABLE statement of one table, or of every table.
    Ddl {
        /// The table name; every registered table when omitted.
        table: Option<String>,
        /// The Google Cloud project to qualify the table with (needs --dataset).
        #[arg(long)]
        project: Option<String>,
        /// The dataset to create the table in.
        #[arg(long)]
        dataset: Option<String>,
    },
    /// Print one table's contract as an Open Data Contract Standard (ODCS
    /// v3.1.0) document, in YAML: for catalogues, datacontract-cli, and the
    /// other side of the contract.
    Export {
        /// The table name (see `contracts list`).
        table: String,
        /// The document's format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Odcs)]
        format: ExportFormat,
        /// The BigQuery project of the document's `bigquery` server (no
        /// BigQuery server without it).
        #[arg(long)]
        project: Option<String>,
        /// The dataset (a schema in DuckDB) holding the table.
        #[arg(long, default_value = "production")]
        dataset: String,
        /// The DuckDB database of the document's `duckdb` server.
        #[arg(long, default_value = "data/warehouse.duckdb")]
        duckdb: String,
        /// Files holding the table (a path or a glob): the document gets a
        /// `local` server for them, with the reading options below.
        #[arg(long, value_name = "PATH")]
        files: Option<String>,
        /// How those files are read.
        #[command(flatten)]
        reading: crate::input::ReadingText,
    },
    /// Write the Rust source of `#[derive(DataContract)]` structs from a
    /// contract written in another format.
    ///
    /// Exits 0 when the source is written, 2 when the document cannot be
    /// read or holds what a contract cannot express (every such part named
    /// with its path).
    Import {
        #[command(subcommand)]
        format: import::ImportCommand,
    },
    /// Suggest a contract from data: CSV, Parquet or NDJSON files, or (with
    /// --warehouse) a warehouse table profiled inside the warehouse. Prints
    /// the Rust source of its struct, or ODCS; the data passes it.
    ///
    /// Exits 0 with the suggestion, 2 when the files cannot be read, 3 when
    /// the warehouse fails.
    Suggest(suggest::SuggestArgs),
    /// Validate CSV, Parquet or NDJSON files against a table's contract, or
    /// (with --warehouse) the table in the warehouse, where the checks run
    /// as SQL and only aggregates come back.
    ///
    /// Exits 0 when the data passes, 1 when an error-severity check fails,
    /// 2 when the files or the table cannot be read.
    Validate(validate::ValidateArgs),
    /// Write every contract's generated artifacts (BigQuery schema, DDL, JSON
    /// Schema, the canonical contract) under --dir/<table>/, to be committed.
    Lock {
        /// The lock folder.
        #[arg(long, default_value = check::DEFAULT_LOCK_DIR)]
        dir: PathBuf,
    },
    /// Check the contracts for CI: stale artifacts, breaking changes against
    /// the lock (or a git ref), and optionally warehouse drift and sample data.
    ///
    /// Exits 0 when nothing fails, 1 when a finding is an error, 2 on a usage
    /// or input error (a ref that is no commit, a committed file that is not
    /// a contract), 3 when the disk, git or the warehouse fails.
    Check(check::CheckArgs),
    /// Run the pipeline once: extract, land and load raw, validate, transform,
    /// land and load processed, validate, promote. With no flags: offline,
    /// on the bundled sample, into ./data/ and ./data/warehouse.duckdb.
    ///
    /// Exits 0 when the run promoted, 1 when it stopped at a gate, 2 when the
    /// call, the configuration or the input is wrong, 3 when a service failed
    /// (run again later). The report is written under runs/{run_id}/ in the
    /// store.
    Run {
        #[command(flatten)]
        settings: pipeline::SettingArgs,
        /// Draw no progress bars.
        #[arg(long)]
        quiet: bool,
    },
    /// Run one SELECT against the production warehouse, read-only, and print
    /// the rows. Refused while a promotion is in progress or interrupted.
    Query {
        /// The SQL: one SELECT (DuckDB's dialect embedded, GoogleSQL on BigQuery).
        sql: String,
        /// How to print the rows.
        #[arg(long, value_enum, default_value_t = pipeline::RowFormat::Table)]
        format: pipeline::RowFormat,
        #[command(flatten)]
        settings: pipeline::SettingArgs,
    },
    /// Finish a promotion a dead process left behind: roll it back, or
    /// complete it if it had committed. Every `contracts run` does this
    /// first; this command does it alone.
    ///
    /// Exits 0 when production is whole, 1 when a live promotion holds it.
    Recover {
        #[command(flatten)]
        settings: pipeline::SettingArgs,
    },
    /// The alert channels: `contracts alert test` sends a sample alert
    /// through every configured channel, so an operator can check the
    /// wiring.
    Alert {
        #[command(subcommand)]
        action: AlertCommand,
    },
}

/// What `contracts alert` does.
#[derive(Debug, Subcommand)]
enum AlertCommand {
    /// Send a sample alert through every configured channel (Slack, the
    /// webhook, e-mail), whatever their triggers, and say what became of
    /// each.
    ///
    /// Exits 0 when every channel took it, 3 when one did not, 2 when no
    /// channel is configured or the configuration is wrong.
    Test {
        #[command(flatten)]
        settings: pipeline::SettingArgs,
    },
}

/// The formats `contracts export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    /// ODCS v3.1.0, YAML.
    Odcs,
}

/// The schema formats `contracts schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SchemaFormat {
    /// BigQuery's JSON schema, for `bq mk --schema`.
    Bigquery,
    /// The JSON Schema (2020-12) of one row.
    JsonSchema,
    /// The Arrow schema, as JSON.
    Arrow,
    /// The Polars schema, one `name: dtype` line per column.
    Polars,
}

/// Runs the command line of this process over `registry` and returns the
/// exit code; the whole body of a `contracts` binary's `main`.
pub fn main(registry: Registry) -> ExitCode {
    main_of(&registry, None)
}

/// [`main`], with `contracts run` and `contracts query` serving `pipeline`.
pub fn main_with_pipeline(registry: Registry, pipeline: Pipeline) -> ExitCode {
    main_of(&registry, Some(&pipeline))
}

fn main_of(registry: &Registry, pipeline: Option<&Pipeline>) -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    logging::init(LogFormat::requested(
        &args,
        std::env::var("DATACONTRACT_LOG_FORMAT").ok(),
    ));
    let stdout = std::io::stdout();
    let color = stdout.is_terminal();
    // Standard error stays unlocked between writes: other threads (the
    // promotion's lease renewal, the clients' runtimes) log there too.
    run_with(
        registry,
        pipeline,
        args,
        &mut stdout.lock(),
        &mut std::io::stderr(),
        color,
    )
}

/// `0.1.0`, or `0.1.0 (commit 3f2a…)` when GIT_COMMIT_HASH was set at
/// build or run time (the Docker image sets both).
fn version_text() -> &'static str {
    // Computed once per process (clap wants a string that lives as long as
    // the command), however many times a downstream binary runs the CLI.
    static TEXT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let code = crate::pipeline::run_report::CodeVersion::current();
        match code.commit {
            Some(commit) => format!("{} (commit {commit})", code.version),
            None => code.version,
        }
    });
    TEXT.as_str()
}

/// Runs one command line (`args` includes the program name) over
/// `registry`, writing the artifact to `out` and errors to `err`.
pub fn run<I, T>(registry: &Registry, args: I, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_with(registry, None, args, out, err, false)
}

/// [`run`], with `run` and `query` serving `pipeline` (when given) and
/// ANSI colours in text reports when `color` is set.
pub fn run_with<I, T>(
    registry: &Registry,
    pipeline: Option<&Pipeline>,
    args: I,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut command = Cli::command().version(version_text());
    if let Some(pipeline) = pipeline {
        command = pipeline::with_source_flags(command, pipeline);
    }
    let parsed = command
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(error) => {
            let rendered = error.render().to_string();
            return if error.use_stderr() {
                let _ = write!(err, "{rendered}");
                ExitCode::from(EXIT_USAGE)
            } else {
                let _ = write!(out, "{rendered}");
                ExitCode::SUCCESS
            };
        }
    };
    match execute(registry, pipeline, cli.command, color).and_then(|(text, code)| {
        out.write_all(text.as_bytes())
            .map_err(|error| RunError::service(format!("cannot write the output: {error}")))?;
        Ok(code)
    }) {
        Ok(code) => code,
        Err(error) => {
            let message = error.to_string();
            let _ = writeln!(err, "error: {}", crate::secrets::redact(&message));
            exit_code(error.kind())
        }
    }
}

/// The text a command prints and its exit code, or why it cannot run.
fn execute(
    registry: &Registry,
    pipeline: Option<&Pipeline>,
    command: Command,
    color: bool,
) -> Result<(String, ExitCode), RunError> {
    registry.check_references().map_err(RunError::usage)?;
    let printed = |text: String| Ok((text, ExitCode::SUCCESS));
    let pipeline = || {
        pipeline.ok_or_else(|| {
            RunError::usage(
                "this binary serves no pipeline (build it with cli::main_with_pipeline)",
            )
        })
    };
    match command {
        // The lock and its comparison are files in the repository (and
        // git): a failure there is the call's or the checkout's.
        Command::Lock { dir } => check::lock(registry, &dir),
        Command::Check(args) => check::check(registry, &args),
        Command::Run { settings, quiet } => pipeline::run(pipeline()?, &settings, quiet),
        Command::Query {
            sql,
            format,
            settings,
        } => pipeline::query(pipeline()?, &sql, format, &settings),
        Command::Recover { settings } => pipeline::recover(pipeline()?, &settings),
        Command::Alert {
            action: AlertCommand::Test { settings },
        } => pipeline::alert_test(pipeline().ok(), &settings),
        Command::List => printed(list(registry)),
        Command::Import { format } => import::import(&format),
        Command::Suggest(args) => suggest::suggest_command(&args),
        Command::Export {
            table,
            format: ExportFormat::Odcs,
            project,
            dataset,
            duckdb,
            files,
            reading,
        } => {
            let contract = lookup(registry, &table)?;
            reading_options(&reading)?;
            let files = match files {
                Some(path) => Some(crate::odcs::FileServer::new(&path, reading)),
                None if reading != crate::input::ReadingText::default() => {
                    return Err(RunError::usage(
                        "the reading options describe --files: name them",
                    ));
                }
                None => None,
            };
            let servers = crate::odcs::Servers {
                bigquery_project: project,
                dataset,
                duckdb_path: duckdb,
                files,
            };
            printed(crate::odcs::to_yaml(&crate::odcs::export(
                contract, &servers,
            )))
        }
        Command::Schema { table, format } => printed(schema(lookup(registry, &table)?, format)),
        Command::Validate(args) => validate::validate(registry, &args, color),
        Command::Ddl {
            table,
            project,
            dataset,
        } => {
            let options = DdlOptions {
                project,
                dataset,
                if_not_exists: true,
            };
            let contracts = match &table {
                Some(table) => vec![lookup(registry, table)?],
                None => registry.contracts().iter().collect(),
            };
            let statements = contracts
                .into_iter()
                .map(|contract| contract.ddl(&options).map(|ddl| format!("{ddl}\n")))
                .collect::<Result<Vec<_>, _>>()
                .map_err(RunError::usage)?;
            printed(statements.join("\n"))
        }
    }
}

/// The warehouse `--duckdb` and `--bigquery-project` name: BigQuery when
/// a project is given, else the DuckDB file, which must exist.
fn flagged_warehouse(
    duckdb: &Path,
    bigquery_project: Option<&str>,
) -> Result<Box<dyn Warehouse>, RunError> {
    let config = match bigquery_project {
        Some(project) => WarehouseConfig::BigQuery {
            project: project.to_string(),
            endpoint: None,
            max_bytes_billed: None,
        },
        None if !duckdb.exists() => {
            return Err(RunError::usage(format!(
                "no DuckDB database at {} (pass --duckdb, or --bigquery-project for BigQuery)",
                duckdb.display()
            )));
        }
        None => WarehouseConfig::DuckDb {
            path: duckdb.to_path_buf(),
            memory_limit: None,
        },
    };
    open_warehouse(&config, Access::ReadOnly)
}

/// The table `dataset.name`, in `project` when one is given; a name that
/// is not an identifier is the call's mistake.
fn flagged_table(dataset: &str, name: &str, project: Option<&str>) -> Result<TableRef, RunError> {
    let table = TableRef::new(dataset, name).map_err(RunError::usage)?;
    match project {
        Some(project) => table.in_project(project).map_err(RunError::usage),
        None => Ok(table),
    }
}

/// The reading options of the command line, parsed; a usage error naming
/// the flag when one does not parse.
fn reading_options(text: &crate::input::ReadingText) -> Result<crate::input::Reading, RunError> {
    text.parse().map_err(|error| {
        RunError::usage(format!(
            "--{}: {}",
            error.option.replace('_', "-"),
            error.message
        ))
    })
}

/// The contract of `table`, or a usage error listing the known tables.
fn lookup<'r>(registry: &'r Registry, table: &str) -> Result<&'r Contract, RunError> {
    registry.get(table).ok_or_else(|| {
        let known: Vec<_> = registry
            .contracts()
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        RunError::usage(format!(
            "no contract for table `{table}`; known tables: {} (see `contracts list`)",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ))
    })
}

fn list(registry: &Registry) -> String {
    registry
        .contracts()
        .iter()
        .map(|contract| {
            let summary = contract
                .description
                .as_deref()
                .and_then(|text| text.lines().next())
                .unwrap_or("");
            format!(
                "{}\t{}\t{} columns\t{summary}\n",
                contract.name,
                contract.version,
                contract.fields.len()
            )
        })
        .collect()
}

fn schema(contract: &Contract, format: SchemaFormat) -> String {
    let text = match format {
        SchemaFormat::Bigquery => contract.bigquery_schema_json(),
        SchemaFormat::JsonSchema => pretty(&contract.json_schema()),
        SchemaFormat::Arrow => pretty(&contract.arrow_schema()),
        SchemaFormat::Polars => return render_polars_schema(&contract.polars_schema()),
    };
    format!("{text}\n")
}

fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).expect("schemas are plain data and always serialize")
}
