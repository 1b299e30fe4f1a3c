//! How the warehouse lays a table out: partitioning.

use serde::{Deserialize, Serialize};

/// The width of one time partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TimeGranularity {
    /// One partition per hour (TIMESTAMP and DATETIME columns only).
    Hour,
    /// One partition per day.
    Day,
    /// One partition per month.
    Month,
    /// One partition per year.
    Year,
}

impl TimeGranularity {
    /// The name BigQuery uses: `HOUR`, `DAY`, `MONTH`, `YEAR`.
    pub fn name(self) -> &'static str {
        match self {
            TimeGranularity::Hour => "HOUR",
            TimeGranularity::Day => "DAY",
            TimeGranularity::Month => "MONTH",
            TimeGranularity::Year => "YEAR",
        }
    }
}

/// How a table is partitioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Partitioning {
    /// By a DATE, TIMESTAMP or DATETIME column.
    Time {
        /// The column.
        column: String,
        /// The width of a partition.
        granularity: TimeGranularity,
    },
    /// By the time rows were loaded (`_PARTITIONTIME`).
    IngestionTime {
        /// The width of a partition.
        granularity: TimeGranularity,
    },
    /// By ranges of an INT64 column: `[start, end)` in steps of `interval`.
    IntegerRange {
        /// The column.
        column: String,
        /// The first value of the first range.
        start: i64,
        /// The end (exclusive) of the last range.
        end: i64,
        /// The width of each range.
        interval: i64,
    },
}
