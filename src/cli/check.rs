//! `contracts lock` and `contracts check`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::{EXIT_FAILED, flagged_table, flagged_warehouse};
use crate::compat::{Area, Committed, Finding, Level, check_lock, write_lock};
use crate::pipeline::{FailureKind, RunError};
use crate::validate::{Options, SchemaPolicy, validate};
use crate::warehouse::{ColumnChange, Warehouse};
use crate::{Registry, input};

/// The lock folder when none is given.
pub const DEFAULT_LOCK_DIR: &str = "contracts/schemas";

/// `contracts check`'s flags.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The lock folder (written by `contracts lock`).
    #[arg(long, default_value = DEFAULT_LOCK_DIR)]
    dir: PathBuf,
    /// Compare with the contracts committed at this git ref (e.g.
    /// origin/main) instead of the lock folder.
    #[arg(long, value_name = "REF")]
    against: Option<String>,
    /// Also check the deployed tables for drift: DuckDB at --duckdb, or
    /// BigQuery with --bigquery-project.
    #[arg(long)]
    warehouse: bool,
    /// The dataset holding the deployed tables.
    #[arg(long, default_value = "production", requires = "warehouse")]
    dataset: String,
    /// The DuckDB database file.
    #[arg(long, default_value = "data/warehouse.duckdb", requires = "warehouse")]
    duckdb: PathBuf,
    /// Check BigQuery tables in this project.
    #[arg(long, requires = "warehouse")]
    bigquery_project: Option<String>,
    /// Validate sample data: `<table>=<file>` (CSV, Parquet or NDJSON); repeatable.
    #[arg(long = "data", value_name = "TABLE=FILE")]
    data: Vec<String>,
    /// How to print the findings.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
}

/// The renderings of `contracts check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Human text, with diffs.
    Text,
    /// JSON.
    Json,
    /// JUnit XML: a suite per table, a case per area.
    Junit,
    /// Markdown, for $GITHUB_STEP_SUMMARY.
    Markdown,
}

/// `contracts lock`: writes the artifacts; lists the files.
pub fn lock(registry: &Registry, dir: &Path) -> Result<(String, ExitCode), RunError> {
    let written = write_lock(dir, registry)?;
    let lines: Vec<String> = written
        .iter()
        .map(|p| format!("wrote {}\n", p.display()))
        .collect();
    Ok((lines.concat(), ExitCode::SUCCESS))
}

/// `contracts check`: exits 1 when any finding is an error. A call that
/// cannot work (an unknown table, a ref that is no commit) is a usage
/// error, unreadable sample data an input error, a disk, git or warehouse
/// that fails a service error: each keeps its exit code.
pub fn check(registry: &Registry, args: &CheckArgs) -> Result<(String, ExitCode), RunError> {
    let folder = Committed::Folder(args.dir.clone());
    let against = match &args.against {
        Some(reference) => Committed::GitRef {
            reference: reference.clone(),
            folder: args.dir.clone(),
        },
        None => folder.clone(),
    };
    let mut report = check_lock(registry, &folder, &against)?;
    if args.warehouse {
        let warehouse = flagged_warehouse(&args.duckdb, args.bigquery_project.as_deref())?;
        report.extend(drift_findings(
            registry,
            warehouse.as_ref(),
            &args.dataset,
            args.bigquery_project.as_deref(),
        )?);
    }
    for pair in &args.data {
        report.extend(data_findings(registry, pair)?);
    }
    let text = match args.format {
        CheckFormat::Text => report.render_text(),
        CheckFormat::Json => report.render_json(),
        CheckFormat::Junit => report.render_junit(),
        CheckFormat::Markdown => report.render_markdown(),
    };
    let code = if report.failed() {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    };
    Ok((text, code))
}

fn drift_findings(
    registry: &Registry,
    warehouse: &dyn Warehouse,
    dataset: &str,
    project: Option<&str>,
) -> Result<Vec<Finding>, RunError> {
    let mut findings = Vec::new();
    for contract in registry.contracts() {
        let table = flagged_table(dataset, &contract.name, project)?;
        let drift = warehouse.drift(&table, contract)?;
        let finding = |column: Option<&ColumnChange>, rule: &str, message: String| Finding {
            table: contract.name.clone(),
            column: column.map(|c| c.column.clone()),
            area: Area::Warehouse,
            rule: rule.into(),
            level: Level::Error,
            message,
            fix: format!(
                "migrate {table} to the contract (`contracts ddl {}` prints its DDL), or change the contract",
                contract.name
            ),
            diff: None,
        };
        if !drift.table_exists {
            findings.push(finding(
                None,
                "table_missing",
                format!("{table} does not exist"),
            ));
            continue;
        }
        let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "nothing".into());
        for change in &drift.missing {
            findings.push(finding(
                Some(change),
                "column_missing",
                format!("{table} has no column `{}`", change.column),
            ));
        }
        for change in &drift.extra {
            findings.push(finding(
                Some(change),
                "column_extra",
                format!(
                    "{table} has a column `{}` the contract does not",
                    change.column
                ),
            ));
        }
        for change in drift.changed_type.iter().chain(&drift.changed_mode) {
            findings.push(finding(
                Some(change),
                "column_changed",
                format!(
                    "`{}` is {} in {table}, the contract says {}",
                    change.column,
                    show(&change.actual),
                    show(&change.expected)
                ),
            ));
        }
    }
    Ok(findings)
}

fn data_findings(registry: &Registry, pair: &str) -> Result<Vec<Finding>, RunError> {
    let (table, file) = pair
        .split_once('=')
        .ok_or_else(|| RunError::usage(format!("--data `{pair}`: write <table>=<file>")))?;
    let contract = super::lookup(registry, table)?;
    let input = input::read_files(&[PathBuf::from(file)], &input::CsvOptions::default())
        .map_err(|error| RunError::caused_by(FailureKind::Input, error))?;
    let options = Options {
        schema_policy: SchemaPolicy::Coerce,
        ..Options::default()
    };
    let report = validate(input, contract, &options)?;
    Ok(report
        .errors()
        .map(|check| Finding {
            table: contract.name.clone(),
            column: check.columns.first().cloned(),
            area: Area::Data,
            rule: check.id.clone(),
            level: Level::Error,
            message: format!(
                "{file}: {} failed{} (expected {})",
                check.id,
                check.failing_rows.map(|n| format!(" on {n} row(s)")).unwrap_or_default(),
                check.expected
            ),
            fix: format!("fix the data in {file}, or the contract if the data is right (`contracts validate {} {file}` shows the rows)", contract.name),
            diff: None,
        })
        .collect())
}
