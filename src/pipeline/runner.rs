//! One run of a pipeline, stage by stage, always ending with a report.

use std::time::Instant;

use chrono::{DateTime, Utc};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use polars::prelude::*;

use super::config::{Config, Layers, Source, ValidationEngine, WarehouseConfig};
use super::environment::Environment;
use super::error::RunError;
use super::history::WithHistory;
use super::landing::{Landed, land};
use super::profile::{drift, profile};
use super::promote::{Plan, Recovery, epoch, last_promoted, promote, recover};
use super::report::{
    CodeVersion, Outcome, Profiles, Promotion, RunReport, StageResult, StageStatus,
};
use super::run_id::RunId;
use super::source::{Extractor, FilesExtractor};
use super::{Pipeline, html, shutdown};
use crate::sql::TableRef;
use crate::store::layout::{PartitionKey, run_key};
use crate::store::{ObjectStore, PartitionError, StoreError, read_partition};
use crate::validate::{Options, Rows, validate, validate_in_warehouse};
use crate::warehouse::landing_contract;
use crate::{Contract, Report, Severity};

/// At most this many rejected records are copied into the report itself.
const REJECTED_IN_REPORT: usize = 20;

/// How a run talks to the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunOptions {
    /// Draw progress bars on standard error (when it is a terminal).
    pub progress: bool,
}

/// A finished run: its report and where the report was written.
pub struct RunOutput {
    /// The report.
    pub report: RunReport,
    /// Where `report.html` is, e.g. `data/runs/{run_id}/report.html`.
    pub location: String,
}

/// The tables of one run.
struct Tables {
    staging_raw: TableRef,
    staging_processed: TableRef,
    production_raw: TableRef,
    production_processed: TableRef,
}

impl Tables {
    fn of(pipeline: &Pipeline, config: &Config) -> Result<Self, RunError> {
        let raw = config.raw_table.as_deref().unwrap_or(&pipeline.raw.name);
        let processed = config
            .transformed_table
            .as_deref()
            .unwrap_or(&pipeline.processed.name);
        let table = |dataset: &str, name: &str| -> Result<TableRef, RunError> {
            let table = TableRef::new(dataset, name).map_err(RunError::usage)?;
            match &config.warehouse {
                WarehouseConfig::BigQuery { project, .. } => {
                    table.in_project(project).map_err(RunError::usage)
                }
                WarehouseConfig::DuckDb { .. } => Ok(table),
            }
        };
        let tables = Tables {
            staging_raw: table(&config.staging_dataset, raw)?,
            staging_processed: table(&config.staging_dataset, processed)?,
            production_raw: table(&config.raw_dataset, raw)?,
            production_processed: table(&config.transformed_dataset, processed)?,
        };
        tables.distinct()?;
        Ok(tables)
    }

    /// Refuses two roles for one table: the same dataset and table name,
    /// ignoring case (DuckDB folds it; so may a file system holding the
    /// store's folders).
    fn distinct(&self) -> Result<(), RunError> {
        let roles = [
            ("the staging raw table", &self.staging_raw),
            ("the staging processed table", &self.staging_processed),
            ("the production raw table", &self.production_raw),
            ("the production processed table", &self.production_processed),
        ];
        let same = |a: &TableRef, b: &TableRef| {
            a.dataset.eq_ignore_ascii_case(&b.dataset) && a.table.eq_ignore_ascii_case(&b.table)
        };
        for (index, (role, table)) in roles.iter().enumerate() {
            if let Some((other, _)) = roles[index + 1..].iter().find(|(_, t)| same(table, t)) {
                return Err(RunError::usage(format!(
                    "invalid configuration: {role} and {other} are both `{table}` (names are compared ignoring case); \
                     set raw_table, transformed_table and the datasets so that every table has one role"
                )));
            }
        }
        Ok(())
    }
}

/// Runs `pipeline` once in `environment` and writes its report under
/// `runs/{run_id}/` in the store. Never panics on bad data: every failure
/// ends up in the report.
pub fn run(
    pipeline: &Pipeline,
    layers: &Layers,
    config: &Config,
    environment: &Environment,
    options: RunOptions,
) -> RunOutput {
    let started_at = Utc::now();
    let run_id = RunId::new(started_at);
    let _span = tracing::info_span!("run", %run_id, pipeline = %pipeline.name).entered();
    let progress = MultiProgress::with_draw_target(if options.progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let mut run = Run {
        pipeline,
        config,
        store: environment.store.as_ref(),
        warehouse: environment.warehouse.as_ref(),
        progress,
        report: RunReport {
            run_id: run_id.clone(),
            pipeline: pipeline.name.clone(),
            started_at,
            finished_at: started_at,
            outcome: Outcome::Failed,
            error: None,
            failure: None,
            code: CodeVersion::current(),
            environment: config.environment.clone(),
            configuration: layers.snapshot(),
            stages: Vec::new(),
            raw_validation: None,
            processed_validation: None,
            reconciliation: Vec::new(),
            drift: Vec::new(),
            drift_reference: None,
            profiles: Profiles::default(),
            rejected_count: 0,
            rejected: Vec::new(),
            promotion: Promotion {
                promoted: false,
                reason: "not reached".into(),
                ..Promotion::default()
            },
        },
    };
    let outcome = run.execute(started_at);
    match outcome {
        Ok(outcome) => run.report.outcome = outcome,
        Err(error) => {
            tracing::error!(%error, "run failed");
            run.report.outcome = Outcome::Failed;
            run.report.promotion.reason = format!("not promoted: the run failed ({error})");
            run.report.failure = Some(error.kind());
            run.report.error = Some(error.to_string());
        }
    }
    run.report.finished_at = Utc::now();
    let location = run.write_reports();
    RunOutput {
        report: run.report,
        location,
    }
}

struct Run<'a> {
    pipeline: &'a Pipeline,
    config: &'a Config,
    store: &'a dyn ObjectStore,
    warehouse: &'a dyn crate::warehouse::Warehouse,
    progress: MultiProgress,
    report: RunReport,
}

impl Run<'_> {
    fn execute(&mut self, created_at: DateTime<Utc>) -> Result<Outcome, RunError> {
        let tables = Tables::of(self.pipeline, self.config)?;
        let (store, warehouse) = (self.store, self.warehouse);
        // What production was when this run read it: a promotion after
        // this point makes the run's history and drift stale. Read before
        // looking for a promotion in progress: one that starts after it
        // moves it.
        let read_at = epoch(store).map_err(RunError::service)?;
        match recover(store, warehouse, self.config.promotion_lease).map_err(RunError::service)? {
            Recovery::RolledBack(run) => self.skip_stage(
                "recover",
                StageStatus::Warn,
                format!("rolled back the interrupted promotion of run {run}"),
            ),
            Recovery::Completed(run) => self.skip_stage(
                "recover",
                StageStatus::Warn,
                format!("completed the clean-up of run {run}'s committed promotion"),
            ),
            Recovery::InProgress(run) => {
                return Err(RunError::service(format!(
                    "run {run} is promoting to production; this run stops before reading production (its history, its drift reference): run it again when that one has finished"
                )));
            }
            Recovery::Nothing => {}
        }

        let extract = self.stage("extract", |run, stage| {
            let bar = run.bar("extract");
            let files;
            let extractor: &dyn Extractor = match &run.config.source {
                Source::Sample => run
                    .pipeline
                    .sample
                    .as_deref()
                    .ok_or_else(|| RunError::usage("this pipeline bundles no sample"))?,
                Source::Binance { .. } => run
                    .pipeline
                    .api
                    .as_deref()
                    .ok_or_else(|| RunError::usage("this pipeline has no API extractor"))?,
                Source::Files(paths) => {
                    files = FilesExtractor {
                        files: paths.clone(),
                    };
                    &files
                }
            };
            let extract = extractor.extract(run.config, &run.pipeline.raw, &bar)?;
            bar.finish_and_clear();
            stage.rows_out = Some(extract.frame.height() as u64);
            stage.summary = format!(
                "{} rows from {}; {} record(s) rejected",
                extract.frame.height(),
                extract.description,
                extract.rejected.len()
            );
            if !extract.rejected.is_empty() {
                stage.status = StageStatus::Warn;
            }
            stage.details = extract.details.clone();
            Ok(extract)
        })?;
        self.report.rejected_count = extract.rejected.len() as u64;
        self.report.rejected = extract
            .rejected
            .iter()
            .take(REJECTED_IN_REPORT)
            .cloned()
            .collect();
        if !extract.rejected.is_empty() {
            let lines: Vec<String> = extract
                .rejected
                .iter()
                .map(|record| serde_json::to_string(record).expect("plain data"))
                .collect();
            self.put_run_file("rejected.ndjson", (lines.join("\n") + "\n").as_bytes())?;
        }
        let raw = extract.frame;
        self.report.profiles.raw = profile(&raw).map_err(RunError::input)?;

        let raw_landed = self.stage("land_raw", |run, stage| {
            land_stage(run, stage, &tables.staging_raw, created_at, &raw)
        })?;
        self.stage("load_raw", |run, stage| {
            load_stage(
                run,
                stage,
                &tables.staging_raw,
                &run.pipeline.raw,
                &raw_landed.key,
            )
        })?;
        let raw_report = self.stage("gate_raw", |run, stage| {
            gate_stage(
                run,
                stage,
                &raw,
                &tables.staging_raw,
                &raw_landed.key,
                &run.pipeline.raw,
            )
        })?;
        let rejected = self.report.rejected_count;
        let raw_passed = raw_report.passed && rejected == 0;
        self.report.raw_validation = Some(raw_report);
        if !raw_passed {
            self.set_last_status(StageStatus::Failed);
            self.report.promotion.reason = if rejected > 0 {
                format!(
                    "not promoted: {rejected} extracted record(s) were rejected; the raw partition stays in staging"
                )
            } else {
                "not promoted: the raw data failed an error-severity check; the raw partition stays in staging".into()
            };
            return Ok(Outcome::StoppedAtRawGate);
        }

        let (processed, input_of_output) = self.stage("transform", |run, stage| {
            let with_history = match &run.pipeline.history {
                Some(history) => history
                    .before(
                        &raw,
                        run.warehouse,
                        &tables.production_raw,
                        &run.pipeline.raw,
                    )
                    .map_err(RunError::service)?,
                None => WithHistory {
                    input: raw.clone(),
                    from: None,
                    history_rows: 0,
                },
            };
            stage.rows_in = Some(with_history.input.height() as u64);
            let mut output = (run.pipeline.transform)(with_history.input.clone().lazy())
                .and_then(LazyFrame::collect)
                .map_err(|e| RunError::input(format!("the transform failed: {e}")))?;
            // With history, the output keeps only this run's periods, and
            // the expectations compare it with the rows they come from.
            let mut input_of_output = raw.clone();
            if let (Some(history), Some(from)) = (&run.pipeline.history, with_history.from) {
                output = since(&output, &history.processed_time, from)?;
                input_of_output = since(&with_history.input, &history.raw_time, from)?;
            }
            matches_contract(&output, &run.pipeline.processed)?;
            stage.rows_out = Some(output.height() as u64);
            stage.summary = match with_history.history_rows {
                0 => format!("{} rows → {} rows", raw.height(), output.height()),
                history => format!(
                    "{} rows, after {history} rows of production history → {} rows",
                    raw.height(),
                    output.height()
                ),
            };
            Ok((output, input_of_output))
        })?;
        self.report.profiles.processed = profile(&processed).map_err(RunError::input)?;
        let processed_landed = self.stage("land_processed", |run, stage| {
            land_stage(
                run,
                stage,
                &tables.staging_processed,
                created_at,
                &processed,
            )
        })?;
        self.stage("load_processed", |run, stage| {
            load_stage(
                run,
                stage,
                &tables.staging_processed,
                &run.pipeline.processed,
                &processed_landed.key,
            )
        })?;

        let processed_passed = self.stage("gate_processed", |run, stage| {
            let report = gate_stage(
                run,
                stage,
                &processed,
                &tables.staging_processed,
                &processed_landed.key,
                &run.pipeline.processed,
            )?;
            let mut passed = report.passed;
            run.report.processed_validation = Some(report);
            for reconciliation in &run.pipeline.reconciliations {
                let result = reconciliation
                    .check(&input_of_output, &processed)
                    .map_err(|e| RunError::input(format!("expectation {}: {e}", reconciliation.name)))?;
                passed &= result.passed || result.severity == Severity::Warn;
                run.report.reconciliation.push(result);
            }
            if let Some(rule) = &run.pipeline.processed.drift
                && let Some(previous) = last_promoted(run.store).map_err(RunError::service)?
            {
                match read_promoted(run.store, &previous.processed)? {
                    Some(reference) => {
                        run.report.drift =
                            drift(&reference, &processed, rule).map_err(RunError::input)?;
                        run.report.drift_reference = Some(previous.run_id);
                        passed &= !run
                            .report
                            .drift
                            .iter()
                            .any(|d| d.drifted && d.severity == Severity::Error);
                    }
                    None => {
                        stage.status = StageStatus::Warn;
                        stage.summary = format!(
                            "{}; drift skipped: the last promoted partition is missing",
                            stage.summary
                        );
                        stage.details = serde_json::json!({
                            "drift": format!(
                                "skipped: run {}'s processed partition {} is missing from production; this run's promotion names a new reference",
                                previous.run_id, previous.processed
                            )
                        });
                    }
                }
            }
            let failed = run
                .report
                .reconciliation
                .iter()
                .filter(|r| !r.passed)
                .count()
                + run.report.drift.iter().filter(|d| d.drifted).count();
            if failed > 0 {
                stage.status = StageStatus::Warn;
                stage.summary = format!(
                    "{}; {failed} expectation(s) or drift check(s) beyond their limits",
                    stage.summary
                );
            }
            Ok(passed)
        })?;
        if !processed_passed {
            self.set_last_status(StageStatus::Failed);
            self.report.promotion.reason =
                "not promoted: the processed data failed an error-severity check or expectation"
                    .into();
            return Ok(Outcome::StoppedAtProcessedGate);
        }

        super::failpoint::hit("run:before-promote").map_err(RunError::service)?;
        self.stage("promote", |run, stage| {
            let to_production = |from: &PartitionKey, table: &TableRef| {
                PartitionKey::new(&table.dataset, &table.table, from.created_at, 0)
                    .map_err(RunError::usage)
            };
            let raw_target = to_production(&raw_landed.key, &tables.production_raw)?;
            let processed_target =
                to_production(&processed_landed.key, &tables.production_processed)?;
            let plan = Plan {
                run_id: run.report.run_id.clone(),
                partitions: vec![
                    (raw_landed.key.clone(), raw_target.clone()),
                    (processed_landed.key.clone(), processed_target.clone()),
                ],
                loads: vec![
                    (tables.production_raw.clone(), &run.pipeline.raw, raw_target),
                    (
                        tables.production_processed.clone(),
                        &run.pipeline.processed,
                        processed_target.clone(),
                    ),
                ],
                processed: processed_target,
                read_at: read_at.clone(),
            };
            let bar = run.bar("promote");
            let promoted = promote(run.store, run.warehouse, &plan, run.config.promotion_lease);
            bar.finish_and_clear();
            let promoted = promoted.map_err(RunError::service)?;
            if let Some(pending) = &promoted.cleanup_pending {
                stage.status = StageStatus::Warn;
                stage.details = serde_json::json!({ "cleanup_pending": pending });
            }
            stage.summary = format!(
                "{} object(s) copied; {}",
                promoted.objects.len(),
                promoted
                    .tables
                    .iter()
                    .map(|(table, rows)| format!("{table} holds {rows} rows"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            run.report.promotion = Promotion {
                promoted: true,
                reason: "promoted: both gates passed".into(),
                objects: promoted.objects,
                tables: promoted
                    .tables
                    .into_iter()
                    .map(|(table, _)| table)
                    .collect(),
            };
            Ok(())
        })?;
        Ok(Outcome::Promoted)
    }

    /// Runs one stage, timing it and recording its result.
    fn stage<T>(
        &mut self,
        name: &str,
        body: impl FnOnce(&mut Self, &mut StageResult) -> Result<T, RunError>,
    ) -> Result<T, RunError> {
        if shutdown::requested() {
            return Err(RunError::service(format!(
                "stopped by a signal (SIGTERM or SIGINT) before the stage `{name}`"
            )));
        }
        tracing::info!(stage = name, "stage started");
        let began = Instant::now();
        let mut stage = StageResult {
            name: name.into(),
            status: StageStatus::Ok,
            started_at: Utc::now(),
            duration_ms: 0.0,
            rows_in: None,
            rows_out: None,
            summary: String::new(),
            details: serde_json::Value::Null,
        };
        let result = body(self, &mut stage);
        stage.duration_ms = began.elapsed().as_secs_f64() * 1000.0;
        if let Err(error) = &result {
            stage.status = StageStatus::Failed;
            stage.summary = error.to_string();
        }
        tracing::info!(stage = name, status = ?stage.status, ms = stage.duration_ms, summary = %stage.summary, "stage finished");
        self.report.stages.push(stage);
        result
    }

    fn skip_stage(&mut self, name: &str, status: StageStatus, summary: String) {
        self.report.stages.push(StageResult {
            name: name.into(),
            status,
            started_at: Utc::now(),
            duration_ms: 0.0,
            rows_in: None,
            rows_out: None,
            summary,
            details: serde_json::Value::Null,
        });
    }

    fn set_last_status(&mut self, status: StageStatus) {
        if let Some(stage) = self.report.stages.last_mut() {
            stage.status = status;
        }
    }

    /// A spinner (or a bar, once an extractor sets a length) for a stage.
    fn bar(&self, name: &str) -> ProgressBar {
        let bar = self.progress.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix:>10} {wide_bar} {pos}/{len} {msg}")
                .expect("a valid template"),
        );
        bar.set_prefix(name.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    }

    fn put_run_file(&self, file: &str, bytes: &[u8]) -> Result<String, RunError> {
        let key = run_key(self.report.run_id.as_str(), file).map_err(RunError::usage)?;
        self.store.put(&key, bytes)?;
        Ok(key)
    }

    /// Writes the report three ways, every secret redacted; returns where
    /// the HTML page is.
    fn write_reports(&mut self) -> String {
        let files = [
            ("report.json", self.report.to_json()),
            ("report.md", self.report.render_markdown()),
            ("report.html", html::render(&self.report)),
        ]
        .map(|(file, text)| (file, crate::secrets::redact(&text).into_owned()));
        let mut location = String::new();
        for (file, text) in files {
            match self.put_run_file(file, text.as_bytes()) {
                Ok(key) => {
                    location = self
                        .store
                        .local_path(&key)
                        .map(|path| path.display().to_string())
                        .or_else(|| self.store.gcs_uri(&key))
                        .unwrap_or(key);
                }
                Err(error) => {
                    tracing::error!(%error, file, "cannot write the run report");
                    location = format!("(not written: {error})");
                }
            }
        }
        location
    }
}

fn land_stage(
    run: &Run<'_>,
    stage: &mut StageResult,
    table: &TableRef,
    created_at: DateTime<Utc>,
    frame: &DataFrame,
) -> Result<Landed, RunError> {
    let landed = land(run.store, &table.dataset, &table.table, created_at, frame)?;
    stage.rows_out = Some(frame.height() as u64);
    stage.summary = if landed.reused {
        format!(
            "the same rows were already landed at {}",
            landed.key.folder()
        )
    } else {
        format!("landed at {}", landed.key.folder())
    };
    stage.details = serde_json::json!({
        "partition": landed.key.to_string(),
        "reused": landed.reused,
        "sha256": landed.fingerprint,
    });
    Ok(landed)
}

fn load_stage(
    run: &Run<'_>,
    stage: &mut StageResult,
    table: &TableRef,
    contract: &Contract,
    partition: &PartitionKey,
) -> Result<(), RunError> {
    let bar = run.bar("load");
    bar.set_message(table.to_string());
    // Staging is a landing table: every row as it arrived, NULLs and
    // repeated keys included, so that the gate, not the load, judges them.
    let outcome = landing_contract(contract)
        .and_then(|landing| {
            run.warehouse.ensure_dataset(&table.dataset)?;
            run.warehouse.create_table(table, &landing)?;
            run.warehouse.ensure_source_row(table)?;
            run.warehouse.load_partition(
                table,
                &landing,
                run.store,
                partition,
                run.config.load_mode,
            )
        })
        .map_err(|e| RunError::from(e).context(format_args!("loading {table}")));
    bar.finish_and_clear();
    let outcome = outcome?;
    stage.rows_in = Some(outcome.partition_rows);
    stage.rows_out = Some(outcome.table_rows);
    stage.summary = format!(
        "{} rows loaded into {table} as they arrived ({:?}); it holds {} rows",
        outcome.partition_rows, run.config.load_mode, outcome.table_rows
    );
    Ok(())
}

/// Judges the rows this run extracted: the frame in Polars, or, pushed
/// down, the rows the run's partition loaded into the staging table.
fn gate_stage(
    run: &Run<'_>,
    stage: &mut StageResult,
    frame: &DataFrame,
    table: &TableRef,
    partition: &PartitionKey,
    contract: &Contract,
) -> Result<Report, RunError> {
    let options = Options {
        max_examples: run.config.max_examples,
        ..Options::default()
    };
    let report = match run.config.validation {
        ValidationEngine::Polars => validate(frame.clone(), contract, &options),
        ValidationEngine::Warehouse => {
            let rows = Rows::Partition(partition.created_at);
            validate_in_warehouse(run.warehouse, table, rows, contract, &options)
        }
    }?;
    // A gate that judged other rows than the run's (none, some, or more)
    // proves nothing about them: an error, never a pass.
    if report.input.rows != frame.height() as u64 {
        return Err(RunError::service(format!(
            "the gate judged {} rows of {table}, and the run has {}: the staging table does not hold this run's rows (another run's truncate?)",
            report.input.rows,
            frame.height()
        )));
    }
    let s = &report.summary;
    stage.rows_in = Some(report.input.rows);
    stage.summary = format!(
        "{} passed, {} failed (error), {} failed (warn), {} skipped",
        s.passed, s.failed_errors, s.failed_warnings, s.skipped
    );
    if s.failed_warnings > 0 {
        stage.status = StageStatus::Warn;
    }
    Ok(report)
}

/// Checks that a transform's output has exactly the contract's columns,
/// in order, in its dtypes.
fn matches_contract(frame: &DataFrame, contract: &Contract) -> Result<(), RunError> {
    let expected = contract.polars_schema();
    let actual = frame.schema();
    let names = |schema: &Schema| {
        schema
            .iter_names()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
    };
    if names(&expected) != names(actual) {
        return Err(RunError::input(format!(
            "the transform's columns are [{}], the contract `{}` has [{}]",
            names(actual).join(", "),
            contract.name,
            names(&expected).join(", ")
        )));
    }
    for (name, want) in expected.iter() {
        let have = actual.get(name).expect("the names match");
        if have != want {
            return Err(RunError::input(format!(
                "the transform's column `{name}` is {have}, the contract `{}` says {want}",
                contract.name
            )));
        }
    }
    Ok(())
}

/// The rows of `frame` whose `column` (a time) is at or after `from`.
fn since(frame: &DataFrame, column: &str, from: DateTime<Utc>) -> Result<DataFrame, RunError> {
    let dtype = frame
        .column(column)
        .map_err(|e| RunError::input(format!("the history's time column: {e}")))?
        .dtype()
        .clone();
    let from = lit(from.timestamp_micros())
        .cast(DataType::Datetime(TimeUnit::Microseconds, None))
        .cast(dtype);
    frame
        .clone()
        .lazy()
        .filter(col(column).gt_eq(from))
        .collect()
        .map_err(|e| RunError::input(format!("keeping the run's own rows: {e}")))
}

/// The processed rows production was last promoted with, or `None` when
/// that partition is gone (drift is then skipped, with a warning).
fn read_promoted(store: &dyn ObjectStore, key: &str) -> Result<Option<DataFrame>, RunError> {
    let key = PartitionKey::parse(key).map_err(RunError::service)?;
    match read_partition(store, &key.dataset, &key.table, Some(key.created_at)) {
        Ok(frame) => Ok(Some(frame)),
        Err(
            PartitionError::NoPartition { .. } | PartitionError::Store(StoreError::NotFound(_)),
        ) => {
            tracing::warn!(partition = %key, "the last promoted partition is missing; drift is skipped");
            Ok(None)
        }
        Err(error) => Err(RunError::from(error).context("reading the last promoted partition")),
    }
}
