//! `contracts validate`: files, or a warehouse table, against a table's
//! contract.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::{EXIT_FAILED, flagged_table, flagged_warehouse, lookup, pretty, reading_options};
use crate::pipeline::RunError;
use crate::sql::TableRef;
use crate::validate::{
    Kernels, Options, References, Rows, SchemaPolicy, ValidationError, validate as validate_input,
    validate_in_warehouse,
};
use crate::{Registry, input, odcs};

/// The arguments of `contracts validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The table name (see `contracts list`).
    table: String,
    /// The files, read in order as one table; globs are expanded.
    #[arg(required_unless_present_any = ["warehouse", "odcs"], conflicts_with_all = ["warehouse", "odcs"])]
    files: Vec<String>,
    /// Validate the files a `local` server of this ODCS document names (its
    /// path relative to the working directory), read with its reading
    /// options.
    #[arg(long, value_name = "FILE", conflicts_with = "warehouse")]
    odcs: Option<PathBuf>,
    /// Which `local` server of --odcs (default: its only one).
    #[arg(long, value_name = "NAME", requires = "odcs")]
    server: Option<String>,
    /// Validate the warehouse table `<dataset>.<table>` instead of files:
    /// DuckDB at --duckdb, or BigQuery with --bigquery-project.
    #[arg(long)]
    warehouse: bool,
    /// The warehouse dataset (a schema in DuckDB) holding the table.
    #[arg(long, default_value = "staging", requires = "warehouse")]
    dataset: String,
    /// The DuckDB database file.
    #[arg(long, default_value = "data/warehouse.duckdb", requires = "warehouse")]
    duckdb: PathBuf,
    /// Validate in BigQuery, in this project (BIGQUERY_EMULATOR_HOST
    /// selects an emulator).
    #[arg(long, requires = "warehouse")]
    bigquery_project: Option<String>,
    /// How to render the report.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Write the report here (and a text summary to stdout).
    #[arg(long)]
    output: Option<PathBuf>,
    /// How the files' columns must match the contract.
    #[arg(long, value_enum, default_value_t = SchemaPolicy::Coerce)]
    schema_policy: SchemaPolicy,
    /// At most this many failing example rows per check.
    #[arg(long, default_value_t = 10)]
    max_examples: usize,
    /// Which code evaluates the hot checks of files in memory (both give
    /// the same report).
    #[arg(long, value_enum, default_value_t = Kernels::Native, conflicts_with = "warehouse")]
    kernels: Kernels,
    /// The rows of a table the contract's foreign keys reference:
    /// `TABLE=FILES` (a path or glob, read like the files), or with
    /// --warehouse `TABLE=DATASET.TABLE` (default: the table of that name
    /// in --dataset). Repeat for each referenced table.
    #[arg(long = "reference", value_name = "TABLE=SOURCE")]
    references: Vec<String>,
    /// How the files are read (CSV options and time formats).
    #[command(flatten)]
    reading: input::ReadingText,
}

/// The files of the `local` server `name` (or the only one) of the ODCS
/// document at `path` (its path as written: relative to the working
/// directory, as it was given to `--files`), and how to read them.
fn served_files(
    path: &Path,
    name: Option<&str>,
) -> Result<(Vec<String>, input::ReadingText), RunError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| RunError::input(format!("cannot read {}: {error}", path.display())))?;
    let within = |error: String| RunError::input(format!("{}: {error}", path.display()));
    let document = odcs::parse(&text).map_err(within)?;
    let servers = odcs::file_servers(&document).map_err(|error| within(error.to_string()))?;
    let names: Vec<&str> = servers.iter().map(|server| server.name.as_str()).collect();
    let server = match name {
        Some(name) => servers.iter().find(|server| server.name == name),
        None if servers.len() == 1 => servers.first(),
        None => None,
    }
    .ok_or_else(|| {
        RunError::usage(format!(
            "{}: {} (its local servers: {})",
            path.display(),
            match name {
                Some(name) => format!("no local server `{name}`"),
                None => "name one local server with --server".to_string(),
            },
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ))
    })?;
    let by_extension = odcs::FileServer::new(&server.path, Default::default()).format;
    if by_extension != server.format {
        return Err(RunError::input(format!(
            "{}: the local server `{}` says `{}` but its path `{}` names {by_extension} files",
            path.display(),
            server.name,
            server.format,
            server.path
        )));
    }
    Ok((vec![server.path.clone()], server.reading.clone()))
}

/// `--reference TABLE=SOURCE`, each: in a warehouse, the table
/// `DATASET.TABLE`; otherwise the files, read as the validated files are,
/// with the referenced table's contract.
fn referenced(
    registry: &Registry,
    given: &[String],
    in_warehouse: bool,
    reading: &input::Reading,
) -> Result<References, RunError> {
    let mut references = References::default();
    for pair in given {
        let (table, source) = pair
            .split_once('=')
            .ok_or_else(|| RunError::usage(format!("--reference `{pair}`: write TABLE=SOURCE")))?;
        let contract = lookup(registry, table)?;
        references = if in_warehouse {
            let (dataset, name) = source.split_once('.').ok_or_else(|| {
                RunError::usage(format!(
                    "--reference `{pair}`: with --warehouse, write TABLE=DATASET.TABLE"
                ))
            })?;
            let location = TableRef::new(dataset, name)
                .map_err(|error| RunError::usage(format!("--reference `{pair}`: {error}")))?;
            references.with_table(table, location)
        } else {
            let paths = expand_globs(&[source.to_string()]).map_err(RunError::usage)?;
            let reading = reading.clone().for_contract(contract);
            let rows = input::read_files(&paths, &reading.csv).map_err(RunError::input)?;
            references.with_rows(table, rows)
        };
    }
    Ok(references)
}

/// The renderings of a validation report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Human text, in colour on a terminal.
    Text,
    /// The report as JSON (its schema: `Report::json_schema`).
    Json,
    /// Markdown, for CI step summaries.
    Markdown,
    /// JUnit XML, one testcase per check.
    Junit,
}

/// Validates the files (or the warehouse table) `args` name; the report,
/// rendered, and exit 0 or 1 by whether the data passed.
pub fn validate(
    registry: &Registry,
    args: &ValidateArgs,
    color: bool,
) -> Result<(String, ExitCode), RunError> {
    let ValidateArgs {
        table,
        files,
        warehouse,
        dataset,
        duckdb,
        bigquery_project,
        format,
        output,
        schema_policy,
        max_examples,
        kernels,
        reading,
        odcs,
        server,
        references,
    } = args;
    let contract = lookup(registry, table)?;
    if (*warehouse || odcs.is_some()) && *reading != input::ReadingText::default() {
        return Err(RunError::usage(
            "the reading options (--null-values, --delimiter, …) are for files named here, not --warehouse or --odcs",
        ));
    }
    let (files, reading) = match odcs {
        Some(document) => served_files(document, server.as_deref())?,
        None => (files.clone(), reading.clone()),
    };
    let csv_reading = reading_options(&reading)?;
    let reading = csv_reading.clone().for_contract(contract);
    let options = Options {
        schema_policy: *schema_policy,
        max_examples: *max_examples,
        kernels: *kernels,
        formats: reading.formats.clone(),
        references: referenced(registry, references, *warehouse, &csv_reading)?,
        ..Options::default()
    };
    let report = if *warehouse {
        let project = bigquery_project.as_deref();
        let table = flagged_table(dataset, &contract.name, project)?;
        let warehouse = flagged_warehouse(duckdb, project)?;
        validate_in_warehouse(warehouse.as_ref(), &table, Rows::All, contract, &options)?
    } else {
        let paths = expand_globs(&files).map_err(RunError::usage)?;
        let input = input::read_files(&paths, &reading.csv).map_err(RunError::input)?;
        // The files are read as the checks run: a damaged page is
        // found then, and named by its file.
        validate_input(input, contract, &options).map_err(|error| match error {
            ValidationError::Damaged(named) => RunError::input(named),
            other => {
                let names: Vec<String> = paths
                    .iter()
                    .map(|path| path.display().to_string())
                    .collect();
                RunError::from(other).context(names.join(", "))
            }
        })?
    };
    let rendered = match format {
        ReportFormat::Text => report.render_text(color),
        ReportFormat::Json => format!("{}\n", pretty(&report)),
        ReportFormat::Markdown => report.render_markdown(),
        ReportFormat::Junit => report.render_junit(),
    };
    let text = match output {
        Some(path) => {
            std::fs::write(path, rendered).map_err(|error| {
                RunError::usage(format!("cannot write {}: {error}", path.display()))
            })?;
            format!(
                "{}report written to {}\n",
                report.render_text(color),
                path.display()
            )
        }
        None => rendered,
    };
    let code = if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    };
    Ok((text, code))
}

/// The files the arguments name: each argument with `*`, `?` or `[` is a
/// glob pattern and must match at least one file.
pub(super) fn expand_globs(arguments: &[String]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for argument in arguments {
        if !argument.contains(['*', '?', '[']) {
            files.push(PathBuf::from(argument));
            continue;
        }
        let matches =
            glob::glob(argument).map_err(|error| format!("bad pattern `{argument}`: {error}"))?;
        let before = files.len();
        for entry in matches {
            files.push(entry.map_err(|error| error.to_string())?);
        }
        if files.len() == before {
            return Err(format!("no file matches `{argument}`"));
        }
    }
    Ok(files)
}
