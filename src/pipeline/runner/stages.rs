//! The stages of a run, each a function of the one shape
//! [`super::Run::stage`] runs: the run, its stage record, its progress
//! bar, and what the stage reads.

use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use polars::prelude::*;

use crate::pipeline::config::ValidationEngine;
use crate::pipeline::error::RunError;
use crate::pipeline::history::WithHistory;
use crate::pipeline::in_warehouse::{HistoryRead, InWarehouse};
use crate::pipeline::landing::{Landed, adopt, land};
use crate::pipeline::profile::drift;
use crate::pipeline::promote::{Plan, last_promoted, promote};
use crate::pipeline::reconcile::{Reconciliation, ReconciliationResult};
use crate::pipeline::run_report::{Promotion, StageResult, StageStatus};
use crate::pipeline::source::{Checkpoint, Extract};
use crate::sql::TableRef;
use crate::store::layout::PartitionKey;
use crate::store::{ObjectStore, PartitionError, StoreError, read_partition};
use crate::validate::{Options, Rows, validate, validate_in_warehouse};
use crate::warehouse::landing_contract;
use crate::{Contract, Report, Severity};

use super::{Run, Tables};

/// Writes the rows as an immutable partition in the store.
pub(super) fn land_stage(
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

/// Writes what the source remembers of this run (a cursor's high-water
/// mark), now that the rows it read are in production: had the run
/// stopped or failed a gate before, the next one would read them again.
pub(super) fn commit_checkpoint(
    run: &Run<'_>,
    stage: &mut StageResult,
    checkpoint: Option<&Checkpoint>,
) -> Result<(), RunError> {
    let Some(checkpoint) = checkpoint else {
        return Ok(());
    };
    run.store.put(&checkpoint.key, &checkpoint.contents)?;
    stage.summary = format!("{}; {}", stage.summary, checkpoint.description);
    Ok(())
}

/// Loads a landed partition into its staging table, as it arrived.
pub(super) fn load_stage(
    run: &Run<'_>,
    stage: &mut StageResult,
    bar: &ProgressBar,
    table: &TableRef,
    contract: &Contract,
    partition: &PartitionKey,
) -> Result<(), RunError> {
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
pub(super) fn gate_stage(
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

/// Reads the rows the configuration asks for, from the source it names.
pub(super) fn extract_stage(
    run: &mut Run<'_>,
    stage: &mut StageResult,
    bar: &ProgressBar,
) -> Result<Extract, RunError> {
    let extractor = run.pipeline.extractor(run.layers)?;
    let extract = extractor.extract(run.config, run.store, &run.pipeline.raw, bar)?;
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
}

/// What the transform made, and where.
pub(super) enum Transformed {
    /// Rows made in this process, with the raw rows they are made of.
    InProcess {
        processed: DataFrame,
        input_of_output: DataFrame,
    },
    /// Rows made inside the warehouse, in the staging processed table as
    /// this run's partition: this many.
    InWarehouse { rows: u64 },
}

/// Runs the pipeline's SQL transform inside the warehouse.
pub(super) fn transform_in_warehouse_stage(
    run: &mut Run<'_>,
    stage: &mut StageResult,
    in_warehouse: &InWarehouse<'_>,
    raw: &DataFrame,
) -> Result<Transformed, RunError> {
    let Some(steps) = &run.pipeline.sql_transform else {
        return Err(RunError::usage(format!(
            "the pipeline `{}` has no SQL transform: set `transform = \"polars\"`",
            run.pipeline.name
        )));
    };
    let rows = in_warehouse.transform(steps)?;
    stage.rows_in = Some(raw.height() as u64);
    stage.rows_out = Some(rows);
    let history = match &in_warehouse.history {
        Some(HistoryRead {
            history,
            table: Some(table),
            ..
        }) => format!(
            ", after {} of history from {table}",
            humantime_hours(history.lookback)
        ),
        _ => String::new(),
    };
    stage.summary = format!(
        "{} raw rows{history} → {rows} rows into {}, inside {}",
        raw.height(),
        in_warehouse.staging_processed,
        run.warehouse.dialect().name()
    );
    Ok(Transformed::InWarehouse { rows })
}

/// A duration in hours, for people: `24h`.
fn humantime_hours(duration: chrono::Duration) -> String {
    match duration.num_minutes() % 60 {
        0 => format!("{}h", duration.num_hours()),
        _ => format!("{}min", duration.num_minutes()),
    }
}

/// Writes the run's processed partition from the staging processed table
/// to the store (the warehouse writes it), then reads it back for the
/// report's profile and drift.
pub(super) fn export_stage(
    run: &Run<'_>,
    stage: &mut StageResult,
    table: &TableRef,
    created_at: DateTime<Utc>,
    rows: u64,
) -> Result<(Landed, DataFrame), RunError> {
    let key =
        PartitionKey::new(&table.dataset, &table.table, created_at, 0).map_err(RunError::usage)?;
    if !run.store.list(&key.folder())?.is_empty() {
        return Err(RunError::service(format!(
            "the processed partition {} already holds files (another run started in the same millisecond?): nothing was exported",
            key.folder()
        )));
    }
    run.warehouse
        .export_partition(table, &run.pipeline.processed, run.store, &key)
        .map_err(|e| RunError::from(e).context(format!("exporting {table} to {}", key.folder())))?;
    let frame = read_partition(run.store, &key.dataset, &key.table, Some(created_at))
        .map_err(|e| RunError::from(e).context("reading back the exported partition"))?;
    if frame.height() as u64 != rows {
        return Err(RunError::service(format!(
            "the export of {table} wrote {} rows to {}, and the transform made {rows}",
            frame.height(),
            key.folder()
        )));
    }
    let landed = adopt(run.store, &key, &frame)
        .map_err(|e| RunError::from(e).context("indexing the exported partition"))?;
    stage.rows_out = Some(rows);
    stage.summary = match landed.reused {
        true => format!(
            "the same rows were already landed at {}; the export was removed",
            landed.key.folder()
        ),
        false => format!(
            "exported by {} to {}",
            run.warehouse.dialect().name(),
            key.folder()
        ),
    };
    stage.details = serde_json::json!({
        "partition": landed.key.to_string(),
        "exported": true,
        "reused": landed.reused,
        "sha256": landed.fingerprint,
    });
    Ok((landed, frame))
}

/// Runs the pipeline's transform over the raw rows (after the production
/// history it asks for); returns its output and the input rows it covers.
pub(super) fn transform_stage(
    run: &mut Run<'_>,
    stage: &mut StageResult,
    tables: &Tables,
    raw: &DataFrame,
) -> Result<Transformed, RunError> {
    let with_history = match &run.pipeline.history {
        Some(history) => history.before(
            raw,
            run.warehouse,
            &tables.production_raw,
            &run.pipeline.raw,
        )?,
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
    Ok(Transformed::InProcess {
        processed: output,
        input_of_output,
    })
}

/// Gate 2: the processed rows (those of the `staged` partition in the
/// staging table) against their contract, the expectations
/// against the input, and drift against the last promoted partition.
/// Returns whether the rows may be promoted.
pub(super) fn gate_processed_stage(
    run: &mut Run<'_>,
    stage: &mut StageResult,
    tables: &Tables,
    processed: &DataFrame,
    staged: &PartitionKey,
    reconcile: &dyn Fn(&Reconciliation) -> Result<ReconciliationResult, RunError>,
) -> Result<bool, RunError> {
    let report = gate_stage(
        run,
        stage,
        processed,
        &tables.staging_processed,
        staged,
        &run.pipeline.processed,
    )?;
    let mut passed = report.passed;
    run.report.processed_validation = Some(report);
    for reconciliation in &run.pipeline.reconciliations {
        let result = reconcile(reconciliation)?;
        passed &= result.passed || result.severity == Severity::Warn;
        run.report.reconciliation.push(result);
    }
    if let Some(rule) = &run.pipeline.processed.drift
        && let Some(previous) = last_promoted(run.store)?
    {
        match read_promoted(run.store, &previous.processed)? {
            Some(reference) => {
                run.report.drift = drift(&reference, processed, rule).map_err(RunError::input)?;
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
}

/// Promotes both partitions to production, all or nothing.
pub(super) fn promote_stage(
    run: &mut Run<'_>,
    stage: &mut StageResult,
    tables: &Tables,
    raw_landed: &Landed,
    processed_landed: &Landed,
    read_at: Option<Vec<u8>>,
) -> Result<(), RunError> {
    let to_production = |from: &PartitionKey, table: &TableRef| {
        PartitionKey::new(&table.dataset, &table.table, from.created_at, 0).map_err(RunError::usage)
    };
    let raw_target = to_production(&raw_landed.key, &tables.production_raw)?;
    let processed_target = to_production(&processed_landed.key, &tables.production_processed)?;
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
    let promoted = promote(run.store, run.warehouse, &plan, run.config.promotion_lease);
    let promoted = promoted?;
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
}
