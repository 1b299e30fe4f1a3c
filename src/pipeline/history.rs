//! The production history a transform needs besides the run's own rows.
//!
//! A transform with rolling statistics (a return against the previous
//! hour, a volatility over the last 24) computes nothing for a run that
//! holds one hour, unless it also sees the hours before. A pipeline that
//! declares a [`History`] gets them: before the transform, the production
//! raw table's rows from `lookback` before the run's first period up to
//! its first row are read and put before the run's rows; after it, only
//! the processed rows from the run's first period on are kept. An hourly
//! job then produces the very bars one daily run over the same hours does.

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::error::{FailureKind, RunError};
use super::source::cast_to_contract;
use crate::Contract;
use crate::sql::{Query, SqlValue, TableRef};
use crate::warehouse::Warehouse;

/// What history the transform needs, and where its rows' times are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    /// How far before the run's first period the transform must see raw
    /// rows, e.g. 24 hours for a 24-hour rolling volatility.
    pub lookback: chrono::Duration,
    /// The raw contract's time column, e.g. `open_time`.
    pub raw_time: String,
    /// The processed contract's time column, e.g. `bar_start`.
    pub processed_time: String,
    /// The period processed rows are made per, e.g. one hour: the run's
    /// output starts at its first raw row's time rounded down to it.
    pub period: chrono::Duration,
}

/// The times a run's transform works between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The run's first period: the processed rows from here on are the
    /// run's own; the raw rows from `lookback` before it are its history.
    pub from: DateTime<Utc>,
    /// The run's earliest raw row: history ends before it.
    pub first: DateTime<Utc>,
}

/// A run's rows with the history before them.
pub struct WithHistory {
    /// The history's rows, then the run's: the transform's input.
    pub input: DataFrame,
    /// Where the run's own output starts: processed rows before it are the
    /// history's, and are dropped.
    pub from: Option<DateTime<Utc>>,
    /// How many rows of history were read.
    pub history_rows: usize,
}

impl History {
    /// `raw` with the production rows of `table` (the raw contract's) it
    /// needs before it. No history is read for an empty run, or from a
    /// table that does not exist yet.
    pub fn before(
        &self,
        raw: &DataFrame,
        warehouse: &dyn Warehouse,
        table: &TableRef,
        contract: &Contract,
    ) -> Result<WithHistory, RunError> {
        let Some(Window { from, first }) = self.window(raw)? else {
            return Ok(WithHistory {
                input: raw.clone(),
                from: None,
                history_rows: 0,
            });
        };
        let exists = warehouse
            .table_exists(table)
            .map_err(|e| RunError::from(e).context(format!("looking up {table}")))?;
        if !exists {
            return Ok(WithHistory {
                input: raw.clone(),
                from: Some(from),
                history_rows: 0,
            });
        }
        let dialect = warehouse.dialect();
        let mut query = Query::new(dialect);
        let (start, end) = (
            query.bind(SqlValue::Timestamp(from - self.lookback)),
            query.bind(SqlValue::Timestamp(first)),
        );
        let columns: Vec<String> = contract
            .fields
            .iter()
            .map(|f| dialect.quote(&f.name))
            .collect();
        let time = dialect.quote(&self.raw_time);
        let timestamp = dialect.timestamp_type();
        query.sql = format!(
            "SELECT {} FROM {} WHERE {time} >= CAST({start} AS {timestamp}) AND {time} < CAST({end} AS {timestamp}) ORDER BY {time}",
            columns.join(", "),
            table.quoted(dialect),
        );
        let earlier = warehouse
            .query(&query)
            .map_err(|e| RunError::from(e).context(format!("reading the history from {table}")))?;
        let earlier =
            cast_to_contract(earlier, contract, &Default::default()).map_err(|problem| {
                RunError::service(format!("the history in {table}: {}", problem.message))
            })?;
        let history_rows = earlier.height();
        let mut input = earlier;
        input.vstack_mut(raw).map_err(|e| {
            RunError::caused_by(FailureKind::Service, e)
                .context("putting the history before the run's rows")
        })?;
        Ok(WithHistory {
            input,
            from: Some(from),
            history_rows,
        })
    }
}

impl History {
    /// The window of the run whose raw rows are `raw`; `None` when it has
    /// none.
    pub fn window(&self, raw: &DataFrame) -> Result<Option<Window>, RunError> {
        let Some(first) = earliest(raw, &self.raw_time)? else {
            return Ok(None);
        };
        Ok(Some(Window {
            from: round_down(first, self.period)?,
            first,
        }))
    }
}

/// The earliest time in `column`, if any row has one.
fn earliest(frame: &DataFrame, column: &str) -> Result<Option<DateTime<Utc>>, RunError> {
    let values = frame.column(column).map_err(|e| {
        RunError::caused_by(FailureKind::Usage, e).context("the history's time column")
    })?;
    let micros = values
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .and_then(|c| c.min_reduce())
        .map_err(|e| {
            RunError::caused_by(FailureKind::Input, e).context(format!("the earliest `{column}`"))
        })?;
    Ok(match micros.value() {
        AnyValue::Datetime(ticks, _, _) | AnyValue::DatetimeOwned(ticks, _, _) => {
            DateTime::from_timestamp_micros(*ticks)
        }
        _ => None,
    })
}

/// `time` rounded down to a whole `period` since the epoch.
fn round_down(time: DateTime<Utc>, period: chrono::Duration) -> Result<DateTime<Utc>, RunError> {
    let period = period
        .num_microseconds()
        .filter(|micros| *micros > 0)
        .ok_or_else(|| RunError::usage("the history's period must be positive"))?;
    let micros = time.timestamp_micros();
    DateTime::from_timestamp_micros(micros - micros.rem_euclid(period))
        .ok_or_else(|| RunError::input(format!("{time} cannot be rounded down")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_start_at_their_first_period() {
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        let hour = chrono::Duration::hours(1);
        assert_eq!(
            round_down(at("2024-03-01T10:37:12Z"), hour).unwrap(),
            at("2024-03-01T10:00:00Z")
        );
        assert_eq!(
            round_down(at("1969-12-31T23:30:00Z"), hour).unwrap(),
            at("1969-12-31T23:00:00Z")
        );
        assert!(round_down(at("2024-03-01T10:37:12Z"), chrono::Duration::zero()).is_err());
    }
}
