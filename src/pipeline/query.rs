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

use super::error::RunError;
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
) -> Result<DataFrame, RunError> {
    check_select(sql, warehouse.dialect()).map_err(RunError::usage)?;
    let mut query = Query::new(warehouse.dialect());
    query.sql = sql.to_string();
    // A statement the warehouse rejects (a syntax error, an unknown column,
    // a file read DuckDB forbids) is a usage error, as a refused write is;
    // a warehouse that fails or cannot be reached is a service error.
    warehouse.check_reads_only(&query)?;
    for _ in 0..ATTEMPTS {
        // The epoch first: a promotion that starts after it is read moves
        // it, whether or not its journal is seen next.
        let before = epoch(store)?;
        refuse_pending(store, lease)?;
        let rows = warehouse.query(&query)?;
        refuse_pending(store, lease)?;
        if epoch(store)? == before {
            return Ok(rows);
        }
        tracing::info!("a promotion ran while the query read; reading again");
    }
    Err(RunError::service(format!(
        "promotions kept starting while the query read ({ATTEMPTS} tries); try again"
    )))
}

/// Fails, saying what to do, when a promotion is in progress or was
/// interrupted (a service failure: it passes, or `contracts recover`
/// repairs it).
pub fn refuse_pending(store: &dyn ObjectStore, lease: chrono::Duration) -> Result<(), RunError> {
    match pending(store, lease)? {
        None => Ok(()),
        Some((run, true)) => Err(RunError::service(format!(
            "run {run} is promoting to production right now, so production may be half-written; query again when it has finished"
        ))),
        Some((run, false)) => Err(RunError::service(format!(
            "run {run}'s promotion was interrupted, so production may be half-written; run `contracts recover` (or the next `contracts run`) to roll it back or complete it, then query again"
        ))),
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
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::pipeline::promote::EPOCH;
    use crate::store::{LocalStore, StoreError, Version};

    /// A local store whose promotion epoch moves on each of the first
    /// `moves` times it is read after a query: promotions starting while
    /// queries read.
    struct Promoting {
        inner: LocalStore,
        reads: AtomicUsize,
        moves: usize,
    }

    impl ObjectStore for Promoting {
        fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
            self.inner.put(key, bytes)
        }
        fn put_new(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
            self.inner.put_new(key, bytes)
        }
        fn get(&self, key: &str) -> Result<Vec<u8>, StoreError> {
            if key == EPOCH {
                let read = self.reads.fetch_add(1, Ordering::SeqCst);
                // Read 2k comes before the k-th query, 2k + 1 after it.
                let attempt = read / 2;
                let epoch = match read % 2 {
                    0 => attempt,
                    _ => attempt + usize::from(attempt < self.moves),
                };
                return Ok(epoch.to_string().into_bytes());
            }
            self.inner.get(key)
        }
        fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
            self.inner.list(prefix)
        }
        fn copy(&self, from: &str, to: &str) -> Result<(), StoreError> {
            self.inner.copy(from, to)
        }
        fn delete(&self, key: &str) -> Result<(), StoreError> {
            self.inner.delete(key)
        }
        fn exists(&self, key: &str) -> Result<bool, StoreError> {
            self.inner.exists(key)
        }
        fn get_versioned(&self, key: &str) -> Result<(Vec<u8>, Version), StoreError> {
            self.inner.get_versioned(key)
        }
        fn put_if(
            &self,
            key: &str,
            bytes: &[u8],
            expected: Option<&Version>,
        ) -> Result<Version, StoreError> {
            self.inner.put_if(key, bytes, expected)
        }
        fn delete_if(&self, key: &str, expected: &Version) -> Result<(), StoreError> {
            self.inner.delete_if(key, expected)
        }
    }

    #[cfg(feature = "duckdb")]
    #[test]
    fn a_promotion_starting_during_a_query_makes_it_read_again_or_give_up() {
        let dir = tempfile::tempdir().unwrap();
        let warehouse = crate::warehouse::DuckDbWarehouse::in_memory().unwrap();
        let lease = chrono::Duration::seconds(60);
        for (moves, reads_needed) in [(0, Some(2)), (1, Some(4)), (2, Some(6)), (3, None)] {
            let store = Promoting {
                inner: LocalStore::new(dir.path()).unwrap(),
                reads: AtomicUsize::new(0),
                moves,
            };
            let outcome = query_production(&store, &warehouse, "SELECT 42 AS answer", lease);
            match reads_needed {
                Some(reads) => {
                    let rows = outcome.unwrap();
                    assert_eq!(
                        rows.column("answer")
                            .unwrap()
                            .get(0)
                            .unwrap()
                            .extract::<i32>(),
                        Some(42)
                    );
                    assert_eq!(store.reads.load(Ordering::SeqCst), reads, "{moves} moves");
                }
                None => assert!(
                    outcome
                        .unwrap_err()
                        .to_string()
                        .contains("promotions kept starting"),
                    "{moves} moves"
                ),
            }
        }
    }

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
