//! Loading a partition: the statements both engines run once the
//! partition's rows sit in a scratch table. They run as one (a single
//! `MERGE`, or in one transaction), so a reader sees the table as it was
//! before the load or after it.
//!
//! Every row gets the metadata columns: [`CREATED_AT`], the partition's
//! time, and [`UPDATED_AT`], the time of the load. Then:
//!
//! | | table with a dedup key (production) | table without one (landing) |
//! |---|---|---|
//! | [`LoadMode::Append`] | one row per key merged in (below) | the rows replace those an earlier load of the same partition left; other partitions' rows stay |
//! | [`LoadMode::Truncate`] | one row per key replaces every row | the rows replace every row |
//!
//! A table partitioned by a column of its dedup key is merged into only
//! within the load's [`MergeScope`](super::scope::MergeScope).
//!
//! One row per key: within the partition, the row that arrived last (the
//! highest [`SOURCE_ROW`]) survives. Merged into the table, it replaces the
//! row with the same key when its `updated_at` is newer, or as new with a
//! newer `created_at`; otherwise the table's row stays. The same
//! partitions loaded in the same order give the same rows on every engine,
//! and loading a partition twice, or overlapping partitions, leaves one row
//! per key.

use chrono::{DateTime, Utc};

use super::scope::MergeScope;
use super::{CREATED_AT, SOURCE_ROW, UPDATED_AT};
use crate::Contract;
use crate::sql::{Dialect, Query, SqlValue, TableRef};

/// How a load treats the rows already in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadMode {
    /// Keep them; merge the partition in on the dedup key.
    #[default]
    Append,
    /// Replace them with the partition's rows.
    Truncate,
}

/// What a load did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LoadOutcome {
    /// Rows in the partition.
    pub partition_rows: u64,
    /// Rows in the table afterwards.
    pub table_rows: u64,
}

/// The statements that move the partition rows in `staging` (a scratch
/// table holding them as loaded, with [`SOURCE_ROW`]) into `target` under
/// `mode` (see the module's description), within `scope` when given; run
/// them with [`Warehouse::execute_atomically`](super::Warehouse::execute_atomically).
///
/// One `MERGE`, except where rows replace rows without matching them (a
/// table without a dedup key, or a truncate): BigQuery's `MERGE … ON FALSE`
/// reads the table once, but DuckDB runs it as a nested-loop join of every
/// row of the table with every row of the partition, a time that grows
/// with their product; there it is a `DELETE` and an `INSERT`.
#[allow(clippy::too_many_arguments)]
pub fn merge_statements(
    dialect: Dialect,
    contract: &Contract,
    staging: &TableRef,
    target: &TableRef,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    mode: LoadMode,
    scope: Option<&MergeScope>,
) -> Vec<Query> {
    let mut query = Query::new(dialect);
    let quote = |name: &str| dialect.quote(name);
    let data_columns: Vec<String> = contract.fields.iter().map(|f| quote(&f.name)).collect();
    let all_columns: Vec<String> = data_columns
        .iter()
        .cloned()
        .chain([CREATED_AT, UPDATED_AT].map(quote))
        .collect();
    let timestamp = dialect.timestamp_type();
    let created = query.bind(SqlValue::Timestamp(created_at));
    let updated = query.bind(SqlValue::Timestamp(updated_at));
    let key: Vec<String> = contract
        .dedup_key
        .as_ref()
        .map(|key| key.columns.iter().map(|c| quote(c)).collect())
        .unwrap_or_default();
    let staged = format!(
        "SELECT {}, CAST({created} AS {timestamp}) AS {}, CAST({updated} AS {timestamp}) AS {}, {} AS __arrival FROM {}",
        data_columns.join(", "),
        quote(CREATED_AT),
        quote(UPDATED_AT),
        quote(SOURCE_ROW),
        staging.quoted(dialect)
    );
    let source = if key.is_empty() {
        staged
    } else {
        format!(
            "SELECT {columns} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY __arrival DESC) AS __keep FROM ({staged}) AS staged) AS ranked WHERE __keep = 1",
            columns = all_columns.join(", "),
            key = key.join(", "),
        )
    };
    let target = target.quoted(dialect);
    let insert = format!(
        "WHEN NOT MATCHED THEN INSERT ({}) VALUES ({})",
        all_columns.join(", "),
        all_columns
            .iter()
            .map(|c| format!("s.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (created_column, updated_column) = (quote(CREATED_AT), quote(UPDATED_AT));
    let replaced = match mode {
        LoadMode::Truncate => "WHEN NOT MATCHED BY SOURCE THEN DELETE".to_string(),
        LoadMode::Append => format!(
            "WHEN NOT MATCHED BY SOURCE AND t.{created_column} = CAST({created} AS {timestamp}) THEN DELETE"
        ),
    };
    query.sql = match (mode, key.is_empty()) {
        (LoadMode::Append, false) => {
            let mut on: Vec<String> = key
                .iter()
                .map(|c| format!("t.{c} IS NOT DISTINCT FROM s.{c}"))
                .collect();
            if let Some(scope) = scope {
                let column = format!("t.{}", quote(&scope.column));
                on.push(scope.condition(&mut query, &column));
            }
            let set: Vec<String> = all_columns.iter().map(|c| format!("{c} = s.{c}")).collect();
            format!(
                "MERGE INTO {target} AS t USING ({source}) AS s ON {on} \
                 WHEN MATCHED AND (s.{updated_column} > t.{updated_column} \
                 OR (s.{updated_column} = t.{updated_column} AND s.{created_column} > t.{created_column})) \
                 THEN UPDATE SET {set} {insert}",
                on = on.join(" AND "),
                set = set.join(", ")
            )
        }
        (LoadMode::Truncate, false) | (_, true) if dialect == Dialect::DuckDb => {
            let mut delete = Query::new(dialect);
            delete.sql = match mode {
                LoadMode::Truncate => format!("DELETE FROM {target}"),
                LoadMode::Append => {
                    let created = delete.bind(SqlValue::Timestamp(created_at));
                    format!(
                        "DELETE FROM {target} WHERE {created_column} = CAST({created} AS {timestamp})"
                    )
                }
            };
            query.sql = format!(
                "INSERT INTO {target} ({columns}) SELECT {columns} FROM ({source}) AS s",
                columns = all_columns.join(", ")
            );
            return vec![delete, query];
        }
        (LoadMode::Truncate, false) | (_, true) => {
            format!("MERGE INTO {target} AS t USING ({source}) AS s ON FALSE {replaced} {insert}")
        }
    };
    vec![query]
}

/// The end of every engine's load, once the partition (created at
/// `created_at`) sits in the scratch table `staging`, or why it does not
/// (`staged`): merges the rows into `table` under `mode` within their
/// [`merge_scope`](super::scope::merge_scope) ([`merge_statements`]),
/// atomically; drops `staging` whatever happened; counts the rows of both.
/// The scope is read from `staging`: the same rows a promotion read it
/// from before it backed the table up ([`Warehouse::load_scope`](super::Warehouse::load_scope)).
#[cfg(any(feature = "duckdb", feature = "bigquery"))]
pub(crate) fn finish_load(
    warehouse: &(impl super::Warehouse + ?Sized),
    contract: &Contract,
    (staging, table): (&TableRef, &TableRef),
    created_at: DateTime<Utc>,
    mode: LoadMode,
    staged: Result<(), super::WarehouseError>,
) -> Result<LoadOutcome, super::WarehouseError> {
    let dialect = warehouse.dialect();
    let merged = staged.and_then(|()| {
        let scope =
            super::scope::merge_scope(warehouse, contract, mode, |_| staging.quoted(dialect))?;
        let partition_rows = warehouse.row_count(staging)?;
        let merge = merge_statements(
            dialect,
            contract,
            staging,
            table,
            created_at,
            Utc::now(),
            mode,
            scope.as_ref(),
        );
        warehouse.execute_atomically(&merge)?;
        Ok(partition_rows)
    });
    warehouse.drop_table(staging)?;
    Ok(LoadOutcome {
        partition_rows: merged?,
        table_rows: warehouse.row_count(table)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warehouse::scope::ScopeBounds;
    use crate::{DedupKey, Field, LogicalType, Mode, Partitioning, Severity, TimeGranularity};

    fn partitioned_by_key() -> Contract {
        Contract {
            dedup_key: Some(DedupKey {
                columns: vec!["id".into(), "at".into()],
                severity: Severity::Error,
            }),
            partitioning: Some(Partitioning::Time {
                column: "at".into(),
                granularity: TimeGranularity::Day,
            }),
            ..Contract::new(
                "events",
                vec![
                    Field::new("id", LogicalType::Int64, Mode::Required),
                    Field::new("at", LogicalType::Timestamp, Mode::Nullable),
                ],
            )
        }
    }

    #[test]
    fn a_merge_within_a_scope_bounds_the_partitioning_column() {
        let contract = partitioned_by_key();
        let (staging, target) = (
            TableRef::new("d", "scratch").unwrap(),
            TableRef::new("d", "events").unwrap(),
        );
        let now = Utc::now();
        let scope = MergeScope {
            column: "at".into(),
            bounds: Some(ScopeBounds::Timestamp {
                from: now,
                until: now,
            }),
        };
        let merge = |scope: Option<&MergeScope>| {
            let mut statements = merge_statements(
                Dialect::BigQuery,
                &contract,
                &staging,
                &target,
                now,
                now,
                LoadMode::Append,
                scope,
            );
            assert_eq!(statements.len(), 1, "one MERGE");
            statements.remove(0)
        };
        let scoped = merge(Some(&scope));
        assert!(
            scoped.sql.contains(
                "ON t.`id` IS NOT DISTINCT FROM s.`id` AND t.`at` IS NOT DISTINCT FROM s.`at` \
                 AND (t.`at` IS NULL OR (t.`at` >= CAST(@p2 AS TIMESTAMP) AND t.`at` < CAST(@p3 AS TIMESTAMP)))"
            ),
            "{}",
            scoped.sql
        );
        assert_eq!(scoped.params.len(), 4);
        let everywhere = merge(None);
        assert!(!everywhere.sql.contains("CAST(@p2"), "{}", everywhere.sql);
        let all_null = MergeScope {
            bounds: None,
            ..scope
        };
        let sql = merge(Some(&all_null)).sql;
        assert!(sql.contains("AND t.`at` IS NULL WHEN MATCHED"), "{sql}");
    }

    #[test]
    fn duckdb_replaces_rows_with_a_delete_and_an_insert_not_a_merge_on_false() {
        let landing = Contract {
            dedup_key: None,
            ..partitioned_by_key()
        };
        let (staging, target) = (
            TableRef::new("d", "scratch").unwrap(),
            TableRef::new("d", "events").unwrap(),
        );
        let statements = |dialect, contract: &Contract, mode| {
            let now = Utc::now();
            merge_statements(dialect, contract, &staging, &target, now, now, mode, None)
                .into_iter()
                .map(|query| query.sql)
                .collect::<Vec<_>>()
        };
        let append = statements(Dialect::DuckDb, &landing, LoadMode::Append);
        assert_eq!(append.len(), 2, "{append:?}");
        assert!(
            append[0].starts_with(r#"DELETE FROM "d"."events" WHERE "created_at" = CAST($1"#),
            "{append:?}"
        );
        assert!(
            append[1].starts_with(r#"INSERT INTO "d"."events" ("#),
            "{append:?}"
        );
        let truncate = statements(Dialect::DuckDb, &partitioned_by_key(), LoadMode::Truncate);
        assert_eq!(truncate[0], r#"DELETE FROM "d"."events""#);
        assert!(truncate[1].contains("ROW_NUMBER() OVER"), "{truncate:?}");
        // BigQuery keeps its one MERGE, and DuckDB its MERGE on the key.
        for (dialect, contract, mode) in [
            (Dialect::BigQuery, &landing, LoadMode::Append),
            (Dialect::BigQuery, &landing, LoadMode::Truncate),
            (Dialect::DuckDb, &partitioned_by_key(), LoadMode::Append),
        ] {
            let merge = statements(dialect, contract, mode);
            assert_eq!(merge.len(), 1, "{merge:?}");
            assert!(merge[0].starts_with("MERGE INTO"), "{merge:?}");
        }
    }
}
