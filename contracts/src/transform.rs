//! Raw 1-minute klines into hourly bars ([`crate::processed::ProcessedKline`]), with Polars'
//! lazy API:
//! 1. **Clean**: drop exact duplicates; keep the last-arrived kline per
//!    (symbol, interval, open time); put a kline's high and low back around
//!    its open and close when they are inverted; order by time.
//! 2. **Aggregate**: 1-minute klines into hourly OHLCV bars with VWAP and
//!    trade counts; `minutes_missing` flags the gaps of each hour.
//! 3. **Join**: the session calendar (which market opens the hour).
//! 4. **Structure**: returns, log returns, 24-hour rolling volatility, and
//!    an outlier flag (a return more than 5 median absolute deviations from
//!    the median of the last 24 returns).
//!
//! Every value of a bar depends on that bar and the 24 before it only, each
//! window computed on its own (no running sum whose rounding would depend
//! on where the input starts). So an hourly run that sees the 24 hours
//! before it (the pipeline's [`History`](datacontract::pipeline::History))
//! makes exactly the bars one daily run makes.

use polars::prelude::*;

/// How many bars (this one included) the rolling statistics span.
pub(crate) const WINDOW: i64 = 24;
/// How many median absolute deviations make an outlier.
const OUTLIER_MADS: f64 = 5.0;

/// The trading session a UTC hour (0–23) opens in.
pub fn session_of(hour: i8) -> &'static str {
    match hour {
        0..=7 => "asia",
        8..=15 => "europe",
        _ => "americas",
    }
}

/// The session calendar: the trading session each UTC hour opens in.
pub fn session_calendar() -> PolarsResult<DataFrame> {
    let hours: Vec<i8> = (0..24).collect();
    let sessions: Vec<&str> = hours.iter().copied().map(session_of).collect();
    df!("hour" => hours, "session" => sessions)
}

/// The transform: raw klines (the raw contract's frame) into processed bars
/// (exactly the processed contract's columns and dtypes).
pub fn transform(raw: LazyFrame) -> PolarsResult<LazyFrame> {
    let key = || vec![col("symbol"), col("interval"), col("open_time")];
    let price = |name: &str| col(name).cast(DataType::Float64);
    let minutes = raw
        .unique_stable_generic(None, UniqueKeepStrategy::First)
        .unique_stable_generic(Some(key()), UniqueKeepStrategy::Last)
        .with_columns([
            price("open").alias("open"),
            price("close").alias("close"),
            polars::lazy::dsl::max_horizontal([
                price("open"),
                price("high"),
                price("low"),
                price("close"),
            ])?
            .alias("high"),
            polars::lazy::dsl::min_horizontal([
                price("open"),
                price("high"),
                price("low"),
                price("close"),
            ])?
            .alias("low"),
            price("volume").alias("volume"),
            price("quote_asset_volume").alias("quote_volume"),
        ])
        .sort(["symbol", "open_time"], SortMultipleOptions::default())
        .with_column(col("open_time").dt().truncate(lit("1h")).alias("bar_start"));
    let typical = (col("high") + col("low") + col("close")) / lit(3.0);
    let hours = minutes
        .group_by_stable([col("symbol"), col("bar_start")])
        .agg([
            col("open").first(),
            col("high").max(),
            col("low").min(),
            col("close").last(),
            col("volume").sum(),
            col("quote_volume").sum(),
            typical.mean().alias("typical_price"),
            col("number_of_trades").sum(),
            col("open_time")
                .count()
                .cast(DataType::Int64)
                .alias("minutes_observed"),
        ])
        .sort(["symbol", "bar_start"], SortMultipleOptions::default())
        .with_columns([
            when(col("volume").gt(lit(0.0)))
                .then(col("quote_volume") / col("volume"))
                .otherwise(col("typical_price"))
                .alias("vwap"),
            (lit(60i64) - col("minutes_observed")).alias("minutes_missing"),
            col("close")
                .shift(lit(1))
                .over([col("symbol")])?
                .alias("previous_close"),
            col("bar_start").dt().hour().alias("hour"),
        ])
        .with_columns([
            (col("close") / col("previous_close") - lit(1.0)).alias("return_1h"),
            natural_log(col("close") / col("previous_close")).alias("log_return_1h"),
        ]);
    let calendar = session_calendar()?.lazy();
    let with_session = hours.join(
        calendar,
        [col("hour")],
        [col("hour")],
        JoinArgs::new(JoinType::Left),
    );
    let sorted = with_session.sort(["symbol", "bar_start"], SortMultipleOptions::default());
    let output = with_outlier_flag(with_rolling_volatility(sorted)?)?.select(
        [
            "bar_start",
            "symbol",
            "open",
            "high",
            "low",
            "close",
            "volume",
            "quote_volume",
            "vwap",
            "number_of_trades",
            "minutes_observed",
            "minutes_missing",
            "is_outlier",
            "session",
            "return_1h",
            "log_return_1h",
            "volatility_24h",
        ]
        .map(col),
    );
    Ok(output)
}

/// The natural logarithm, element-wise (Polars' `log` needs a feature this
/// build leaves out).
fn natural_log(expr: Expr) -> Expr {
    expr.map(
        |column| {
            let values = column.f64()?;
            Ok(values.apply_values(f64::ln).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Float64)),
    )
}

/// The values of `column` in the last 24 bars of the symbol, this one
/// included (NULL where a bar or its value is missing), as a list.
fn last_window(column: &str) -> PolarsResult<Expr> {
    let bars: Vec<Expr> = (0..WINDOW)
        .map(|back| col(column).shift(lit(back)).over([col("symbol")]))
        .collect::<PolarsResult<_>>()?;
    concat_list(bars)
}

/// Adds `volatility_24h`: the sample standard deviation of the last 24 log
/// returns of the symbol; NULL until 24 returns exist.
fn with_rolling_volatility(frame: LazyFrame) -> PolarsResult<LazyFrame> {
    let window = last_window("log_return_1h")?;
    let returns = window.clone().list().drop_nulls().list().len();
    Ok(frame.with_column(
        when(returns.eq(lit(WINDOW as u32)))
            .then(window.list().agg(element().std(1)))
            .otherwise(lit(NULL).cast(DataType::Float64))
            .alias("volatility_24h"),
    ))
}

/// Adds `is_outlier`: whether the hour's return lies more than 5 median
/// absolute deviations from the median of the last 24 returns (false when
/// the return is NULL or those returns do not vary).
fn with_outlier_flag(frame: LazyFrame) -> PolarsResult<LazyFrame> {
    let window = last_window("return_1h")?;
    let median = window.clone().list().agg(element().median());
    let deviation = window
        .list()
        .agg((element() - element().median()).abs().median());
    let distance = col("return_1h") - median;
    let distance = when(distance.clone().lt(lit(0.0)))
        .then(-distance.clone())
        .otherwise(distance);
    Ok(frame.with_column(
        distance
            .gt(lit(OUTLIER_MADS) * deviation.clone())
            .and(deviation.gt(lit(0.0)))
            .fill_null(lit(false))
            .alias("is_outlier"),
    ))
}
