//! Loading a partition: the statements both engines run once the
//! partition's rows sit in a staging table.
//!
//! The staged rows get the metadata columns and are reduced to one row per
//! dedup key first (a partition may repeat a key). Then:
//! - [`LoadMode::Append`] merges them in: a staged row replaces the
//!   table's row with the same key when its `updated_at` is newer, and is
//!   inserted when the key is new. Loading the same partition twice, or
//!   overlapping partitions, leaves one row per key.
//! - [`LoadMode::Truncate`] replaces the table's rows with the staged ones
//!   in one statement.
//!
//! A contract without a dedup key appends every staged row.

use chrono::{DateTime, Utc};

use super::{CREATED_AT, UPDATED_AT};
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

/// The statement that moves `staging`'s rows into `target` under `mode`.
pub fn merge_statement(
    dialect: Dialect,
    contract: &Contract,
    staging: &TableRef,
    target: &TableRef,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    mode: LoadMode,
) -> Query {
    let mut query = Query::new(dialect);
    let data_columns: Vec<String> = contract
        .fields
        .iter()
        .map(|f| dialect.quote(&f.name))
        .collect();
    let all_columns: Vec<String> = data_columns
        .iter()
        .cloned()
        .chain([CREATED_AT, UPDATED_AT].map(|c| dialect.quote(c)))
        .collect();
    let timestamp = match dialect {
        Dialect::BigQuery => "TIMESTAMP",
        Dialect::DuckDb => "TIMESTAMPTZ",
    };
    let created = query.bind(SqlValue::Timestamp(created_at));
    let updated = query.bind(SqlValue::Timestamp(updated_at));
    let staged = format!(
        "SELECT {}, CAST({created} AS {timestamp}) AS {}, CAST({updated} AS {timestamp}) AS {} FROM {}",
        data_columns.join(", "),
        dialect.quote(CREATED_AT),
        dialect.quote(UPDATED_AT),
        staging.quoted(dialect)
    );
    let key: Vec<String> = contract
        .dedup_key
        .as_ref()
        .map(|key| key.columns.iter().map(|c| dialect.quote(c)).collect())
        .unwrap_or_default();
    let source = if key.is_empty() {
        staged
    } else {
        format!(
            "SELECT {columns} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY {key}) AS __keep FROM ({staged}) AS staged) AS ranked WHERE __keep = 1",
            columns = all_columns.join(", "),
            key = key.join(", "),
        )
    };
    let target = target.quoted(dialect);
    let insert = format!(
        "INSERT ({}) VALUES ({})",
        all_columns.join(", "),
        all_columns
            .iter()
            .map(|c| format!("s.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    query.sql = match (mode, key.is_empty()) {
        (LoadMode::Truncate, _) => format!(
            "MERGE INTO {target} AS t USING ({source}) AS s ON FALSE \
             WHEN NOT MATCHED BY SOURCE THEN DELETE \
             WHEN NOT MATCHED THEN {insert}"
        ),
        (LoadMode::Append, true) => {
            format!("INSERT INTO {target} ({}) {source}", all_columns.join(", "))
        }
        (LoadMode::Append, false) => {
            let on: Vec<String> = key
                .iter()
                .map(|c| format!("t.{c} IS NOT DISTINCT FROM s.{c}"))
                .collect();
            let set: Vec<String> = all_columns.iter().map(|c| format!("{c} = s.{c}")).collect();
            let updated_at = dialect.quote(UPDATED_AT);
            format!(
                "MERGE INTO {target} AS t USING ({source}) AS s ON {} \
                 WHEN MATCHED AND s.{updated_at} > t.{updated_at} THEN UPDATE SET {} \
                 WHEN NOT MATCHED THEN {insert}",
                on.join(" AND "),
                set.join(", ")
            )
        }
    };
    query
}

/// The end of every engine's load: drops the `staging` table whatever
/// `loaded` says (the partition's row count, or why the merge failed), then
/// counts the target's rows.
#[cfg(any(feature = "duckdb", feature = "bigquery"))]
pub(crate) fn finish_load(
    warehouse: &(impl super::Warehouse + ?Sized),
    staging: &TableRef,
    table: &TableRef,
    loaded: Result<u64, super::WarehouseError>,
) -> Result<LoadOutcome, super::WarehouseError> {
    warehouse.drop_table(staging)?;
    Ok(LoadOutcome {
        partition_rows: loaded?,
        table_rows: warehouse.row_count(table)?,
    })
}
