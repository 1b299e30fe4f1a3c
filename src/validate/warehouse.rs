//! Validation pushed down into the warehouse: the SQL [`Engine`]. The same
//! checks as in memory, compiled to SQL ([`crate::check::sql_expr`]), so only
//! aggregates leave it.
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

use super::conformance::finding;
use super::driver::{
    self, Check, Engine, Measure, Measurements, Other, RowPredicates, SchemaVerdict,
};
use super::pass::{self, Output};
use super::values::json_value;
use super::{Options, SchemaPolicy, TextFormats, ValidationError, elapsed_ms, new_report};
use crate::check::RowTest;
use crate::check::sql_expr::{
    ArrivalOrder, Failing, FirstGroups, RepeatedKey, SOURCE_ALIAS, SqlCompiler, Window,
};
use crate::report::{CheckResult, Example, Report};
use crate::sql::{Dialect, Query, SqlValue, TableRef};
use crate::warehouse::{CREATED_AT, SOURCE_ROW, SchemaDrift, Warehouse, WarehouseError};
use crate::{Contract, Statistic};

/// The aggregate query's count of rows without a position in arrival order
/// ([`FirstGroups::unnumbered`]).
const UNNUMBERED: &str = "__unnumbered";

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
        self.aliased(query, windows, "__t")
    }

    /// The rows as a subquery named `alias`, with `windows` computed over
    /// them.
    fn aliased(&self, query: &mut Query, windows: &[Window], alias: &str) -> String {
        let dialect = query.dialect;
        let mut select = "SELECT *".to_string();
        for window in windows {
            select.push_str(&format!(", {} AS {}", window.expr, window.alias));
        }
        select.push_str(&format!(
            " FROM {} AS {SOURCE_ALIAS}",
            self.table.quoted(dialect)
        ));
        if let Rows::Partition(created_at) = self.rows {
            let at = query.bind(SqlValue::Timestamp(created_at));
            select.push_str(&format!(
                " WHERE {} = CAST({at} AS {})",
                dialect.quote(CREATED_AT),
                dialect.timestamp_type()
            ));
        }
        format!("({select}) AS {alias}")
    }

    /// The order the rows arrived in, which the examples follow: known in
    /// a numbered table.
    fn arrival_order(&self, dialect: Dialect) -> Option<ArrivalOrder> {
        self.numbered.then(|| ArrivalOrder {
            created_at: dialect.quote(CREATED_AT),
            row: dialect.quote(SOURCE_ROW),
        })
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
    let described = match rows {
        Rows::All => format!("{} table {table}", warehouse.dialect().name()),
        Rows::Partition(created_at) => format!(
            "{} table {table}, the rows of the partition created at {}",
            warehouse.dialect().name(),
            created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        ),
    };
    let mut report = new_report(contract, described, Vec::new());
    let mut referenced = BTreeMap::new();
    for other in contract.other_tables() {
        let location = options.references.table(other, table)?;
        referenced.insert(other.to_string(), location);
    }
    let mut engine = InWarehouse {
        warehouse,
        contract,
        referenced,
        source: Source {
            table,
            rows,
            numbered: false,
        },
        query: Query::new(warehouse.dialect()),
        windows: Vec::new(),
        max_examples: options.max_examples,
        first_groups: BTreeMap::new(),
        scanned_bytes: None,
        unestimated: false,
    };
    driver::run(&mut engine, contract, options, &mut report)?;
    report.input.scanned_bytes = engine.scanned_bytes.filter(|_| !engine.unestimated);
    report.conclude();
    report.timings.total_ms = elapsed_ms(began);
    Ok(report)
}

/// A warehouse table's rows, and the aggregate query being compiled over
/// them.
struct InWarehouse<'a> {
    warehouse: &'a dyn Warehouse,
    contract: &'a Contract,
    /// The tables foreign keys reference, by table name.
    referenced: BTreeMap<String, TableRef>,
    source: Source<'a>,
    /// The aggregate query: its parameters, bound as checks compile.
    query: Query,
    /// The windows the compiled checks read.
    windows: Vec<Window>,
    /// How many examples of a failing check the report shows.
    max_examples: usize,
    /// Where the first repeated groups of each key begin, by the output of
    /// its failing rows, as the counting query found them (positions of
    /// [`FirstGroups`]); its examples are the rows of those groups.
    first_groups: BTreeMap<String, Vec<String>>,
    /// The bytes the queries run so far read, from their dry runs, where
    /// the warehouse has them.
    scanned_bytes: Option<u64>,
    /// Whether a dry run gave no estimate: the total is then unknown, and
    /// the report says nothing rather than too little.
    unestimated: bool,
}

/// A row test as the aggregate query counts its failing rows.
enum Counted {
    /// Summed over the rows: `TRUE` on each failing row.
    PerRow(String),
    /// Counted over the key's groups, in a grouped subquery of their own.
    Grouped(RepeatedKey),
}

impl Engine for InWarehouse<'_> {
    type Predicate = Counted;
    type Aggregate = String;
    const NAME: &'static str = "SQL";
    const APPROXIMATES: bool = true;

    fn conform(
        &mut self,
        contract: &Contract,
        policy: SchemaPolicy,
        _formats: &TextFormats,
    ) -> Result<(SchemaVerdict, Vec<Check<Self>>), ValidationError> {
        let table = self.source.table;
        let live = self
            .warehouse
            .live_columns(table)?
            .ok_or_else(|| WarehouseError::NoTable(table.to_string()))?;
        let drift = SchemaDrift::between(table, &self.warehouse.expected_columns(contract)?, &live);
        self.source.numbered = live.iter().any(|column| column.name == SOURCE_ROW);
        Ok((verdict(&drift, policy), Vec::new()))
    }

    fn row_test(
        &mut self,
        test: &RowTest,
        dedup_key: bool,
        name: &str,
    ) -> Result<RowPredicates<Counted>, String> {
        let sql = SqlCompiler::new(self.contract, &mut self.query)
            .referencing(&self.referenced)
            .failure(test, name)?;
        self.windows.extend(sql.windows);
        Ok(match sql.failing {
            Failing::Rows(failing) => RowPredicates {
                failing: Counted::PerRow(failing),
                first_of_key: None,
            },
            Failing::RepeatedKey(key) => RowPredicates {
                first_of_key: dedup_key.then(|| Counted::Grouped(key.clone())),
                failing: Counted::Grouped(key),
            },
        })
    }

    fn statistic(
        &mut self,
        statistic: &Statistic,
        column: &str,
        name: &str,
        approximate: bool,
    ) -> String {
        let sql = SqlCompiler::new(self.contract, &mut self.query).statistic(
            statistic,
            column,
            name,
            approximate,
        );
        self.windows.extend(sql.windows);
        sql.aggregate
    }

    fn newest(&mut self, column: &str) -> String {
        format!("MAX({})", self.query.dialect.column(column))
    }

    /// A scalar subquery over the other table, in the same pass.
    fn other_statistic(
        &mut self,
        statistic: &Statistic,
        table: &str,
        column: Option<&str>,
        name: &str,
    ) -> Result<Other<String>, String> {
        let location = self
            .referenced
            .get(table)
            .ok_or_else(|| format!("no warehouse table is known for `{table}`"))?;
        // Qualified, so that a column the other table lacks is an error,
        // never a column of this one.
        let qualified = column.map(|column| format!("__other.{column}"));
        let sql = SqlCompiler::new(self.contract, &mut self.query).statistic(
            statistic,
            qualified.as_deref().unwrap_or_default(),
            &format!("other_{name}"),
            false,
        );
        if !sql.windows.is_empty() {
            return Err(format!(
                "{} of another table needs a window",
                statistic.name()
            ));
        }
        Ok(Other::Aggregate(format!(
            "(SELECT {} FROM {} AS __other)",
            sql.aggregate,
            location.quoted(self.query.dialect)
        )))
    }

    /// One query: the per-row sums and aggregates over the rows, beside
    /// one grouped subquery per key (its rows and its keys repeated).
    fn measure(&mut self, checks: &[Check<Self>]) -> Result<Measurements, ValidationError> {
        let dialect = self.query.dialect;
        let mut query = std::mem::replace(&mut self.query, Query::new(dialect));
        let mut outputs = vec![format!("COUNT(*) AS {}", pass::ROWS)];
        // Per key: its failing rows' output, and its distinct keys' output.
        let mut keys: Vec<(&RepeatedKey, String, Option<String>)> = Vec::new();
        for (name, output) in pass::outputs(checks) {
            match output {
                Output::Failing(Counted::PerRow(failing)) => outputs.push(format!(
                    "SUM(CASE WHEN {failing} THEN 1 ELSE 0 END) AS {name}"
                )),
                Output::Failing(Counted::Grouped(key)) => keys.push((key, name, None)),
                // Only a grouped key has distinct keys (`row_test`): they
                // are counted beside its failing rows.
                Output::FirstOfKey { failing_output, .. } => {
                    let (_, _, distinct) = keys
                        .iter_mut()
                        .find(|(_, failing, _)| *failing == failing_output)
                        .expect("a key's failing rows are laid out before its keys");
                    *distinct = Some(name);
                }
                Output::Value(aggregate) => outputs.push(format!("{aggregate} AS {name}")),
            }
        }
        let order = self.source.arrival_order(dialect);
        let first_groups: Vec<Option<FirstGroups>> = keys
            .iter()
            .map(|(key, failing, _)| {
                let output = format!("{failing}_first");
                let order = order.clone()?;
                key.first_groups(order, output, self.max_examples)
            })
            .collect();
        let finds_first_groups = first_groups.iter().any(Option::is_some);
        if let Some(order) = order.as_ref().filter(|_| finds_first_groups) {
            outputs.push(format!("{} AS {UNNUMBERED}", order.unnumbered()));
        }
        let from = self.source.sql(&mut query, &self.windows);
        let mut sql = format!(
            "SELECT * FROM (SELECT {} FROM {from}) AS __rows",
            outputs.join(", ")
        );
        for (index, ((key, failing, distinct), first)) in keys.iter().zip(&first_groups).enumerate()
        {
            let rows = self.source.sql(&mut query, &[]);
            sql.push_str(&format!(
                " CROSS JOIN ({}) AS __key{index}",
                key.counts(&rows, failing, distinct.as_deref(), first.as_ref())
            ));
        }
        query.sql = sql;
        let totals = self.run(&query)?;
        let numbered = !finds_first_groups
            || totals
                .column(UNNUMBERED)
                .and_then(|column| column.get(0).map(|count| count.extract::<u64>() == Some(0)))
                .map_err(|error| result_error("the checks' aggregate query".into(), error))?;
        for ((_, failing, _), first) in keys.iter().zip(first_groups) {
            if let Some(first) = first.filter(|_| numbered) {
                let positions = positions(&totals, first.output())?;
                self.first_groups.insert(failing.clone(), positions);
            }
        }
        measurements(&totals, checks)
    }

    /// One query per check, with a LIMIT, selecting only the (top-level)
    /// columns it reads: the first failing rows to arrive in a numbered
    /// table, any in another.
    fn examples(
        &mut self,
        checks: &[Check<Self>],
        wanted: &[usize],
        max: usize,
    ) -> Result<Vec<Vec<Example>>, ValidationError> {
        wanted
            .iter()
            .map(|&index| self.examples_of(&checks[index], &pass::failing(index), max))
            .collect()
    }
}

impl InWarehouse<'_> {
    /// Runs `query`, dry-running it first where the warehouse can, to
    /// count the bytes it reads.
    fn run(&mut self, query: &Query) -> Result<DataFrame, ValidationError> {
        let (rows, dry_run) = self.warehouse.query_dry_run_first(query)?;
        if let Some(dry_run) = dry_run {
            let total = self.scanned_bytes.get_or_insert(0);
            match dry_run.bytes_processed {
                Some(bytes) => *total += bytes,
                None => self.unestimated = true,
            }
        }
        Ok(rows)
    }

    /// Up to `max` failing rows of `check`, whose failing rows the pass
    /// counted as `failing`.
    fn examples_of(
        &mut self,
        check: &Check<Self>,
        failing: &str,
        max: usize,
    ) -> Result<Vec<Example>, ValidationError> {
        let id = &check.result.id;
        let Measure::Rows {
            test: Some(test), ..
        } = &check.measure
        else {
            return Err(ValidationError::Unmeasured {
                check: id.clone(),
                problem: "examples of a check with no row test".into(),
            });
        };
        let dialect = self.warehouse.dialect();
        let mut query = Query::new(dialect);
        let sql = SqlCompiler::new(self.contract, &mut query)
            .referencing(&self.referenced)
            .failure(test, "examples")
            .map_err(|reason| WarehouseError::Contract {
                contract: self.contract.name.clone(),
                problem: reason,
            })?;
        let mut columns: Vec<String> = check
            .shown
            .iter()
            .map(|(name, source)| format!("{} AS {}", dialect.quote(source), dialect.quote(name)))
            .collect();
        let (failing, windows) = match sql.failing {
            Failing::Rows(failing) => (failing, sql.windows),
            Failing::RepeatedKey(key) => match (
                self.first_groups.get(failing),
                self.source.arrival_order(dialect),
            ) {
                (Some(positions), Some(order)) if !positions.is_empty() => {
                    let all_rows = self.source.aliased(&mut query, &[], "__all");
                    let condition =
                        key.rows_starting_at("__t", &all_rows, &order, positions, &mut query);
                    (condition, Vec::new())
                }
                _ => {
                    let rows = key.rows_of("__t", || self.source.aliased(&mut query, &[], "__all"));
                    (rows.condition, rows.windows)
                }
            },
        };
        let from = self.source.sql(&mut query, &windows);
        let order = match self.source.arrival_order(dialect) {
            Some(order) => {
                columns.push(format!("{} AS __row", order.row));
                format!(" ORDER BY {}, {}", order.created_at, order.row)
            }
            None => String::new(),
        };
        if columns.is_empty() {
            // A rule that reads no column: the rows are shown, empty.
            columns.push("1 AS __one".into());
        }
        query.sql = format!(
            "SELECT {} FROM {from} WHERE {failing}{order} LIMIT {max}",
            columns.join(", "),
        );
        let rows = self.run(&query)?;
        let operation = || format!("examples of {id}");
        let positions = match self.source.rows {
            Rows::Partition(_) if self.source.numbered => Some(
                rows.column("__row")
                    .and_then(|column| column.cast(&DataType::UInt64))
                    .map_err(|error| result_error(operation(), error))?,
            ),
            _ => None,
        };
        let mut examples = Vec::with_capacity(rows.height());
        for row in 0..rows.height() {
            let mut values = BTreeMap::new();
            for (name, _) in &check.shown {
                let value = rows
                    .column(name)
                    .and_then(|column| column.get(row).map(|v| json_value(&v)))
                    .map_err(|error| result_error(operation(), error))?;
                values.insert(name.clone(), value);
            }
            let position = positions
                .as_ref()
                .and_then(|column| column.get(row).ok())
                .and_then(|value| value.extract::<u64>());
            examples.push(Example {
                row: position,
                file: None,
                line: None,
                values,
            });
        }
        Ok(examples)
    }
}

/// The positions in the list `output` of the counting query's one row
/// (none where it is NULL: no group repeated).
fn positions(totals: &DataFrame, output: &str) -> Result<Vec<String>, ValidationError> {
    let unreadable = |error: &dyn std::fmt::Display| WarehouseError::Result {
        operation: "the checks' aggregate query".into(),
        message: format!("no list of positions in result column `{output}`: {error}"),
    };
    let value = totals
        .column(output)
        .and_then(|column| column.get(0).map(|value| value.into_static()))
        .map_err(|error| unreadable(&error))?;
    match value {
        AnyValue::Null => Ok(Vec::new()),
        AnyValue::List(list) => {
            let texts = list.str().map_err(|error| unreadable(&error))?;
            Ok(texts.iter().flatten().map(str::to_string).collect())
        }
        other => Err(unreadable(&format!("`{other}`")).into()),
    }
}

/// An example's rows that could not be read back.
fn result_error(operation: String, error: impl std::fmt::Display) -> WarehouseError {
    WarehouseError::Result {
        operation,
        message: error.to_string(),
    }
}

/// Reads the aggregate query's one row: the row count, then per check
/// what the pass layout names.
fn measurements(
    totals: &DataFrame,
    checks: &[Check<InWarehouse<'_>>],
) -> Result<Measurements, ValidationError> {
    let missing = |column: &str, error: &dyn std::fmt::Display| WarehouseError::Result {
        operation: "the checks' aggregate query".into(),
        message: format!("no usable value in result column `{column}`: {error}"),
    };
    let value = |column: &str| -> Result<AnyValue<'static>, ValidationError> {
        Ok(totals
            .column(column)
            .and_then(|values| values.get(0))
            .map(|value| value.into_static())
            .map_err(|error| missing(column, &error))?)
    };
    let rows = match value(pass::ROWS)? {
        AnyValue::Null => None,
        count => count.extract::<u64>(),
    }
    .ok_or_else(|| missing(pass::ROWS, &"not a count"))?;
    Ok(Measurements {
        rows,
        checks: pass::read(checks, rows, value)?,
    })
}

/// Drift as the schema step's verdict: its findings, and the top-level
/// columns whose checks cannot run (missing, or of another type, at any
/// depth).
fn verdict(drift: &SchemaDrift, policy: SchemaPolicy) -> SchemaVerdict {
    let top = |column: &str| column.split('.').next().unwrap_or(column).to_string();
    let mut unusable = Vec::new();
    for change in &drift.missing {
        unusable.push((
            top(&change.column),
            format!("the table has no column `{}`", change.column),
        ));
    }
    for change in &drift.changed_type {
        unusable.push((
            top(&change.column),
            format!(
                "column `{}` is {}, not {}",
                change.column,
                change.actual.as_deref().unwrap_or("?"),
                change.expected.as_deref().unwrap_or("?")
            ),
        ));
    }
    SchemaVerdict {
        findings: schema_findings(drift, policy),
        unusable,
    }
}

/// Drift as schema findings: missing and mistyped columns always, changed
/// modes unless the table merely allows NULL where the contract does not
/// (a landing table does; `<column>.not_null` judges the data), extra
/// columns under the strict policy.
fn schema_findings(drift: &SchemaDrift, policy: SchemaPolicy) -> Vec<CheckResult> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::TableFieldSchema;
    use crate::validate::driver::Measured;

    #[test]
    fn a_column_missing_or_mistyped_at_any_depth_makes_its_top_level_column_unusable() {
        let table = TableRef::new("staging", "t").unwrap();
        let column =
            |name: &str, field_type: &str| TableFieldSchema::new(name, field_type, "NULLABLE");
        let mut record = column("r", "RECORD");
        record.fields = Some(vec![column("a", "INT64")]);
        let mut live_record = column("r", "RECORD");
        live_record.fields = Some(vec![column("a", "STRING")]);
        let expected = vec![column("price", "FLOAT64"), column("gone", "STRING"), record];
        let live = vec![column("price", "FLOAT64"), live_record];
        let verdict = verdict(
            &SchemaDrift::between(&table, &expected, &live),
            SchemaPolicy::Strict,
        );
        assert!(
            verdict
                .unusable_reason("r.b")
                .unwrap()
                .contains("`r.a` is STRING")
        );
        assert_eq!(
            verdict.unusable_reason("gone"),
            Some("the table has no column `gone`")
        );
        assert_eq!(verdict.unusable_reason("price"), None);
        let ids: Vec<&str> = verdict.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["gone.missing", "r.a.dtype"]);
    }

    fn row_check() -> Check<InWarehouse<'static>> {
        Check {
            result: super::super::outcome::skeleton(
                "id.not_null".into(),
                crate::check::CheckKind::NotNull,
                vec!["id".into()],
                crate::Severity::Error,
                "not NULL".into(),
            ),
            measure: Measure::Rows {
                test: None,
                predicates: RowPredicates {
                    failing: Counted::PerRow("id IS NULL".into()),
                    first_of_key: None,
                },
            },
            shown: Vec::new(),
        }
    }

    #[test]
    fn a_missing_or_null_count_over_rows_is_an_error_never_zero_failures() {
        let checks = [row_check()];
        let missing = df!("__rows" => [5i64]).unwrap();
        let error = measurements(&missing, &checks).unwrap_err().to_string();
        assert!(error.contains("`__f0`"), "{error}");
        let null = df!("__rows" => [5i64], "__f0" => [None::<i64>]).unwrap();
        let error = measurements(&null, &checks).unwrap_err().to_string();
        assert!(
            error.contains("`__f0`") && error.contains("not a count"),
            "{error}"
        );
        let no_count = df!("__rows" => [None::<i64>], "__f0" => [None::<i64>]).unwrap();
        assert!(measurements(&no_count, &checks).is_err());
        // Over no rows a sum is NULL: nothing failed.
        let empty = df!("__rows" => [0i64], "__f0" => [None::<i64>]).unwrap();
        let measured = measurements(&empty, &checks).unwrap();
        assert_eq!(measured.rows, 0);
        assert_eq!(
            measured.checks,
            [Measured::Rows {
                failing: 0,
                distinct_keys: None
            }]
        );
    }
}
