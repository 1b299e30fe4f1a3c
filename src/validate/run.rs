//! The passes of one validation: compile the planned checks, evaluate them
//! all in one query, fetch examples of the failures in a second, bounded
//! query, and split the rows when asked.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::outcome::{
    conclude_freshness, conclude_rows, conclude_statistic, dtype_at, planned_result, skeleton,
    skipped,
};
use super::schema::{Conformance, conform};
use super::values::json_value;
use super::{Options, ValidationError, elapsed_ms};
use crate::check::polars::{column, failure, statistic};
use crate::check::{CheckKind, PlannedCheck, RowTest, Test, plan};
use crate::report::{CheckResult, Example, FAILED_CHECKS_COLUMN, Report, Split, Status};
use crate::{Contract, Literal, Severity, Statistic};

/// The column holding each row's index in the examples query.
const ROW_INDEX: &str = "__datacontract_row";

/// A planned check with what the engine will evaluate for it.
struct Compiled {
    result: CheckResult,
    how: How,
    /// For a parse check: the column holding the text as it was read, shown
    /// in examples instead of the (NULL) parsed value.
    raw_column: Option<String>,
}

enum How {
    /// Count the rows for which the expression is true.
    Rows {
        failing: Expr,
        /// A dedup key: true on the first row of each key, to count the
        /// distinct keys among failing rows in the same pass.
        first_of_key: Option<Expr>,
    },
    /// Compare an aggregate with bounds.
    Statistic {
        /// The aggregate; `None` for the row count, which every pass has.
        expr: Option<Expr>,
        statistic: Statistic,
        min: Option<Literal>,
        max: Option<Literal>,
        dtype: Option<DataType>,
    },
    /// Compare the newest value with the reference time.
    Freshness { expr: Expr, max_age_seconds: u64 },
    /// Reported as skipped; nothing is evaluated.
    Skip,
}

pub fn run(
    frame: LazyFrame,
    streaming: bool,
    contract: &Contract,
    options: &Options,
    report: &mut Report,
) -> Result<(), ValidationError> {
    let started = Instant::now();
    let mut frame = frame;
    let actual = frame.collect_schema()?;
    let conformance = conform(&actual, contract, options.schema_policy);
    let expected = contract.polars_schema();
    let dtype_of = |path: &str| dtype_at(&expected, path);
    let mut compiled: Vec<Compiled> = Vec::new();
    if !conformance.casts.is_empty() {
        let lost: Vec<Expr> = conformance
            .casts
            .iter()
            .map(|c| c.lost.clone().alias(lost_column(&c.column)))
            .collect();
        let raw: Vec<Expr> = conformance
            .casts
            .iter()
            .map(|c| col(c.column.as_str()).alias(raw_column(&c.column)))
            .collect();
        let casts: Vec<Expr> = conformance.casts.iter().map(|c| c.cast.clone()).collect();
        frame = frame
            .with_columns(lost)
            .with_columns(raw)
            .with_columns(casts);
        for cast in &conformance.casts {
            compiled.push(Compiled {
                result: skeleton(
                    format!("{}.parse", cast.column),
                    CheckKind::Schema,
                    vec![cast.column.clone()],
                    Severity::Error,
                    format!("every value parses ({})", cast.description),
                ),
                how: How::Rows {
                    failing: col(lost_column(&cast.column)),
                    first_of_key: None,
                },
                raw_column: Some(raw_column(&cast.column)),
            });
        }
    }
    report.checks.extend(conformance.findings.iter().cloned());
    report.timings.schema_ms = elapsed_ms(started);

    for check in plan(contract) {
        compiled.push(compile(check, &conformance, &dtype_of));
    }

    let started = Instant::now();
    let passes = single_pass(frame.clone(), &compiled, streaming)?;
    // Over no rows the pass has no row to hold the count in (its per-row
    // flags are empty too); otherwise a missing count is an error.
    let rows = match passes.height() {
        0 => 0,
        _ => passes
            .column("__rows")?
            .get(0)?
            .extract::<u64>()
            .ok_or_else(
                || polars_err!(ComputeError: "the validation pass returned no row count"),
            )?,
    };
    report.input.rows = rows;
    let reference = options.reference_time.unwrap_or_else(Utc::now);
    for (index, check) in compiled.iter_mut().enumerate() {
        evaluate(check, &passes, index, rows, reference)?;
    }
    report.timings.checks_ms = elapsed_ms(started);

    let started = Instant::now();
    fetch_examples(
        frame.clone(),
        &mut compiled,
        &passes,
        options.max_examples,
        streaming,
    )?;
    report.timings.examples_ms = elapsed_ms(started);

    if options.split {
        let started = Instant::now();
        report.split = Some(split(frame, &compiled, &actual, streaming)?);
        report.timings.split_ms = elapsed_ms(started);
    }
    report.checks.extend(compiled.into_iter().map(|c| c.result));
    Ok(())
}

fn lost_column(column: &str) -> String {
    format!("__datacontract_lost_{column}")
}

fn raw_column(column: &str) -> String {
    format!("__datacontract_raw_{column}")
}

/// Turns a planned check into what the engine evaluates, or a skip.
fn compile(
    check: PlannedCheck,
    conformance: &Conformance,
    dtype_of: &dyn Fn(&str) -> Option<DataType>,
) -> Compiled {
    let result = planned_result(&check);
    let skip = |result: CheckResult, reason: String| Compiled {
        result: skipped(result, reason),
        how: How::Skip,
        raw_column: None,
    };
    if let Some(reason) = check
        .columns
        .iter()
        .find_map(|c| conformance.unusable_reason(c))
    {
        return skip(result, format!("skipped: {reason}"));
    }
    let how = match check.test {
        Test::Row(test) => {
            let failing = match failure(&test, dtype_of) {
                Ok(failing) => failing,
                Err(error) => return skip(result, format!("cannot run in Polars: {error}")),
            };
            let first_of_key = match (&test, check.kind) {
                (RowTest::Duplicated { columns }, CheckKind::DedupKey) => {
                    Some(as_struct(columns.iter().map(|c| column(c)).collect()).is_first_distinct())
                }
                _ => None,
            };
            How::Rows {
                failing,
                first_of_key,
            }
        }
        Test::Statistic {
            column: path,
            statistic: stat,
            min,
            max,
        } => How::Statistic {
            expr: path.as_deref().map(|path| statistic(&stat, path)),
            dtype: path.as_deref().and_then(dtype_of),
            statistic: stat,
            min,
            max,
        },
        Test::Freshness {
            column: path,
            max_age_seconds,
        } => How::Freshness {
            expr: column(&path).max(),
            max_age_seconds,
        },
        Test::Unsupported { reason } => return skip(result, reason),
    };
    Compiled {
        result,
        how,
        raw_column: None,
    }
}

/// Every check in one query over the data: a boolean column per row check
/// (`true` on failing rows) and a scalar per statistic, side by side.
fn single_pass(
    frame: LazyFrame,
    compiled: &[Compiled],
    streaming: bool,
) -> PolarsResult<DataFrame> {
    let mut columns = vec![len().cast(DataType::UInt64).alias("__rows")];
    for (index, check) in compiled.iter().enumerate() {
        match &check.how {
            How::Rows {
                failing,
                first_of_key,
            } => {
                columns.push(failing.clone().alias(flag(index)));
                if let Some(first) = first_of_key {
                    columns.push(
                        failing
                            .clone()
                            .and(first.clone())
                            .sum()
                            .cast(DataType::UInt64)
                            .alias(format!("__k{index}")),
                    );
                }
            }
            How::Statistic {
                expr: Some(expr), ..
            }
            | How::Freshness { expr, .. } => {
                columns.push(expr.clone().alias(format!("__c{index}")));
            }
            How::Statistic { expr: None, .. } => {}
            How::Skip => {}
        }
    }
    collect(frame.select(columns), streaming)
}

fn flag(index: usize) -> String {
    format!("__f{index}")
}

fn collect(frame: LazyFrame, streaming: bool) -> PolarsResult<DataFrame> {
    if streaming {
        Ok(frame
            .collect_with_engine(Engine::Streaming)?
            .unwrap_single())
    } else {
        frame.collect()
    }
}

/// Sets a check's status and observation from the single pass's totals.
fn evaluate(
    check: &mut Compiled,
    passes: &DataFrame,
    index: usize,
    rows: u64,
    reference: DateTime<Utc>,
) -> PolarsResult<()> {
    let value = |name: String| -> PolarsResult<AnyValue<'static>> {
        let column = passes.column(&name)?;
        Ok(if column.is_empty() {
            AnyValue::Null
        } else {
            column.get(0)?.into_static()
        })
    };
    let result = &mut check.result;
    match &check.how {
        How::Skip => {}
        How::Rows { first_of_key, .. } => {
            let failing = passes.column(&flag(index))?.bool()?.sum().unwrap_or(0) as u64;
            conclude_rows(result, failing, rows);
            if first_of_key.is_some() && result.status == Status::Fail {
                let keys = value(format!("__k{index}"))?
                    .extract::<u64>()
                    .ok_or_else(|| polars_err!(ComputeError: "no count of duplicated keys"))?;
                result.observed = Some(serde_json::json!({
                    "duplicated_rows": failing,
                    "duplicated_keys": keys,
                }));
            }
        }
        How::Statistic {
            statistic,
            min,
            max,
            dtype,
            ..
        } => {
            let observed = match statistic {
                Statistic::RowCount => AnyValue::Float64(rows as f64),
                _ => value(format!("__c{index}"))?,
            };
            conclude_statistic(
                result,
                &observed,
                statistic,
                dtype.as_ref(),
                min.as_ref(),
                max.as_ref(),
            );
        }
        How::Freshness {
            max_age_seconds, ..
        } => {
            let newest = value(format!("__c{index}"))?;
            conclude_freshness(result, &newest, *max_age_seconds, reference);
        }
    }
    Ok(())
}

/// A second, bounded query: the rows of the first `max_examples` failures
/// of each failed row check, with the columns it reads.
fn fetch_examples(
    frame: LazyFrame,
    compiled: &mut [Compiled],
    passes: &DataFrame,
    max_examples: usize,
    streaming: bool,
) -> PolarsResult<()> {
    let mut wanted: Vec<(usize, Vec<IdxSize>)> = Vec::new();
    for (index, check) in compiled.iter().enumerate() {
        if !matches!(check.how, How::Rows { .. }) || check.result.status != Status::Fail {
            continue;
        }
        let failing = passes.column(&flag(index))?.bool()?.clone();
        let rows: Vec<IdxSize> = failing
            .iter()
            .enumerate()
            .filter(|(_, failed)| *failed == Some(true))
            .map(|(row, _)| row as IdxSize)
            .take(max_examples)
            .collect();
        wanted.push((index, rows));
    }
    if wanted.iter().all(|(_, rows)| rows.is_empty()) {
        return Ok(());
    }
    let mut all_rows: Vec<IdxSize> = wanted
        .iter()
        .flat_map(|(_, rows)| rows.iter().copied())
        .collect();
    all_rows.sort_unstable();
    all_rows.dedup();
    let mut columns: Vec<String> = Vec::new();
    for (index, _) in &wanted {
        for (_, source) in shown_columns(&compiled[*index]) {
            if !columns.contains(&source) {
                columns.push(source);
            }
        }
    }
    let mut selection: Vec<Expr> = vec![col(ROW_INDEX)];
    selection.extend(columns.iter().map(|name| col(name.as_str())));
    let wanted_rows = Series::new("rows".into(), all_rows);
    let fetched = collect(
        frame
            .with_row_index(ROW_INDEX, None)
            .filter(col(ROW_INDEX).is_in(lit(wanted_rows).implode(true), false))
            .select(selection),
        streaming,
    )?;
    let positions: std::collections::HashMap<IdxSize, usize> = fetched
        .column(ROW_INDEX)?
        .idx()?
        .iter()
        .enumerate()
        .filter_map(|(position, row)| Some((row?, position)))
        .collect();
    for (index, rows) in wanted {
        let check = &mut compiled[index];
        let shown = shown_columns(check);
        let mut examples = Vec::new();
        for row in &rows {
            let position = *positions.get(row).ok_or_else(|| {
                polars_err!(ComputeError: "example row {row} of {} was not read back", check.result.id)
            })?;
            let mut values = BTreeMap::new();
            for (name, source) in &shown {
                values.insert(
                    name.clone(),
                    json_value(&fetched.column(source)?.get(position)?),
                );
            }
            examples.push(Example {
                row: Some(*row as u64),
                file: None,
                line: None,
                values,
            });
        }
        check.result.examples = examples;
    }
    Ok(())
}

/// The columns an example of `check` shows: (name shown, column read).
fn shown_columns(check: &Compiled) -> Vec<(String, String)> {
    let mut shown: Vec<(String, String)> = Vec::new();
    for name in &check.result.columns {
        let top = name.split('.').next().unwrap_or(name).to_string();
        let source = check.raw_column.clone().unwrap_or_else(|| top.clone());
        if !shown.iter().any(|(shown_name, _)| *shown_name == top) {
            shown.push((top, source));
        }
    }
    shown
}

/// Rows failing an error-severity row check are quarantined, with the ids
/// of every row check they failed; the other rows are valid.
fn split(
    frame: LazyFrame,
    compiled: &[Compiled],
    actual: &Schema,
    streaming: bool,
) -> PolarsResult<Split> {
    let row_checks: Vec<(&CheckResult, &Expr)> = compiled
        .iter()
        .filter_map(|c| match &c.how {
            How::Rows { failing, .. } => Some((&c.result, failing)),
            _ => None,
        })
        .collect();
    let original: Vec<Expr> = actual.iter_names().map(|name| col(name.clone())).collect();
    let flags: Vec<Expr> = row_checks
        .iter()
        .enumerate()
        .map(|(i, (_, failing))| (*failing).clone().alias(format!("__s{i}")))
        .collect();
    let quarantine: Vec<Expr> = row_checks
        .iter()
        .enumerate()
        .filter(|(_, (result, _))| result.severity == Severity::Error)
        .map(|(i, _)| col(format!("__s{i}")))
        .collect();
    let failed_ids = if row_checks.is_empty() {
        lit(Series::new_empty(
            FAILED_CHECKS_COLUMN.into(),
            &DataType::List(Box::new(DataType::String)),
        ))
    } else {
        let ids: Vec<Expr> = row_checks
            .iter()
            .enumerate()
            .map(|(i, (result, _))| {
                when(col(format!("__s{i}")))
                    .then(lit(result.id.as_str()))
                    .otherwise(lit(NULL).cast(DataType::String))
            })
            .collect();
        concat_list(ids)?.list().drop_nulls()
    };
    let quarantined_flag = if quarantine.is_empty() {
        lit(false)
    } else {
        any_horizontal(quarantine)?
    };
    let flagged = frame
        .with_columns(flags)
        .with_column(quarantined_flag.alias("__quarantined"));
    let valid = collect(
        flagged
            .clone()
            .filter(col("__quarantined").not())
            .select(original.clone()),
        streaming,
    )?;
    let mut quarantined_columns = original;
    quarantined_columns.push(failed_ids.alias(FAILED_CHECKS_COLUMN));
    let quarantined = collect(
        flagged
            .filter(col("__quarantined"))
            .select(quarantined_columns),
        streaming,
    )?;
    Ok(Split { valid, quarantined })
}
