//! The klines transform in SQL, for `transform = "warehouse"`: the same
//! bars as [`crate::transform::transform`], made inside DuckDB or BigQuery
//! from the relation `input` (the run's raw klines after their history;
//! see [`datacontract::pipeline::in_warehouse`]).
//!
//! Written once in GoogleSQL; DuckDB runs the translation
//! ([`datacontract::sql::translate`]). Step by step, as in Polars:
//! 1. **Clean**: exact duplicates dropped (the first to arrive kept), then
//!    the last-arrived kline per (symbol, interval, open time); prices as
//!    FLOAT64, high and low put back around open and close.
//! 2. **Aggregate**: hourly OHLCV bars with VWAP, trade counts and the
//!    minutes observed; open and close are the first and last of the hour.
//! 3. **Join**: the session calendar, the same table as Polars'
//!    ([`crate::transform::session_calendar`]).
//! 4. **Structure**: returns and log returns, the 24-bar volatility, and
//!    the outlier flag from the median and median absolute deviation of the
//!    last 24 returns.
//!
//! The last 24 bars of a bar are found by an equality join on each bar's
//! number within its symbol and 24 offsets, not by a range join, so the
//! work grows with the bars, not with their square. Medians are exact: the
//! middle one or two of each window's sorted values, as Polars takes them.
//!
//! Within an hour, klines are ordered by their open time; two klines of
//! one symbol and minute (two intervals) are the Polars transform's only
//! disagreement: it keeps them in arrival order, the SQL orders them by
//! interval. The pipeline requests one interval.

use datacontract::sql::SqlSteps;

use crate::transform::{WINDOW, session_of};

/// The raw columns a kline is identical on, all of them.
pub(crate) const RAW_COLUMNS: &str = "open_time, open, high, low, close, volume, close_time, \
    quote_asset_volume, number_of_trades, taker_buy_base_asset_volume, \
    taker_buy_quote_asset_volume, symbol, `interval`";

/// The transform's steps over `input`; the last has exactly the processed
/// contract's columns, in order, in its types.
pub fn sql_transform() -> SqlSteps {
    let price = |column: &str| format!("CAST({column} AS FLOAT64)");
    let prices = ["open", "high", "low", "close"].map(price).join(", ");
    SqlSteps::new()
        .step(
            "first_arrivals",
            format!(
                "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY {RAW_COLUMNS} \
                 ORDER BY __batch, __row) AS copy_number FROM input) AS copies WHERE copy_number = 1"
            ),
        )
        .step(
            "latest",
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY symbol, `interval`, open_time \
             ORDER BY __batch DESC, __row DESC) AS recency FROM first_arrivals) AS ranked WHERE recency = 1",
        )
        .step(
            "minutes",
            format!(
                "SELECT symbol, `interval`, open_time, TIMESTAMP_TRUNC(open_time, HOUR) AS bar_start, \
                 {open} AS open, GREATEST({prices}) AS high, LEAST({prices}) AS low, {close} AS close, \
                 {volume} AS volume, {quote} AS quote_volume, number_of_trades FROM latest",
                open = price("open"),
                close = price("close"),
                volume = price("volume"),
                quote = price("quote_asset_volume"),
            ),
        )
        .step(
            "minutes_in_hour",
            "SELECT *, \
             FIRST_VALUE(open) OVER (PARTITION BY symbol, bar_start ORDER BY open_time, `interval` \
               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS hour_open, \
             LAST_VALUE(close) OVER (PARTITION BY symbol, bar_start ORDER BY open_time, `interval` \
               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS hour_close \
             FROM minutes",
        )
        .step(
            "hours",
            "SELECT symbol, bar_start, MIN(hour_open) AS open, MAX(high) AS high, MIN(low) AS low, \
             MIN(hour_close) AS close, SUM(volume) AS volume, SUM(quote_volume) AS quote_volume, \
             AVG((high + low + close) / 3.0) AS typical_price, \
             CAST(SUM(number_of_trades) AS INT64) AS number_of_trades, \
             CAST(COUNT(*) AS INT64) AS minutes_observed \
             FROM minutes_in_hour GROUP BY symbol, bar_start",
        )
        .step(
            "bars",
            "SELECT *, \
             CASE WHEN volume > 0 THEN quote_volume / volume ELSE typical_price END AS vwap, \
             60 - minutes_observed AS minutes_missing, \
             close / previous_close - 1.0 AS return_1h, \
             LN(close / previous_close) AS log_return_1h, \
             EXTRACT(HOUR FROM bar_start) AS hour, \
             ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY bar_start) AS bar_number \
             FROM (SELECT *, LAG(close) OVER (PARTITION BY symbol ORDER BY bar_start) AS previous_close \
             FROM hours) AS with_previous",
        )
        .step("calendar", calendar_sql())
        .step(
            "with_volatility",
            format!(
                "SELECT bars.*, calendar.session, \
                 CASE WHEN COUNT(log_return_1h) OVER last_bars = {WINDOW} \
                 THEN STDDEV_SAMP(log_return_1h) OVER last_bars END AS volatility_24h \
                 FROM bars LEFT JOIN calendar ON calendar.hour = bars.hour \
                 WINDOW last_bars AS (PARTITION BY symbol ORDER BY bar_start \
                 ROWS BETWEEN {} PRECEDING AND CURRENT ROW)",
                WINDOW - 1
            ),
        )
        .step("lookback", lookback_sql())
        .step(
            "past_returns",
            "SELECT bar.symbol, bar.bar_start, past.return_1h AS amount \
             FROM with_volatility AS bar CROSS JOIN lookback \
             JOIN with_volatility AS past ON past.symbol = bar.symbol \
             AND past.bar_number = bar.bar_number - lookback.back \
             WHERE past.return_1h IS NOT NULL",
        )
        .step("median_returns", median_sql("past_returns"))
        .step(
            "deviations",
            "SELECT past.symbol, past.bar_start, ABS(past.amount - middle.middle_value) AS amount \
             FROM past_returns AS past JOIN median_returns AS middle \
             ON middle.symbol = past.symbol AND middle.bar_start = past.bar_start",
        )
        .step("median_deviations", median_sql("deviations"))
        .step(
            "processed",
            "SELECT bar.bar_start, bar.symbol, bar.open, bar.high, bar.low, bar.close, bar.volume, \
             bar.quote_volume, bar.vwap, bar.number_of_trades, bar.minutes_observed, \
             bar.minutes_missing, \
             COALESCE(ABS(bar.return_1h - middle.middle_value) > 5.0 * spread.middle_value AND spread.middle_value > 0, FALSE) \
               AS is_outlier, \
             bar.session, bar.return_1h, bar.log_return_1h, bar.volatility_24h \
             FROM with_volatility AS bar \
             LEFT JOIN median_returns AS middle ON middle.symbol = bar.symbol AND middle.bar_start = bar.bar_start \
             LEFT JOIN median_deviations AS spread ON spread.symbol = bar.symbol AND spread.bar_start = bar.bar_start",
        )
}

/// The session calendar as a query: one row per hour, each session from
/// [`session_of`], as in the Polars transform's calendar.
fn calendar_sql() -> String {
    (0..24)
        .map(|hour| format!("SELECT {hour} AS hour, '{}' AS session", session_of(hour)))
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// The offsets of a bar's window: 0 (the bar) to 23 bars back.
fn lookback_sql() -> String {
    (0..WINDOW)
        .map(|back| format!("SELECT {back} AS back"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// The exact median of `amount` per (symbol, bar_start) in `source`: the
/// mean of the middle one (odd count) or two (even count) sorted values.
fn median_sql(source: &str) -> String {
    format!(
        "SELECT symbol, bar_start, AVG(amount) AS middle_value FROM (SELECT symbol, bar_start, amount, \
         ROW_NUMBER() OVER (PARTITION BY symbol, bar_start ORDER BY amount) AS place, \
         COUNT(*) OVER (PARTITION BY symbol, bar_start) AS amounts FROM {source}) AS sorted \
         WHERE 2 * place BETWEEN amounts AND amounts + 2 GROUP BY symbol, bar_start"
    )
}
