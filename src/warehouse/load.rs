//! Loading a partition: the statement both engines run once the
//! partition's rows sit in a scratch table. It is one statement, so a
//! reader sees the table as it was before the load or after it.
//!
//! Every row gets the metadata columns: [`CREATED_AT`], the partition's
//! time, and [`UPDATED_AT`], the time of the load. Then:
//!
//! | | table with a dedup key (production) | table without one (landing) |
//! |---|---|---|
//! | [`LoadMode::Append`] | one row per key merged in (below) | the rows replace those an earlier load of the same partition left; other partitions' rows stay |
//! | [`LoadMode::Truncate`] | one row per key replaces every row | the rows replace every row |
//!
//! One row per key: within the partition, the row that arrived last (the
//! highest [`SOURCE_ROW`]) survives. Merged into the table, it replaces the
//! row with the same key when its `updated_at` is newer, or as new with a
//! newer `created_at`; otherwise the table's row stays. The same
//! partitions loaded in the same order give the same rows on every engine,
//! and loading a partition twice, or overlapping partitions, leaves one row
//! per key.

use chrono::{DateTime, Utc};

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

/// The statement that moves the partition rows in `staging` (a scratch
/// table holding them as loaded, with [`SOURCE_ROW`]) into `target` under
/// `mode` (see the module's description).
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
            let on: Vec<String> = key
                .iter()
                .map(|c| format!("t.{c} IS NOT DISTINCT FROM s.{c}"))
                .collect();
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
        (LoadMode::Truncate, false) | (_, true) => {
            format!("MERGE INTO {target} AS t USING ({source}) AS s ON FALSE {replaced} {insert}")
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
