//! Where a load can change a table: its [`MergeScope`].
//!
//! A table partitioned by a column of its dedup key is merged into only
//! where the partition's rows can match: a row matches only a row with its
//! own value in that column, so the merge's `ON` also bounds the column by
//! the least and the greatest value among the rows loaded, widened to whole
//! table partitions. BigQuery then reads those partitions of the table, not
//! all of it; and a promotion backs up only the rows in the scope
//! ([`backup`](super::backup)), not the whole table.

use chrono::{DateTime, Utc};
use polars::prelude::{AnyValue, DataFrame, TimeUnit};
use serde::{Deserialize, Serialize};

use super::LoadMode;
use crate::sql::{Query, SqlValue};
use crate::{Contract, LogicalType, Partitioning, TimeGranularity};

/// Where a merge on the dedup key can touch its table: the table is
/// partitioned by `column`, one of the key's, and the rows loaded hold
/// values within `bounds` there, or NULL. The bounds are those of the
/// table's partitions that hold the least and the greatest value (whole
/// days for a daily partitioning), so a value read back a microsecond off
/// (BigQuery sends timestamps as floating-point seconds) still lies within
/// them.
///
/// Promotion journals record it (JSON), so a recovery knows which rows a
/// backup stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeScope {
    /// The partitioning column.
    pub column: String,
    /// From the first table partition the rows fall in to the end of the
    /// last; `None` when every value is NULL.
    pub bounds: Option<ScopeBounds>,
}

/// The values of a [`MergeScope`]'s column, from `from` (inclusive) to
/// `until` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeBounds {
    /// A TIMESTAMP column.
    Timestamp {
        /// The first instant within.
        from: DateTime<Utc>,
        /// The first instant past.
        until: DateTime<Utc>,
    },
    /// An INT64 column.
    Integer {
        /// The first value within.
        from: i64,
        /// The first value past.
        until: i64,
    },
}

impl MergeScope {
    /// The SQL condition that holds for the rows within the scope, on
    /// `column` (the scope's column as the statement names it, quoted and
    /// qualified), its bounds bound to `query`. NULL is always within: a
    /// table made when the column was NULLABLE may hold NULL keys the
    /// contract now forbids.
    pub fn condition(&self, query: &mut Query, column: &str) -> String {
        let Some(bounds) = self.bounds else {
            return format!("{column} IS NULL");
        };
        let dialect = query.dialect;
        let (from, until, kind) = match bounds {
            ScopeBounds::Timestamp { from, until } => (
                SqlValue::Timestamp(from),
                SqlValue::Timestamp(until),
                dialect.timestamp_type(),
            ),
            ScopeBounds::Integer { from, until } => (
                SqlValue::Int(from),
                SqlValue::Int(until),
                dialect.integer_type(),
            ),
        };
        let (from, until) = (query.bind(from), query.bind(until));
        format!(
            "({column} IS NULL OR ({column} >= CAST({from} AS {kind}) AND {column} < CAST({until} AS {kind})))"
        )
    }
}

/// The scope of loading rows into a table of `contract` under `mode`:
/// `Some` when the load merges on the dedup key and the table is
/// partitioned by a TIMESTAMP or INT64 column of the key. The rows are
/// those of the relation `rows` writes into the query it is given (a table,
/// or the engine reading Parquet files).
pub fn merge_scope(
    warehouse: &(impl super::Warehouse + ?Sized),
    contract: &Contract,
    mode: LoadMode,
    rows: impl FnOnce(&mut Query) -> String,
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
    let scoped_type = contract.fields.iter().any(|field| {
        &field.name == column
            && key.columns.contains(column)
            && matches!(
                (&field.logical_type, granularity),
                (LogicalType::Timestamp, Some(_)) | (LogicalType::Int64, None)
            )
    });
    if !scoped_type {
        return Ok(None);
    }
    let dialect = warehouse.dialect();
    let mut query = Query::new(dialect);
    let quoted = dialect.quote(column);
    let from = rows(&mut query);
    query.sql = format!("SELECT MIN({quoted}) AS low, MAX({quoted}) AS high FROM {from}");
    let frame = warehouse.query(&query)?;
    Ok(Some(MergeScope {
        column: column.clone(),
        bounds: bounds(&frame, granularity)?,
    }))
}

/// The bounds of the least (`low`) and greatest (`high`) value in `frame`:
/// from the start of the first partition to the end of the last; `None`
/// when both are NULL.
fn bounds(
    frame: &DataFrame,
    granularity: Option<TimeGranularity>,
) -> Result<Option<ScopeBounds>, super::WarehouseError> {
    let unreadable = |message: String| super::WarehouseError::Result {
        operation: "find the partitions a load reaches".into(),
        message,
    };
    // A missing value is an error, not NULL: a scope of NULL only would
    // match nothing and duplicate every key.
    let value = |name: &str| {
        frame
            .column(name)
            .and_then(|column| column.get(0))
            .map_err(|error| unreadable(format!("no `{name}` in the result: {error}")))
    };
    let (low, high) = (value("low")?, value("high")?);
    let bounds = match (&low, &high, granularity) {
        (AnyValue::Null, AnyValue::Null, _) => return Ok(None),
        (AnyValue::Int64(low), AnyValue::Int64(high), None) => high
            .checked_add(1)
            .map(|until| ScopeBounds::Integer { from: *low, until }),
        (low, high, Some(granularity)) => {
            instant(low).zip(instant(high)).and_then(|(low, high)| {
                Some(ScopeBounds::Timestamp {
                    from: partition_bound(low, granularity, false)?,
                    until: partition_bound(high, granularity, true)?,
                })
            })
        }
        _ => None,
    };
    bounds.map(Some).ok_or_else(|| {
        unreadable(format!(
            "unexpected least and greatest values {low:?} and {high:?}"
        ))
    })
}

/// A timestamp value as an instant; `None` for anything else (NULL).
fn instant(value: &AnyValue<'_>) -> Option<DateTime<Utc>> {
    let (AnyValue::Datetime(ticks, unit, _) | AnyValue::DatetimeOwned(ticks, unit, _)) = value
    else {
        return None;
    };
    let micros = match unit {
        TimeUnit::Nanoseconds => ticks.div_euclid(1000),
        TimeUnit::Microseconds => *ticks,
        TimeUnit::Milliseconds => ticks.checked_mul(1000)?,
    };
    DateTime::from_timestamp_micros(micros)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Dialect;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn scopes_reach_to_the_whole_partitions_of_their_rows() {
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

    #[test]
    fn a_condition_binds_its_bounds_with_the_columns_type() {
        let timestamps = ScopeBounds::Timestamp {
            from: at("2024-02-29T00:00:00Z"),
            until: at("2024-03-01T00:00:00Z"),
        };
        for (bounds, dialect, want) in [
            (
                timestamps,
                Dialect::DuckDb,
                r#"("at" IS NULL OR ("at" >= CAST($1 AS TIMESTAMPTZ) AND "at" < CAST($2 AS TIMESTAMPTZ)))"#,
            ),
            (
                ScopeBounds::Integer { from: 3, until: 8 },
                Dialect::BigQuery,
                "(`at` IS NULL OR (`at` >= CAST(@p0 AS INT64) AND `at` < CAST(@p1 AS INT64)))",
            ),
        ] {
            let scope = MergeScope {
                column: "at".into(),
                bounds: Some(bounds),
            };
            let mut query = Query::new(dialect);
            assert_eq!(scope.condition(&mut query, &dialect.quote("at")), want);
            assert_eq!(query.params.len(), 2);
        }
        let all_null = MergeScope {
            column: "at".into(),
            bounds: None,
        };
        let mut query = Query::new(Dialect::DuckDb);
        assert_eq!(
            all_null.condition(&mut query, "t.\"at\""),
            "t.\"at\" IS NULL"
        );
        assert!(query.params.is_empty());
    }

    #[test]
    fn a_scope_reads_back_from_its_journal_form() {
        let scope = MergeScope {
            column: "open_time".into(),
            bounds: Some(ScopeBounds::Timestamp {
                from: at("2024-02-29T00:00:00Z"),
                until: at("2024-03-01T00:00:00Z"),
            }),
        };
        let json = serde_json::to_value(&scope).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "column": "open_time",
                "bounds": {"timestamp": {"from": "2024-02-29T00:00:00Z", "until": "2024-03-01T00:00:00Z"}}
            })
        );
        assert_eq!(serde_json::from_value::<MergeScope>(json).unwrap(), scope);
    }
}
