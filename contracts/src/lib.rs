//! The contracts this repository ships: the two tables of the BTCUSDT
//! spot-klines pipeline, the registry the `contracts` binary serves, and
//! the pipeline that moves klines from Binance (or the bundled sample)
//! through both.

#![warn(missing_docs)]

pub mod binance;
mod processed;
mod raw;
pub mod sample;
pub mod sql_transform;
pub mod transform;

use datacontract::pipeline::http::HttpPolicy;
use datacontract::pipeline::{Comparison, History, Pipeline, Reconciliation, SqlMeasures};
use datacontract::{DataContract, Registry, Severity};
use polars::prelude::*;

pub use processed::ProcessedKline;
pub use raw::RawKline;

/// Every shipped contract, in pipeline order: raw, then processed.
pub fn registry() -> Registry {
    Registry::new().with::<RawKline>().with::<ProcessedKline>()
}

/// The klines pipeline: Binance (or the sample) → raw → hourly bars.
pub fn pipeline() -> Pipeline {
    pipeline_with(HttpPolicy::default())
}

/// The klines pipeline, with the HTTP rules its Binance source follows.
pub fn pipeline_with(policy: HttpPolicy) -> Pipeline {
    Pipeline {
        name: "binance_btcusdt_spot".into(),
        raw: RawKline::contract(),
        processed: ProcessedKline::contract(),
        sources: vec![
            Box::new(binance::SampleSource),
            Box::new(binance::BinanceSource { policy }),
        ],
        transform: Box::new(transform::transform),
        sql_transform: Some(sql_transform::sql_transform()),
        reconciliations: vec![hours_preserved(), volume_preserved()],
        // Returns, volatility and outliers look 24 bars back: an hourly run
        // reads the production klines of the 24 hours before its own.
        history: Some(History {
            lookback: chrono::Duration::hours(24),
            raw_time: "open_time".into(),
            processed_time: "bar_start".into(),
            period: chrono::Duration::hours(1),
        }),
    }
}

/// Every (symbol, hour) the raw klines touch has its bar.
fn hours_preserved() -> Reconciliation {
    Reconciliation {
        name: "hours_preserved".into(),
        description: "every hour with a raw kline has exactly one processed bar".into(),
        input: Box::new(|raw| {
            raw.with_column(col("open_time").dt().truncate(lit("1h")).alias("hour"))
                .unique_stable_generic(
                    Some(vec![col("symbol"), col("hour")]),
                    UniqueKeepStrategy::Any,
                )
                .select([len()])
        }),
        output: Box::new(|processed| processed.select([len()])),
        sql: Some(SqlMeasures {
            input: "SELECT COUNT(*) FROM (SELECT DISTINCT symbol, TIMESTAMP_TRUNC(open_time, HOUR) FROM input) AS hours".into(),
            output: "SELECT COUNT(*) FROM output".into(),
        }),
        comparison: Comparison::Equal,
        severity: Severity::Error,
    }
}

/// The volume of the distinct raw klines equals the volume of the bars.
fn volume_preserved() -> Reconciliation {
    Reconciliation {
        name: "volume_preserved".into(),
        description: "the base volume of the raw klines the bars are made of (exact copies dropped, then the last to arrive per key) equals the bars' volume"
            .into(),
        input: Box::new(|raw| {
            raw.unique_stable_generic(None, UniqueKeepStrategy::First)
                .unique_stable_generic(
                    Some(vec![col("symbol"), col("interval"), col("open_time")]),
                    UniqueKeepStrategy::Last,
                )
                .select([col("volume").cast(DataType::Float64).sum()])
        }),
        output: Box::new(|processed| processed.select([col("volume").sum()])),
        sql: Some(SqlMeasures {
            input: format!(
                "SELECT SUM(CAST(volume AS FLOAT64)) FROM (SELECT volume, ROW_NUMBER() OVER \
                 (PARTITION BY symbol, `interval`, open_time ORDER BY __batch DESC, __row DESC) AS recency \
                 FROM (SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY {} ORDER BY __batch, __row) \
                 AS copy_number FROM input) AS copies WHERE copy_number = 1) AS first_arrivals) AS ranked \
                 WHERE recency = 1",
                sql_transform::RAW_COLUMNS
            ),
            output: "SELECT SUM(volume) FROM output".into(),
        }),
        comparison: Comparison::WithinRelative { tolerance: 1e-9 },
        severity: Severity::Error,
    }
}
