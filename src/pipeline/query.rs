//! Reading production, and only reading it: what `contracts query` runs.
//!
//! - The SQL must be one SELECT (or `WITH … SELECT`, or a set operation of
//!   SELECTs), parsed in the warehouse's dialect; anything else, a `SELECT
//!   … INTO` included, is refused before it reaches the warehouse.
//! - The warehouse is opened read-only ([`Access::ReadOnly`]): DuckDB's
//!   file read-only with no other file reachable from SQL; BigQuery
//!   dry-runs the query and refuses any statement type but SELECT.
//! - Nothing is written on the way: a promotion in progress or
//!   interrupted is not recovered here. The query is refused instead,
//!   saying what to do, because production may be half-written.
//! - A promotion that starts while the query reads is caught: the
//!   promotion epoch ([`super::promote::EPOCH`]) is read before and after,
//!   and a changed epoch means the query may have read a half-written
//!   state; it runs again, up to three times.
//!
//! [`Access::ReadOnly`]: super::environment::Access::ReadOnly

use std::ops::ControlFlow;

use polars::prelude::DataFrame;
use sqlparser::ast::{Query as AstQuery, SetExpr, Statement, Visit, Visitor};
use sqlparser::dialect::{BigQueryDialect, Dialect as ParserDialect, DuckDbDialect};
use sqlparser::parser::Parser;

use super::promote::{epoch, pending};
use crate::sql::{Dialect, Query};
use crate::store::ObjectStore;
use crate::warehouse::Warehouse;

/// How many times a query runs when promotions keep starting under it.
const ATTEMPTS: usize = 3;

/// Refuses `sql` unless it is a single statement that only reads.
pub fn check_select(sql: &str, dialect: Dialect) -> Result<(), String> {
    let parser: &dyn ParserDialect = match dialect {
        Dialect::BigQuery => &BigQueryDialect {},
        Dialect::DuckDb => &DuckDbDialect {},
    };
    let statements = Parser::parse_sql(parser, sql)
        .map_err(|error| format!("the query does not parse as {}: {error}", dialect.name()))?;
    let [statement] = &statements[..] else {
        return Err(format!(
            "one statement only, please: this is {}",
            statements.len()
        ));
    };
    let Statement::Query(query) = statement else {
        return Err(format!(
            "only SELECT queries read production; `{}` is not one",
            first_words(&statement.to_string())
        ));
    };
    match query.visit(&mut OnlyReads) {
        ControlFlow::Break(refused) => Err(format!(
            "only SELECT queries read production; this one holds {refused}"
        )),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// Runs `sql` in `warehouse` (opened read-only) when production is whole:
/// no promotion in progress or interrupted before, during or after it.
pub fn query_production(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
    sql: &str,
    lease: chrono::Duration,
) -> Result<DataFrame, String> {
    check_select(sql, warehouse.dialect())?;
    let mut query = Query::new(warehouse.dialect());
    query.sql = sql.to_string();
    warehouse
        .check_reads_only(&query)
        .map_err(|e| e.to_string())?;
    for _ in 0..ATTEMPTS {
        refuse_pending(store, lease)?;
        let before = epoch(store)?;
        let rows = warehouse.query(&query).map_err(|e| e.to_string())?;
        refuse_pending(store, lease)?;
        if epoch(store)? == before {
            return Ok(rows);
        }
        tracing::info!("a promotion ran while the query read; reading again");
    }
    Err(format!(
        "promotions kept starting while the query read ({ATTEMPTS} tries); try again"
    ))
}

/// Fails, saying what to do, when a promotion is in progress or was
/// interrupted.
pub fn refuse_pending(store: &dyn ObjectStore, lease: chrono::Duration) -> Result<(), String> {
    match pending(store, lease)? {
        None => Ok(()),
        Some((run, true)) => Err(format!(
            "run {run} is promoting to production right now, so production may be half-written; query again when it has finished"
        )),
        Some((run, false)) => Err(format!(
            "run {run}'s promotion was interrupted, so production may be half-written; run `contracts recover` (or the next `contracts run`) to roll it back or complete it, then query again"
        )),
    }
}

/// Breaks at the first part of a query that writes.
struct OnlyReads;

impl Visitor for OnlyReads {
    type Break = String;

    fn pre_visit_query(&mut self, query: &AstQuery) -> ControlFlow<String> {
        reads_only(&query.body)
    }
}

fn reads_only(body: &SetExpr) -> ControlFlow<String> {
    match body {
        SetExpr::Select(select) if select.into.is_some() => {
            ControlFlow::Break("SELECT … INTO, which writes a table".into())
        }
        SetExpr::Select(_) | SetExpr::Query(_) | SetExpr::Values(_) | SetExpr::Table(_) => {
            ControlFlow::Continue(())
        }
        SetExpr::SetOperation { left, right, .. } => {
            reads_only(left)?;
            reads_only(right)
        }
        SetExpr::Insert(_) => ControlFlow::Break("an INSERT".into()),
        SetExpr::Update(_) => ControlFlow::Break("an UPDATE".into()),
        SetExpr::Delete(_) => ControlFlow::Break("a DELETE".into()),
        SetExpr::Merge(_) => ControlFlow::Break("a MERGE".into()),
    }
}

/// The first few words of a statement, for messages.
fn first_words(statement: &str) -> String {
    let words: Vec<&str> = statement.split_whitespace().take(3).collect();
    format!("{} …", words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_pass() {
        for sql in [
            "SELECT 1",
            "select * from production.t order by 1 limit 5",
            "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
            "SELECT 1 UNION ALL SELECT 2",
            "SELECT count(*) AS n FROM (SELECT * FROM t) AS s",
        ] {
            for dialect in [Dialect::DuckDb, Dialect::BigQuery] {
                assert_eq!(check_select(sql, dialect), Ok(()), "{sql}");
            }
        }
    }

    #[test]
    fn anything_that_writes_is_refused() {
        for (sql, says) in [
            ("DROP TABLE production.t; SELECT 1", "one statement only"),
            ("DROP TABLE production.t", "only SELECT"),
            ("DELETE FROM t", "only SELECT"),
            ("INSERT INTO t VALUES (1)", "only SELECT"),
            ("UPDATE t SET a = 1", "only SELECT"),
            ("CREATE TABLE x AS SELECT 1", "only SELECT"),
            ("COPY t TO 'x.csv'", ""),
            ("ATTACH 'x.db'", ""),
            ("SELECT 1 INTO newtable", "INTO"),
            (
                "WITH d AS (SELECT 1) INSERT INTO t SELECT * FROM d",
                "INSERT",
            ),
            ("", "one statement only"),
            ("SELECT 1; SELECT 2", "one statement only"),
        ] {
            let refused = check_select(sql, Dialect::DuckDb).expect_err(sql);
            assert!(refused.contains(says), "{sql}: {refused}");
        }
    }
}
