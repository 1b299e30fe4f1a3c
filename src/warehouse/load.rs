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
//! where the partition's rows can match ([`MergeScope`]): a row matches
//! only a row with its own value in that column, so the merge's `ON` also
//! bounds the column by the partition's least and greatest value, and
//! BigQuery reads those partitions of the table, not all of it.
//!
//! One row per key: within the partition, the row that arrived last (the
//! highest [`SOURCE_ROW`]) survives. Merged into the table, it replaces the
//! row with the same key when its `updated_at` is newer, or as new with a
//! newer `created_at`; otherwise the table's row stays. The same
//! partitions loaded in the same order give the same rows on every engine,
//! and loading a partition twice, or overlapping partitions, leaves one row
//! per key.

use chrono::{DateTime, Utc};

use polars::prelude::{AnyValue, TimeUnit};

use super::{CREATED_AT, SOURCE_ROW, UPDATED_AT};
use crate::sql::{Dialect, Query, SqlValue, TableRef};
use crate::{Contract, LogicalType, Partitioning, TimeGranularity};

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

/// Where a merge on the dedup key can touch its table: the table is
/// partitioned by `column`, one of the key's, and the partition's rows hold
/// values from `bounds.0` (inclusive) to `bounds.1` (exclusive) there, or
/// NULL. The bounds are those of the table's partitions that hold the
/// least and the greatest value (whole days for a daily partitioning), so
/// a value read back a microsecond off (BigQuery sends timestamps as
/// floating-point seconds) still lies within them.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeScope {
    /// The partitioning column.
    pub column: String,
    /// From the first table partition the rows fall in to the end of the
    /// last; `None` when every value is NULL.
    pub bounds: Option<(SqlValue, SqlValue)>,
    /// The column's type, in the engine's SQL.
    pub type_name: &'static str,
}

/// The statements that merge a partition (created at `created_at`, loaded
/// into the scratch table `staging`) into `target` under `mode`, within its
/// [`MergeScope`] when it has one: every engine's last step of a load.
#[cfg(any(feature = "duckdb", feature = "bigquery"))]
pub(crate) fn partition_merge(
    warehouse: &(impl super::Warehouse + ?Sized),
    contract: &Contract,
    staging: &TableRef,
    target: &TableRef,
    created_at: DateTime<Utc>,
    mode: LoadMode,
) -> Result<Vec<Query>, super::WarehouseError> {
    let scope = merge_scope(warehouse, contract, staging, mode)?;
    Ok(merge_statements(
        warehouse.dialect(),
        contract,
        staging,
        target,
        created_at,
        Utc::now(),
        mode,
        scope.as_ref(),
    ))
}

/// The scope of merging the rows in `staging` into a table of `contract`
/// under `mode`: `Some` when the merge matches on the dedup key and the
/// table is partitioned by a TIMESTAMP or INT64 column of the key.
pub fn merge_scope(
    warehouse: &(impl super::Warehouse + ?Sized),
    contract: &Contract,
    staging: &TableRef,
    mode: LoadMode,
) -> Result<Option<MergeScope>, super::WarehouseError> {
    let (Some(key), LoadMode::Append) = (&contract.dedup_key, mode) else {
        return Ok(None);
    };
    let (column, granularity) = match &contract.partitioning {
        Some(Partitioning::Time {
            column,
            granularity,
        }) => (column, Some(*granularity)),
        Some(Partitioning::IntegerRange { column, .. }) => (column, None),
        _ => return Ok(None),
    };
    let Some(field) = contract
        .fields
        .iter()
        .find(|field| &field.name == column && key.columns.contains(column))
    else {
        return Ok(None);
    };
    let dialect = warehouse.dialect();
    let type_name = match field.logical_type {
        LogicalType::Timestamp => dialect.timestamp_type(),
        LogicalType::Int64 => dialect.integer_type(),
        _ => return Ok(None),
    };
    let mut query = Query::new(dialect);
    let quoted = dialect.quote(column);
    query.sql = format!(
        "SELECT MIN({quoted}) AS low, MAX({quoted}) AS high FROM {}",
        staging.quoted(dialect)
    );
    let frame = warehouse.query(&query)?;
    // The first partition's start, and the end of the last one.
    let bound = |name: &str, end: bool| -> Option<SqlValue> {
        let value = frame.column(name).ok()?.get(0).ok()?;
        match (value, granularity) {
            (AnyValue::Int64(number), None) => Some(SqlValue::Int(number + i64::from(end))),
            (
                AnyValue::Datetime(ticks, unit, _) | AnyValue::DatetimeOwned(ticks, unit, _),
                Some(granularity),
            ) => {
                let micros = match unit {
                    TimeUnit::Nanoseconds => ticks.div_euclid(1000),
                    TimeUnit::Microseconds => ticks,
                    TimeUnit::Milliseconds => ticks * 1000,
                };
                let time = DateTime::from_timestamp_micros(micros)?;
                partition_bound(time, granularity, end).map(SqlValue::Timestamp)
            }
            _ => None,
        }
    };
    let bounds = match (bound("low", false), bound("high", true)) {
        (Some(low), Some(high)) => Some((low, high)),
        _ => None,
    };
    Ok(Some(MergeScope {
        column: column.clone(),
        bounds,
        type_name,
    }))
}

/// The start of the `granularity` partition holding `time`, or (`end`)
/// the start of the next one.
fn partition_bound(
    time: DateTime<Utc>,
    granularity: TimeGranularity,
    end: bool,
) -> Option<DateTime<Utc>> {
    use chrono::{Datelike, Months, NaiveDate};
    let day = time.date_naive();
    let start = match granularity {
        TimeGranularity::Hour => {
            let hour = 3_600_000_000;
            let micros = time.timestamp_micros();
            DateTime::from_timestamp_micros(micros - micros.rem_euclid(hour))?.naive_utc()
        }
        TimeGranularity::Day => day.and_hms_opt(0, 0, 0)?,
        TimeGranularity::Month => {
            NaiveDate::from_ymd_opt(day.year(), day.month(), 1)?.and_hms_opt(0, 0, 0)?
        }
        TimeGranularity::Year => NaiveDate::from_ymd_opt(day.year(), 1, 1)?.and_hms_opt(0, 0, 0)?,
    };
    let bound = match (end, granularity) {
        (false, _) => start,
        (true, TimeGranularity::Hour) => start + chrono::Duration::hours(1),
        (true, TimeGranularity::Day) => start + chrono::Duration::days(1),
        (true, TimeGranularity::Month) => start.checked_add_months(Months::new(1))?,
        (true, TimeGranularity::Year) => start.checked_add_months(Months::new(12))?,
    };
    Some(bound.and_utc())
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
                // NULL always: a table made when the column was NULLABLE
                // may hold NULL keys the contract now forbids.
                let column = format!("t.{}", quote(&scope.column));
                on.push(match &scope.bounds {
                    Some((low, high)) => {
                        let (low, high) = (query.bind(low.clone()), query.bind(high.clone()));
                        let kind = scope.type_name;
                        format!(
                            "({column} IS NULL OR ({column} >= CAST({low} AS {kind}) AND {column} < CAST({high} AS {kind})))"
                        )
                    }
                    None => format!("{column} IS NULL"),
                });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DedupKey, Field, Mode, Severity};

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
            bounds: Some((SqlValue::Timestamp(now), SqlValue::Timestamp(now))),
            type_name: "TIMESTAMP",
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

    #[test]
    fn scopes_reach_to_the_whole_partitions_of_their_rows() {
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        let time = at("2024-02-29T13:45:12.123456Z");
        let bounds = |granularity| {
            (
                partition_bound(time, granularity, false).unwrap(),
                partition_bound(time, granularity, true).unwrap(),
            )
        };
        assert_eq!(
            bounds(TimeGranularity::Hour),
            (at("2024-02-29T13:00:00Z"), at("2024-02-29T14:00:00Z"))
        );
        assert_eq!(
            bounds(TimeGranularity::Day),
            (at("2024-02-29T00:00:00Z"), at("2024-03-01T00:00:00Z"))
        );
        assert_eq!(
            bounds(TimeGranularity::Month),
            (at("2024-02-01T00:00:00Z"), at("2024-03-01T00:00:00Z"))
        );
        assert_eq!(
            bounds(TimeGranularity::Year),
            (at("2024-01-01T00:00:00Z"), at("2025-01-01T00:00:00Z"))
        );
    }
}
