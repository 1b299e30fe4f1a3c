//! Validation pushed down into the warehouse: the same checks as in memory,
//! compiled to SQL ([`crate::check::sql`]), so only aggregates leave it.
//!
//! 1. The live table's schema is compared with the contract (drift): a
//!    missing or mistyped column is a schema finding, and its checks are
//!    skipped.
//! 2. One aggregate query counts the failing rows of every row check and
//!    computes every statistic.
//! 3. For each failed row check, one more query with a LIMIT fetches
//!    example rows, selecting only the columns the check reads. In a
//!    landing table the examples are the first failing rows in the order
//!    they arrived ([`SOURCE_ROW`]), as a validation in memory shows them.
//!
//! [`Rows::Partition`] scopes every query to the rows one partition loaded
//! (its [`CREATED_AT`]), before any window is computed: a pipeline's gate
//! judges exactly the rows its run extracted, duplicates and NULLs
//! included, whatever else the table holds.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::outcome::{
    conclude_freshness, conclude_rows, conclude_statistic, dtype_at, planned_result, skipped,
};
use super::schema::finding;
use super::values::json_value;
use super::{Options, SchemaPolicy, ValidationError, elapsed_ms, new_report};
use crate::check::sql::{SqlCompiler, Window};
use crate::check::{CheckKind, PlannedCheck, RowTest, Test, plan};
use crate::report::{CheckResult, Example, Report, Status};
use crate::sql::{Query, SqlValue, TableRef};
use crate::warehouse::{CREATED_AT, Drift, SOURCE_ROW, Warehouse, WarehouseError};
use crate::{Contract, Statistic};

/// A planned check and the SQL that measures it.
struct Pushed {
    result: CheckResult,
    measure: Measure,
}

enum Measure {
    /// Count the rows for which `failing` holds.
    Rows {
        failing: String,
        first_of_key: Option<String>,
        test: RowTest,
    },
    /// Compare an aggregate with bounds.
    Statistic {
        aggregate: String,
        statistic: Statistic,
        min: Option<crate::Literal>,
        max: Option<crate::Literal>,
        dtype: Option<DataType>,
    },
    /// Compare the newest value with the reference time.
    Freshness {
        aggregate: String,
        max_age_seconds: u64,
    },
    /// Reported as skipped.
    Skip,
}

/// Which rows of a warehouse table a validation reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Every row of the table.
    All,
    /// Only the rows loaded from the partition created at this time (their
    /// [`CREATED_AT`]): one run's rows in a landing table.
    Partition(DateTime<Utc>),
}

/// The table a validation reads, and which of its rows.
struct Source<'a> {
    table: &'a TableRef,
    rows: Rows,
    /// Whether the table numbers its rows ([`SOURCE_ROW`]), as landing
    /// tables do.
    numbered: bool,
}

impl Source<'_> {
    /// The rows as a subquery `__t`, with the windows the checks read
    /// computed over these rows only.
    fn sql(&self, query: &mut Query, windows: &[Window]) -> String {
        let dialect = query.dialect;
        let mut select = "SELECT *".to_string();
        for window in windows {
            select.push_str(&format!(", {} AS {}", window.expr, window.alias));
        }
        select.push_str(&format!(" FROM {}", self.table.quoted(dialect)));
        if let Rows::Partition(created_at) = self.rows {
            let at = query.bind(SqlValue::Timestamp(created_at));
            select.push_str(&format!(
                " WHERE {} = CAST({at} AS {})",
                dialect.quote(CREATED_AT),
                dialect.timestamp_type()
            ));
        }
        format!("({select}) AS __t")
    }
}

/// Validates the rows `rows` of the warehouse table `table` against
/// `contract`, inside the warehouse. `options.split` is not available here
/// (the rows stay in the warehouse); the schema policy decides whether
/// extra columns fail.
pub fn validate_in_warehouse(
    warehouse: &dyn Warehouse,
    table: &TableRef,
    rows: Rows,
    contract: &Contract,
    options: &Options,
) -> Result<Report, ValidationError> {
    let began = Instant::now();
    let started = began;
    let described = match rows {
        Rows::All => format!("{} table {table}", warehouse.dialect().name()),
        Rows::Partition(created_at) => format!(
            "{} table {table}, the rows of the partition created at {}",
            warehouse.dialect().name(),
            created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        ),
    };
    let mut report = new_report(contract, described, Vec::new());
    let live = warehouse
        .live_columns(table)?
        .ok_or_else(|| WarehouseError::NoTable(table.to_string()))?;
    let drift = Drift::between(table, &warehouse.expected_columns(contract)?, &live);
    let source = Source {
        table,
        rows,
        numbered: live.iter().any(|column| column.name == SOURCE_ROW),
    };
    report
        .checks
        .extend(schema_findings(&drift, options.schema_policy));
    report.timings.schema_ms = elapsed_ms(started);

    let started = Instant::now();
    let mut query = Query::new(warehouse.dialect());
    let mut windows: Vec<Window> = Vec::new();
    let mut pushed: Vec<Pushed> = Vec::new();
    let expected_schema = contract.polars_schema();
    for (index, check) in plan(contract).into_iter().enumerate() {
        let mut compiler = SqlCompiler::new(contract, &mut query);
        let (check, new_windows) = push_down(check, &drift, &mut compiler, &expected_schema, index);
        windows.extend(new_windows);
        pushed.push(check);
    }
    let mut outputs = vec!["COUNT(*) AS __rows".to_string()];
    for (index, check) in pushed.iter().enumerate() {
        match &check.measure {
            Measure::Rows {
                failing,
                first_of_key,
                ..
            } => {
                outputs.push(format!(
                    "SUM(CASE WHEN {failing} THEN 1 ELSE 0 END) AS __f{index}"
                ));
                if let Some(first) = first_of_key {
                    outputs.push(format!(
                        "SUM(CASE WHEN {first} THEN 1 ELSE 0 END) AS __k{index}"
                    ));
                }
            }
            Measure::Statistic { aggregate, .. } | Measure::Freshness { aggregate, .. } => {
                outputs.push(format!("{aggregate} AS __c{index}"));
            }
            Measure::Skip => {}
        }
    }
    let from = source.sql(&mut query, &windows);
    query.sql = format!("SELECT {} FROM {from}", outputs.join(", "));
    let totals = warehouse.query(&query)?;
    let value = |name: &str| -> Result<AnyValue<'static>, ValidationError> {
        totals
            .column(name)
            .and_then(|column| column.get(0))
            .map(|value| value.into_static())
            .map_err(|error| missing_result(name, error).into())
    };
    // A sum over no rows is NULL: no failing row. Anything else that is
    // not a count is an error, never a pass.
    let count = |name: &str| -> Result<u64, ValidationError> {
        match value(name)? {
            AnyValue::Null => Ok(0),
            other => other
                .extract::<u64>()
                .ok_or_else(|| missing_result(name, format!("`{other}` is not a count")).into()),
        }
    };
    let rows = count("__rows")?;
    report.input.rows = rows;
    let reference = options.reference_time.unwrap_or_else(Utc::now);
    for (index, check) in pushed.iter_mut().enumerate() {
        let result = &mut check.result;
        match &check.measure {
            Measure::Skip => {}
            Measure::Rows { first_of_key, .. } => {
                conclude_rows(result, count(&format!("__f{index}"))?, rows);
                if first_of_key.is_some() && result.status == Status::Fail {
                    result.observed = Some(serde_json::json!({
                        "duplicated_rows": result.failing_rows.unwrap_or(0),
                        "duplicated_keys": count(&format!("__k{index}"))?,
                    }));
                }
            }
            Measure::Statistic {
                statistic,
                min,
                max,
                dtype,
                ..
            } => {
                let observed = match statistic {
                    Statistic::RowCount => AnyValue::Float64(rows as f64),
                    _ => value(&format!("__c{index}"))?,
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
            Measure::Freshness {
                max_age_seconds, ..
            } => conclude_freshness(
                result,
                &value(&format!("__c{index}"))?,
                *max_age_seconds,
                reference,
            ),
        }
    }
    report.timings.checks_ms = elapsed_ms(started);

    let started = Instant::now();
    for check in pushed.iter_mut() {
        fetch_examples(warehouse, &source, contract, check, options.max_examples)?;
    }
    report.timings.examples_ms = elapsed_ms(started);
    report.checks.extend(pushed.into_iter().map(|p| p.result));
    report.conclude();
    report.timings.total_ms = elapsed_ms(began);
    Ok(report)
}

/// A column the aggregate query should have returned and did not.
fn missing_result(column: &str, error: impl std::fmt::Display) -> WarehouseError {
    WarehouseError::Result {
        operation: "the checks' aggregate query".into(),
        message: format!("no usable value in result column `{column}`: {error}"),
    }
}

/// Compiles one planned check to SQL, or to a skip with the reason.
fn push_down(
    check: PlannedCheck,
    drift: &Drift,
    compiler: &mut SqlCompiler<'_>,
    expected_schema: &Schema,
    index: usize,
) -> (Pushed, Vec<Window>) {
    let result = planned_result(&check);
    let skip = |result: CheckResult, reason: String| {
        (
            Pushed {
                result: skipped(result, reason),
                measure: Measure::Skip,
            },
            Vec::new(),
        )
    };
    if let Some(reason) = result.columns.iter().find_map(|c| drift.unusable_reason(c)) {
        return skip(result, format!("skipped: {reason}"));
    }
    let name = index.to_string();
    let (measure, windows) = match check.test {
        Test::Row(test) => match compiler.failure(&test, &name) {
            Ok(sql) => (
                Measure::Rows {
                    failing: sql.failing,
                    first_of_key: sql
                        .first_of_key
                        .filter(|_| check.kind == CheckKind::DedupKey),
                    test,
                },
                sql.windows,
            ),
            Err(reason) => return skip(result, format!("cannot run in SQL: {reason}")),
        },
        Test::Statistic {
            column,
            statistic,
            min,
            max,
        } => {
            let (aggregate, windows) = match &column {
                Some(column) => {
                    let sql = compiler.statistic(&statistic, column, &name);
                    (sql.aggregate, sql.windows)
                }
                None => ("COUNT(*)".to_string(), Vec::new()),
            };
            let dtype = column.as_deref().and_then(|c| dtype_at(expected_schema, c));
            (
                Measure::Statistic {
                    aggregate,
                    statistic,
                    min,
                    max,
                    dtype,
                },
                windows,
            )
        }
        Test::Freshness {
            column,
            max_age_seconds,
        } => (
            Measure::Freshness {
                aggregate: format!("MAX({})", compiler.dialect().column(&column)),
                max_age_seconds,
            },
            Vec::new(),
        ),
        Test::Unsupported { reason } => return skip(result, reason),
    };
    (Pushed { result, measure }, windows)
}

/// Drift as schema findings: missing and mistyped columns always, changed
/// modes unless the table merely allows NULL where the contract does not
/// (a landing table does; `<column>.not_null` judges the data), extra
/// columns under the strict policy.
fn schema_findings(drift: &Drift, policy: SchemaPolicy) -> Vec<CheckResult> {
    let mut findings = Vec::new();
    for change in &drift.missing {
        findings.push(finding(
            &change.column,
            "missing",
            format!(
                "a column `{}` of type {}",
                change.column,
                change.expected.as_deref().unwrap_or("?")
            ),
            "the table has no such column",
        ));
    }
    for change in &drift.changed_type {
        findings.push(finding(
            &change.column,
            "dtype",
            change.expected.clone().unwrap_or_default(),
            &format!("the column is {}", change.actual.as_deref().unwrap_or("?")),
        ));
    }
    for change in &drift.changed_mode {
        if change.allows_null {
            continue;
        }
        findings.push(finding(
            &change.column,
            "mode",
            change.expected.clone().unwrap_or_default(),
            &format!("the column is {}", change.actual.as_deref().unwrap_or("?")),
        ));
    }
    if policy == SchemaPolicy::Strict {
        for change in &drift.extra {
            findings.push(finding(
                &change.column,
                "unexpected",
                "no column outside the contract (schema policy strict)".into(),
                "the contract has no such column",
            ));
        }
    }
    findings
}

/// Fetches up to `max_examples` failing rows of a failed row check, with
/// the (top-level) columns it reads: the first to arrive in a numbered
/// table, any in another.
fn fetch_examples(
    warehouse: &dyn Warehouse,
    source: &Source<'_>,
    contract: &Contract,
    check: &mut Pushed,
    max_examples: usize,
) -> Result<(), ValidationError> {
    let Measure::Rows { test, .. } = &check.measure else {
        return Ok(());
    };
    if check.result.status != Status::Fail || max_examples == 0 {
        return Ok(());
    }
    let mut shown: Vec<String> = Vec::new();
    for column in &check.result.columns {
        let top = column.split('.').next().unwrap_or(column).to_string();
        if !shown.contains(&top) {
            shown.push(top);
        }
    }
    if shown.is_empty() {
        return Ok(());
    }
    let dialect = warehouse.dialect();
    let mut query = Query::new(dialect);
    let sql = SqlCompiler::new(contract, &mut query)
        .failure(test, "examples")
        .map_err(|reason| WarehouseError::Contract {
            contract: contract.name.clone(),
            problem: reason,
        })?;
    let mut columns: Vec<String> = shown.iter().map(|c| dialect.quote(c)).collect();
    let from = source.sql(&mut query, &sql.windows);
    let order = if source.numbered {
        columns.push(format!("{} AS __row", dialect.quote(SOURCE_ROW)));
        format!(
            " ORDER BY {}, {}",
            dialect.quote(CREATED_AT),
            dialect.quote(SOURCE_ROW)
        )
    } else {
        String::new()
    };
    query.sql = format!(
        "SELECT {} FROM {from} WHERE {}{order} LIMIT {max_examples}",
        columns.join(", "),
        sql.failing
    );
    let rows = warehouse.query(&query)?;
    let positions = match source.rows {
        Rows::Partition(_) if source.numbered => Some(
            rows.column("__row")
                .and_then(|column| column.cast(&DataType::UInt64))
                .map_err(|error| WarehouseError::Result {
                    operation: format!("examples of {}", check.result.id),
                    message: error.to_string(),
                })?,
        ),
        _ => None,
    };
    for row in 0..rows.height() {
        let mut values = BTreeMap::new();
        for name in &shown {
            let value = rows
                .column(name)
                .and_then(|column| column.get(row).map(|v| json_value(&v)))
                .map_err(|error| WarehouseError::Result {
                    operation: format!("examples of {}", check.result.id),
                    message: error.to_string(),
                })?;
            values.insert(name.clone(), value);
        }
        let position = positions
            .as_ref()
            .and_then(|column| column.get(row).ok())
            .and_then(|value| value.extract::<u64>());
        check.result.examples.push(Example {
            row: position,
            file: None,
            line: None,
            values,
        });
    }
    Ok(())
}
