//! The transform and the reconciliations, run inside the warehouse: the
//! process sends SQL and reads back counts and single numbers, and the
//! rows never leave the warehouse.
//!
//! Both read the relation `input`: the production raw rows of the history
//! window the pipeline declares, then this run's raw rows in the staging
//! raw table (its partition, by `created_at`). Besides the raw contract's
//! columns, `input` has `__batch` (0 for history, 1 for the run's rows)
//! and `__row` (a run row's position in its extract; 0 in history), so
//! "the row that arrived last" is `ORDER BY __batch DESC, __row DESC`, as
//! the Polars transform sees its input (history first, then the run's
//! rows in order).

use chrono::{DateTime, Utc};

use super::error::RunError;
use super::history::{History, Window};
use super::reconcile::{Reconciliation, ReconciliationResult};
use crate::Contract;
use crate::sql::{Dialect, Query, SqlSteps, SqlValue, TableRef};
use crate::warehouse::drift::type_of;
use crate::warehouse::load::{LoadMode, merge_statements};
use crate::warehouse::{CREATED_AT, SOURCE_ROW, Warehouse, landing_contract};

/// The history a warehouse transform reads besides the run's rows.
pub struct HistoryRead<'a> {
    /// What the pipeline declares.
    pub history: &'a History,
    /// The run's window.
    pub window: Window,
    /// The production raw table, when it exists.
    pub table: Option<&'a TableRef>,
}

/// One run's tables and partition, in the warehouse.
pub struct InWarehouse<'a> {
    /// Where everything runs.
    pub warehouse: &'a dyn Warehouse,
    /// The raw table's contract.
    pub raw: &'a Contract,
    /// The processed table's contract.
    pub processed: &'a Contract,
    /// The staging raw table, holding this run's rows.
    pub staging_raw: &'a TableRef,
    /// The staging processed table the transform writes.
    pub staging_processed: &'a TableRef,
    /// The time of the raw partition this run loaded (an earlier run's,
    /// when the same rows had landed before).
    pub raw_partition: DateTime<Utc>,
    /// How many rows that partition holds: the rows the raw gate judged.
    /// The transform fails, writing nothing, when its input holds others
    /// (another run's truncate in between).
    pub run_rows: u64,
    /// How the processed rows are merged into the staging processed table:
    /// replacing the run's partition (append) or every row (truncate).
    pub mode: LoadMode,
    /// The time of this run's processed partition, to the millisecond.
    pub created_at: DateTime<Utc>,
    /// When the transform's rows are loaded.
    pub updated_at: DateTime<Utc>,
    /// The history, when the pipeline declares one and the run has rows.
    pub history: Option<HistoryRead<'a>>,
}

impl InWarehouse<'_> {
    fn dialect(&self) -> Dialect {
        self.warehouse.dialect()
    }

    /// `CAST(@p AS TIMESTAMP)` for `time`, bound to `query`.
    fn timestamp(&self, query: &mut Query, time: DateTime<Utc>) -> String {
        let placeholder = query.bind(SqlValue::Timestamp(time));
        format!("CAST({placeholder} AS {})", self.dialect().timestamp_type())
    }

    /// The columns of `contract`, quoted, comma-separated.
    fn columns(&self, contract: &Contract) -> String {
        let dialect = self.dialect();
        contract
            .fields
            .iter()
            .map(|field| dialect.quote(&field.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The relation `input` (see the module's description); with
    /// `own_periods_only`, only the rows of the run's own periods (from
    /// the window's start), the rows its output is made of.
    fn input(&self, query: &mut Query, own_periods_only: bool) -> String {
        let dialect = self.dialect();
        let columns = self.columns(self.raw);
        let created_at = self.timestamp(query, self.raw_partition);
        let mut sql = format!(
            "SELECT {columns}, 1 AS __batch, {} AS __row FROM {} WHERE {} = {created_at}",
            dialect.quote(SOURCE_ROW),
            self.staging_raw.quoted(dialect),
            dialect.quote(CREATED_AT),
        );
        let Some(read) = &self.history else {
            return sql;
        };
        let time = dialect.quote(&read.history.raw_time);
        if let Some(table) = read.table {
            // The run's own periods need no history before them: reading
            // from their start lets BigQuery skip the lookback's partitions.
            let start = match own_periods_only {
                true => read.window.from,
                false => read.window.from - read.history.lookback,
            };
            let start = self.timestamp(query, start);
            let end = self.timestamp(query, read.window.first);
            sql = format!(
                "SELECT {columns}, 0 AS __batch, 0 AS __row FROM {} WHERE {time} >= {start} AND {time} < {end} UNION ALL {sql}",
                table.quoted(dialect)
            );
        }
        if own_periods_only {
            let from = self.timestamp(query, read.window.from);
            sql = format!("SELECT * FROM ({sql}) AS rows_read WHERE {time} >= {from}");
        }
        sql
    }

    /// The processed rows this run wrote to the staging processed table.
    fn output(&self, query: &mut Query) -> String {
        let dialect = self.dialect();
        let created_at = self.timestamp(query, self.created_at);
        format!(
            "SELECT {} FROM {} WHERE {} = {created_at}",
            self.columns(self.processed),
            self.staging_processed.quoted(dialect),
            dialect.quote(CREATED_AT)
        )
    }

    /// Runs `steps` over `input` and writes their rows (those of the run's
    /// own periods) to the staging processed table as this run's
    /// partition, replacing any it held: one statement makes them, one
    /// merges them in. Returns how many rows the run's partition holds.
    /// The statement that makes them fails when `input` does not hold the
    /// run's [`InWarehouse::run_rows`] rows, in the same snapshot it reads.
    pub fn transform(&self, steps: &SqlSteps) -> Result<u64, RunError> {
        let (warehouse, dialect) = (self.warehouse, self.dialect());
        let target = self.staging_processed;
        let landing = landing_contract(self.processed).map_err(RunError::from)?;
        warehouse.ensure_dataset(&target.dataset)?;
        warehouse.create_table(target, &landing)?;
        warehouse.ensure_source_row(target)?;
        let nonce = Utc::now().timestamp_micros();
        let scratch = target
            .sibling(&format!("__transform_{}_{nonce}", target.table))
            .map_err(RunError::usage)?;
        let mut query = Query::new(dialect);
        let input = self.input(&mut query, false);
        let composed = steps
            .compose(dialect, &[("input", input)])
            .map_err(|problem| RunError::usage(format!("the warehouse transform: {problem}")))?;
        let own_periods = match &self.history {
            Some(read) => format!(
                " WHERE {} >= {}",
                dialect.quote(&read.history.processed_time),
                self.timestamp(&mut query, read.window.from)
            ),
            None => String::new(),
        };
        let expected = query.bind(SqlValue::Int(
            i64::try_from(self.run_rows).unwrap_or(i64::MAX),
        ));
        // `__one` is 1 when the input holds exactly the run's rows, and an
        // error otherwise; numbering the rows from it makes every row
        // depend on it.
        let guard = format!(
            "__run_rows AS (SELECT CASE WHEN COUNT(*) = {expected} THEN 1 ELSE ERROR('the staging raw table no longer holds the rows this run gated (another run truncated or reloaded it): nothing was transformed') END AS __one FROM {} WHERE __batch = 1)",
            dialect.quote("input")
        );
        query.sql = format!(
            "CREATE TABLE {} AS {}, {guard} SELECT {}, ROW_NUMBER() OVER (ORDER BY {}) - __run_rows.__one AS {} FROM {} CROSS JOIN __run_rows{own_periods}",
            scratch.quoted(dialect),
            composed.with,
            self.columns(self.processed),
            self.row_order().join(", "),
            dialect.quote(SOURCE_ROW),
            composed.last,
        );
        let made = warehouse
            .execute(&query)
            .map_err(|e| RunError::from(e).context("the warehouse transform"));
        let merged = made
            .and_then(|_| self.matches_contract(&scratch))
            .and_then(|()| Ok(warehouse.row_count(&scratch)?))
            .and_then(|rows| {
                let merge = merge_statements(
                    dialect,
                    &landing,
                    &scratch,
                    target,
                    self.created_at,
                    self.updated_at,
                    self.mode,
                    None,
                );
                warehouse
                    .execute_atomically(&merge)
                    .map_err(|e| RunError::from(e).context(format!("writing into {target}")))?;
                Ok(rows)
            });
        let dropped = warehouse.drop_table(&scratch);
        let rows = merged?;
        dropped?;
        Ok(rows)
    }

    /// The order the run's processed rows are numbered in: the processed
    /// contract's dedup key, or else every column that orders.
    fn row_order(&self) -> Vec<String> {
        let dialect = self.dialect();
        match &self.processed.dedup_key {
            Some(key) => key.columns.iter().map(|c| dialect.quote(c)).collect(),
            None => self
                .processed
                .fields
                .iter()
                .filter(|field| field.logical_type.clusterable())
                .map(|field| dialect.quote(&field.name))
                .collect(),
        }
    }

    /// Checks that the transform made exactly the processed contract's
    /// columns, in order, in its types.
    fn matches_contract(&self, scratch: &TableRef) -> Result<(), RunError> {
        let made = self
            .warehouse
            .live_columns(scratch)?
            .ok_or_else(|| RunError::service(format!("{scratch} was not made")))?;
        let expected = self.processed.bigquery_schema();
        let names = |columns: &[crate::schema::TableFieldSchema]| {
            columns
                .iter()
                .map(|c| c.name.clone())
                .filter(|name| name != SOURCE_ROW)
                .collect::<Vec<_>>()
        };
        if names(&made) != names(&expected) {
            return Err(RunError::usage(format!(
                "the warehouse transform's columns are [{}], the contract `{}` has [{}]",
                names(&made).join(", "),
                self.processed.name,
                names(&expected).join(", ")
            )));
        }
        for (want, have) in expected.iter().zip(&made) {
            if type_of(want) != type_of(have) {
                return Err(RunError::usage(format!(
                    "the warehouse transform's column `{}` is {}, the contract `{}` says {} (CAST it in the last step)",
                    want.name,
                    type_of(have),
                    self.processed.name,
                    type_of(want)
                )));
            }
        }
        Ok(())
    }

    /// Measures both sides of `reconciliation` in the warehouse (its SQL
    /// form) and compares them.
    pub fn reconcile(
        &self,
        reconciliation: &Reconciliation,
    ) -> Result<ReconciliationResult, RunError> {
        let Some(sql) = &reconciliation.sql else {
            return Err(RunError::usage(format!(
                "the expectation `{}` has no SQL form, which a transform in the warehouse needs",
                reconciliation.name
            )));
        };
        let measure = |side: &str, steps: &str| -> Result<f64, RunError> {
            let mut query = Query::new(self.dialect());
            let rows = match side {
                "input" => self.input(&mut query, true),
                _ => self.output(&mut query),
            };
            let composed = SqlSteps::new()
                .step("measured", steps)
                .compose(self.dialect(), &[(side, rows)])
                .map_err(|problem| {
                    RunError::usage(format!(
                        "expectation {}, the {side} measure: {problem}",
                        reconciliation.name
                    ))
                })?;
            query.sql = composed.select_all();
            let frame = self.warehouse.query(&query).map_err(|e| {
                RunError::from(e).context(format!(
                    "expectation {}, the {side} measure",
                    reconciliation.name
                ))
            })?;
            super::reconcile::single_number(&frame, side)
                .map_err(|e| RunError::input(format!("expectation {}: {e}", reconciliation.name)))
        };
        let before = measure("input", &sql.input)?;
        let after = measure("output", &sql.output)?;
        Ok(reconciliation.compare(before, after))
    }
}
