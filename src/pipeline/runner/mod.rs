//! One run of a pipeline, stage by stage, always ending with a report.

use std::time::Instant;

use chrono::{DateTime, Utc};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::alert;
use crate::pipeline::config::{Config, Layers, TransformEngine, WarehouseConfig};
use crate::pipeline::environment::Environment;
use crate::pipeline::error::RunError;
use crate::pipeline::in_warehouse::{HistoryRead, InWarehouse};
use crate::pipeline::profile::profile;
use crate::pipeline::promote::{Recovery, epoch, recover};
use crate::pipeline::reconcile::Reconciliation;
use crate::pipeline::run_id::RunId;
use crate::pipeline::run_report::{Outcome, RunReport, StageResult, StageStatus};
use crate::pipeline::{Pipeline, html, shutdown};
use crate::sql::TableRef;
use crate::store::ObjectStore;
use crate::store::layout::{PartitionKey, run_key};
use crate::warehouse::{Usage, Warehouse};

mod stages;

use stages::{
    Transformed, commit_checkpoint, export_stage, extract_stage, gate_processed_stage, gate_stage,
    land_stage, load_stage, promote_stage, transform_in_warehouse_stage, transform_stage,
};

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
    // At ERROR level, so that every line logged in the run carries its
    // labels, whatever RUST_LOG lets through.
    let _span = tracing::error_span!("run", %run_id, pipeline = %pipeline.name).entered();
    let progress = MultiProgress::with_draw_target(if options.progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let mut run = Run {
        pipeline,
        layers,
        config,
        store: environment.store.as_ref(),
        warehouse: environment.warehouse.as_ref(),
        progress,
        report: RunReport::new(
            run_id,
            &pipeline.name,
            started_at,
            &config.environment,
            layers.snapshot(),
        ),
    };
    let usage_before = run.warehouse.usage();
    let outcome = run.execute(started_at);
    match outcome {
        Ok(outcome) => run.report.outcome = outcome,
        Err(error) => {
            tracing::error!(%error, "run failed");
            run.report.record_failure(&error);
        }
    }
    run.report.usage = usage_since(run.warehouse, usage_before);
    run.report.finished_at = Utc::now();
    // The report is written first, so that a run killed while a channel
    // hangs still leaves it; when alerts went out, it is written again
    // with what became of them.
    let written = run.write_reports();
    run.report.alerts = alert::notify(&config.alerts, &run.report, written.as_deref().ok());
    let written = match run.report.alerts.is_empty() {
        true => written,
        false => run.write_reports(),
    };
    RunOutput {
        report: run.report,
        location: written.unwrap_or_else(|error| format!("(not written: {error})")),
    }
}

/// What `warehouse` counted since `before`, on an engine that counts.
fn usage_since(warehouse: &dyn Warehouse, before: Option<Usage>) -> Option<Usage> {
    Some(warehouse.usage()?.since(&before?))
}

struct Run<'a> {
    pipeline: &'a Pipeline,
    layers: &'a Layers,
    config: &'a Config,
    store: &'a dyn ObjectStore,
    warehouse: &'a dyn crate::warehouse::Warehouse,
    progress: MultiProgress,
    report: RunReport,
}

impl<'a> Run<'a> {
    fn execute(&mut self, created_at: DateTime<Utc>) -> Result<Outcome, RunError> {
        let tables = Tables::of(self.pipeline, self.config)?;
        let (store, warehouse) = (self.store, self.warehouse);
        // What production was when this run read it: a promotion after
        // this point makes the run's history and drift stale. Read before
        // looking for a promotion in progress: one that starts after it
        // moves it.
        let read_at = epoch(store)?;
        match recover(store, warehouse, self.config.promotion_lease)? {
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

        let extract = self.stage("extract", extract_stage)?;
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
        let (raw, checkpoint) = (extract.frame, extract.checkpoint);
        self.report.profiles.raw = profile(&raw).map_err(RunError::input)?;

        let raw_landed = self.stage("land_raw", |run, stage, _| {
            land_stage(run, stage, &tables.staging_raw, created_at, &raw)
        })?;
        self.stage("load_raw", |run, stage, bar| {
            load_stage(
                run,
                stage,
                bar,
                &tables.staging_raw,
                &run.pipeline.raw,
                &raw_landed.key,
            )
        })?;
        let raw_report = self.stage("gate_raw", |run, stage, _| {
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
            self.log_gate_failure("raw");
            return Ok(Outcome::StoppedAtRawGate);
        }

        let in_warehouse = self.in_warehouse(&tables, &raw, &raw_landed, created_at)?;
        let transformed = match self.config.transform {
            TransformEngine::Polars => self.stage("transform", |run, stage, _| {
                transform_stage(run, stage, &tables, &raw)
            })?,
            TransformEngine::Warehouse => self.stage("transform", |run, stage, _| {
                transform_in_warehouse_stage(run, stage, &in_warehouse, &raw)
            })?,
        };
        // Where staging holds the rows gate 2 judges: the landed partition's
        // (perhaps an earlier run's, whose rows the load merged again), or,
        // made in the warehouse, this run's own, also when the export found
        // an earlier partition with the same rows to promote instead.
        let (processed, processed_landed, staged, input_of_output) = match transformed {
            Transformed::InProcess {
                processed,
                input_of_output,
            } => {
                let landed = self.stage("land_processed", |run, stage, _| {
                    land_stage(
                        run,
                        stage,
                        &tables.staging_processed,
                        created_at,
                        &processed,
                    )
                })?;
                self.stage("load_processed", |run, stage, bar| {
                    load_stage(
                        run,
                        stage,
                        bar,
                        &tables.staging_processed,
                        &run.pipeline.processed,
                        &landed.key,
                    )
                })?;
                let staged = landed.key.clone();
                (processed, landed, staged, Some(input_of_output))
            }
            Transformed::InWarehouse { rows } => {
                let (landed, processed) = self.stage("export_processed", |run, stage, _| {
                    export_stage(run, stage, &tables.staging_processed, created_at, rows)
                })?;
                let staged = PartitionKey::new(
                    &tables.staging_processed.dataset,
                    &tables.staging_processed.table,
                    in_warehouse.created_at,
                    0,
                )
                .map_err(RunError::usage)?;
                (processed, landed, staged, None)
            }
        };
        self.report.profiles.processed = profile(&processed).map_err(RunError::input)?;

        let reconcile = |reconciliation: &Reconciliation| match &input_of_output {
            Some(input) => reconciliation
                .check(input, &processed)
                .map_err(|e| RunError::input(format!("expectation {}: {e}", reconciliation.name))),
            None => in_warehouse.reconcile(reconciliation),
        };
        let processed_passed = self.stage("gate_processed", |run, stage, _| {
            gate_processed_stage(run, stage, &tables, &processed, &staged, &reconcile)
        })?;
        if !processed_passed {
            self.set_last_status(StageStatus::Failed);
            self.report.promotion.reason =
                "not promoted: the processed data failed an error-severity check or expectation"
                    .into();
            self.log_gate_failure("processed");
            return Ok(Outcome::StoppedAtProcessedGate);
        }

        super::failpoint::hit("run:before-promote").map_err(RunError::service)?;
        self.stage("promote", |run, stage, _| {
            promote_stage(
                run,
                stage,
                &tables,
                &raw_landed,
                &processed_landed,
                read_at.clone(),
            )?;
            commit_checkpoint(run, stage, checkpoint.as_ref())
        })?;
        Ok(Outcome::Promoted)
    }

    /// This run's tables and partition in the warehouse, for a transform
    /// and reconciliations that run there.
    fn in_warehouse<'t>(
        &self,
        tables: &'t Tables,
        raw: &polars::prelude::DataFrame,
        raw_landed: &crate::pipeline::landing::Landed,
        created_at: DateTime<Utc>,
    ) -> Result<InWarehouse<'t>, RunError>
    where
        'a: 't,
    {
        let (pipeline, warehouse): (&'a Pipeline, &'a dyn crate::warehouse::Warehouse) =
            (self.pipeline, self.warehouse);
        let history = match &pipeline.history {
            Some(history) => match history.window(raw)? {
                Some(window) => {
                    let exists = warehouse
                        .table_exists(&tables.production_raw)
                        .map_err(|e| {
                            RunError::from(e)
                                .context(format!("looking up {}", tables.production_raw))
                        })?;
                    Some(HistoryRead {
                        history,
                        window,
                        table: exists.then_some(&tables.production_raw),
                    })
                }
                None => None,
            },
            None => None,
        };
        Ok(InWarehouse {
            warehouse,
            raw: &pipeline.raw,
            processed: &pipeline.processed,
            staging_raw: &tables.staging_raw,
            staging_processed: &tables.staging_processed,
            raw_partition: raw_landed.key.created_at,
            run_rows: raw.height() as u64,
            mode: self.config.load_mode,
            created_at: DateTime::from_timestamp_millis(created_at.timestamp_millis())
                .expect("a valid time stays valid when truncated"),
            updated_at: Utc::now(),
            history,
        })
    }

    /// Logs a failed gate at ERROR with what failed it, so that an alert
    /// on the logs alone knows the run, the gate and the checks.
    fn log_gate_failure(&self, gate: &str) {
        tracing::error!(
            gate,
            stage = %format_args!("gate_{gate}"),
            rejected_records = self.report.rejected_count,
            failing_checks = %self.report.gate_failures().join("; "),
            "{}",
            self.report.promotion.reason
        );
    }

    /// Runs one stage: every stage has this shape, so its timing, its
    /// record in the report, its log lines and its progress bar are written
    /// here once. A stage does not start after SIGTERM or SIGINT.
    fn stage<T>(
        &mut self,
        name: &str,
        body: impl FnOnce(&mut Self, &mut StageResult, &ProgressBar) -> Result<T, RunError>,
    ) -> Result<T, RunError> {
        if shutdown::requested() {
            return Err(RunError::service(format!(
                "stopped by a signal (SIGTERM or SIGINT) before the stage `{name}`"
            )));
        }
        let _span = tracing::error_span!("stage", stage = name).entered();
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
            usage: None,
        };
        let bar = self.bar(name);
        let usage_before = self.warehouse.usage();
        let result = body(self, &mut stage, &bar);
        stage.usage = usage_since(self.warehouse, usage_before).filter(|usage| usage.queries > 0);
        bar.finish_and_clear();
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
            usage: None,
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

    fn location_of(&self, key: &str) -> String {
        self.store
            .local_path(key)
            .map(|path| path.display().to_string())
            .or_else(|| self.store.gcs_uri(key))
            .unwrap_or_else(|| key.to_string())
    }

    /// Writes the report three ways, every secret redacted; returns where
    /// the HTML page is, or why a file could not be written.
    fn write_reports(&self) -> Result<String, String> {
        let files = [
            ("report.json", self.report.to_json()),
            ("report.md", self.report.render_markdown()),
            ("report.html", html::render(&self.report)),
        ]
        .map(|(file, text)| (file, crate::secrets::redact(&text).into_owned()));
        let mut written = Ok(String::new());
        for (file, text) in files {
            written = match self.put_run_file(file, text.as_bytes()) {
                Ok(key) => written.map(|_| self.location_of(&key)),
                Err(error) => {
                    tracing::error!(%error, file, "cannot write the run report");
                    Err(error.to_string())
                }
            };
        }
        written
    }
}
