//! The backups a promotion takes of production tables before it loads
//! them, and puts back when it rolls back.
//!
//! A backup holds the whole table, or, when the load has a [`MergeScope`]
//! ([`Warehouse::load_scope`]), only the rows within it: the only rows the
//! load can change, and the only rows it adds. Restoring a scoped backup
//! replaces the rows within the scope with the backup's and leaves every
//! other row as it is, so a promotion's backup and rollback cost the size
//! of what it loads, not of the table.

use super::{MergeScope, Warehouse, WarehouseError};
use crate::sql::{Query, TableRef};

/// Replaces `backup` with a copy of `table`'s rows within `scope` (all of
/// them when `scope` is `None`), atomically: the backup exists whole or
/// not at all.
pub fn take(
    warehouse: &(impl Warehouse + ?Sized),
    table: &TableRef,
    backup: &TableRef,
    scope: Option<&MergeScope>,
) -> Result<(), WarehouseError> {
    let Some(scope) = scope else {
        return warehouse.copy_table(table, backup);
    };
    let dialect = warehouse.dialect();
    let mut copy = Query::new(dialect);
    let within = scope.condition(&mut copy, &dialect.quote(&scope.column));
    copy.sql = format!(
        "CREATE OR REPLACE TABLE {} AS SELECT * FROM {} WHERE {within}",
        backup.quoted(dialect),
        table.quoted(dialect)
    );
    warehouse.execute_atomically(&[copy])
}

/// Puts `table` back as it was when [`take`] copied it into `backup` with
/// the same `scope`, atomically: the rows within the scope are replaced by
/// the backup's (every row, when `scope` is `None`). Safe to run again.
pub fn restore(
    warehouse: &(impl Warehouse + ?Sized),
    backup: &TableRef,
    table: &TableRef,
    scope: Option<&MergeScope>,
) -> Result<(), WarehouseError> {
    let Some(scope) = scope else {
        return warehouse.copy_table(backup, table);
    };
    let dialect = warehouse.dialect();
    let mut delete = Query::new(dialect);
    let within = scope.condition(&mut delete, &dialect.quote(&scope.column));
    delete.sql = format!("DELETE FROM {} WHERE {within}", table.quoted(dialect));
    let mut insert = Query::new(dialect);
    // The backup is `SELECT *` of the table: the same columns, in order.
    insert.sql = format!(
        "INSERT INTO {} SELECT * FROM {}",
        table.quoted(dialect),
        backup.quoted(dialect)
    );
    warehouse.execute_atomically(&[delete, insert])
}

#[cfg(all(test, feature = "duckdb"))]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::sql::Dialect;
    use crate::warehouse::{DuckDbWarehouse, ScopeBounds};

    fn day(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{text}T00:00:00Z"))
            .unwrap()
            .to_utc()
    }

    fn run(warehouse: &DuckDbWarehouse, sql: &str) {
        let mut query = Query::new(Dialect::DuckDb);
        query.sql = sql.into();
        warehouse.execute(&query).unwrap();
    }

    fn rows(warehouse: &DuckDbWarehouse, table: &str) -> Vec<String> {
        let mut query = Query::new(Dialect::DuckDb);
        query.sql = format!(
            "SELECT coalesce(strftime(seen, '%Y-%m-%d'), '-') || ' ' || note AS row FROM {table} ORDER BY seen NULLS FIRST, note"
        );
        let frame = warehouse.query(&query).unwrap();
        frame
            .column("row")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|row| row.unwrap().to_string())
            .collect()
    }

    /// Three days of rows and one with no day; the scope is the second day.
    fn three_days() -> (DuckDbWarehouse, TableRef, TableRef, MergeScope) {
        let warehouse = DuckDbWarehouse::in_memory().unwrap();
        run(&warehouse, "CREATE SCHEMA p");
        run(
            &warehouse,
            "CREATE TABLE p.events (seen TIMESTAMPTZ, note VARCHAR NOT NULL)",
        );
        run(
            &warehouse,
            "INSERT INTO p.events VALUES \
             ('2024-03-01 10:00:00+00', 'first'), ('2024-03-02 10:00:00+00', 'second'), \
             ('2024-03-02 23:59:59+00', 'late'), ('2024-03-03 00:00:00+00', 'third'), \
             (NULL, 'undated')",
        );
        let scope = MergeScope {
            column: "seen".into(),
            bounds: Some(ScopeBounds::Timestamp {
                from: day("2024-03-02"),
                until: day("2024-03-03"),
            }),
        };
        (
            warehouse,
            TableRef::new("p", "events").unwrap(),
            TableRef::new("p", "events__rollback_r1").unwrap(),
            scope,
        )
    }

    #[test]
    fn a_scoped_backup_holds_only_the_rows_within_its_scope() {
        let (warehouse, table, backup, scope) = three_days();
        take(&warehouse, &table, &backup, Some(&scope)).unwrap();
        assert_eq!(
            rows(&warehouse, "p.events__rollback_r1"),
            ["- undated", "2024-03-02 second", "2024-03-02 late"]
        );
    }

    #[test]
    fn a_scoped_restore_puts_back_the_scope_and_leaves_every_other_row() {
        let (warehouse, table, backup, scope) = three_days();
        let before = rows(&warehouse, "p.events");
        take(&warehouse, &table, &backup, Some(&scope)).unwrap();
        // What a load within the scope does: changes, adds and removes
        // rows within it.
        run(
            &warehouse,
            "UPDATE p.events SET note = 'changed' WHERE note = 'second'",
        );
        run(
            &warehouse,
            "INSERT INTO p.events VALUES ('2024-03-02 12:00:00+00', 'added'), (NULL, 'added')",
        );
        run(&warehouse, "DELETE FROM p.events WHERE note = 'late'");
        // A row outside the scope that changed since (no load does this):
        // a restore that copied the whole table back would undo it.
        run(
            &warehouse,
            "UPDATE p.events SET note = 'outside' WHERE note = 'third'",
        );
        restore(&warehouse, &backup, &table, Some(&scope)).unwrap();
        let want: Vec<String> = before
            .iter()
            .map(|row| row.replace("third", "outside"))
            .collect();
        let mut got = rows(&warehouse, "p.events");
        assert_eq!(got, want);
        // Again, as after a crash half-way through a recovery.
        restore(&warehouse, &backup, &table, Some(&scope)).unwrap();
        got = rows(&warehouse, "p.events");
        assert_eq!(got, want);
    }

    #[test]
    fn without_a_scope_the_whole_table_is_backed_up_and_restored() {
        let (warehouse, table, backup, _) = three_days();
        let before = rows(&warehouse, "p.events");
        take(&warehouse, &table, &backup, None).unwrap();
        run(&warehouse, "DELETE FROM p.events");
        restore(&warehouse, &backup, &table, None).unwrap();
        assert_eq!(rows(&warehouse, "p.events"), before);
    }
}
