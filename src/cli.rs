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
//! Standard output carries the artifact alone, so it can be piped; errors
//! go to standard error. Exit codes: 0 success, 2 usage or input error.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::schema::{DdlOptions, render_polars_schema};
use crate::{Contract, Registry};

/// Exit code for a usage error, an unknown table or an I/O failure.
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "contracts",
    version,
    about = "Data contracts: schemas, DDL and checks from Rust structs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    run(
        &registry,
        std::env::args_os(),
        &mut stdout.lock(),
        &mut stderr.lock(),
    )
}

/// Runs one command line (`args` includes the program name) over
/// `registry`, writing the artifact to `out` and errors to `err`.
pub fn run<I, T>(registry: &Registry, args: I, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
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
    match execute(registry, cli.command).and_then(|text| {
        out.write_all(text.as_bytes())
            .map_err(|error| format!("cannot write the output: {error}"))
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(err, "error: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// The text a command prints, or the message of why it cannot.
fn execute(registry: &Registry, command: Command) -> Result<String, String> {
    match command {
        Command::List => Ok(list(registry)),
        Command::Schema { table, format } => Ok(schema(lookup(registry, &table)?, format)),
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
                .map_err(|error| error.to_string())?;
            Ok(statements.join("\n"))
        }
    }
}

fn lookup<'r>(registry: &'r Registry, table: &str) -> Result<&'r Contract, String> {
    registry.get(table).ok_or_else(|| {
        let known: Vec<_> = registry
            .contracts()
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        format!(
            "no contract for table `{table}`; known tables: {} (see `contracts list`)",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )
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
