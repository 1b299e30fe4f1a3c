//! Contracts imported from the ODCS document `processed_binance_btcusdt_spot.odcs.yaml` by `contracts import odcs`.
//!
//! Register each struct with `Registry::with::<…>()`; `contracts export` writes
//! the document back.

use datacontract::DataContract;

/// One hourly OHLCV bar of a symbol, aggregated from cleaned 1-minute
/// klines (duplicates removed, one row per minute), with VWAP, returns and
/// rolling volatility. Bars are consistent: every rule here is an error.
#[derive(DataContract)]
#[contract(
    name = "processed_binance_btcusdt_spot",
    version = "1.0.0",
    partition_by(day(bar_start)),
    cluster_by(symbol),
    dedup_key(symbol, bar_start),
    row_count(min = 1),
    rule(name = "high_ge_open_close", sql = "high >= GREATEST(open, close)"),
    rule(name = "low_le_open_close", sql = "low <= LEAST(open, close)"),
    rule(name = "vwap_within_range", sql = "vwap BETWEEN low AND high"),
    rule("minutes_missing = 60 - minutes_observed"),
    warn(drift(psi = 0.25, category_share = 0.25, columns(volume, number_of_trades, return_1h, session)))
)]
pub struct ProcessedBinanceBtcusdtSpot {
    /// Start of the hour (inclusive), UTC.
    #[contract(min = "2017-07-01T00:00:00Z")]
    pub bar_start: chrono::DateTime<chrono::Utc>,
    /// The trading pair, e.g. `BTCUSDT`.
    #[contract(regex = "^[A-Z0-9]{5,20}$")]
    pub symbol: String,
    /// First price of the hour.
    #[contract(min_exclusive = 0)]
    pub open: f64,
    /// Highest price of the hour.
    #[contract(min_exclusive = 0)]
    pub high: f64,
    /// Lowest price of the hour.
    #[contract(min_exclusive = 0)]
    pub low: f64,
    /// Last price of the hour.
    #[contract(min_exclusive = 0)]
    pub close: f64,
    /// Base-asset volume of the hour.
    #[contract(min = 0)]
    pub volume: f64,
    /// Quote-asset volume of the hour.
    #[contract(min = 0)]
    pub quote_volume: f64,
    /// Volume-weighted average price: quote volume over base volume (the
    /// mean of typical prices when the hour had no volume).
    #[contract(min_exclusive = 0)]
    pub vwap: f64,
    /// Number of trades in the hour.
    #[contract(min = 0)]
    pub number_of_trades: i64,
    /// How many 1-minute bars the hour was built from.
    #[contract(min = 1, max = 60, expect(mean(min = 55, severity = "warn")))]
    pub minutes_observed: i64,
    /// How many 1-minute bars of the hour were missing (a gap when above 0).
    #[contract(min = 0, max = 59)]
    pub minutes_missing: i64,
    /// Whether the hour's return is an outlier: more than 5 median absolute
    /// deviations from the median of the last 24 hourly returns.
    pub is_outlier: bool,
    /// The trading session the hour opens in, from the session calendar:
    /// `asia` (00–08 UTC), `europe` (08–16 UTC) or `americas` (16–24 UTC).
    #[contract(one_of("asia", "europe", "americas"))]
    pub session: String,
    /// Simple return against the previous hour's close; NULL for the first hour.
    #[contract(min = -1, expect(null_fraction(max = 0.05, severity = "warn")))]
    pub return_1h: Option<f64>,
    /// Log return against the previous hour's close; NULL for the first hour.
    #[contract(expect(mean(min = -0.05, max = 0.05, severity = "warn")))]
    pub log_return_1h: Option<f64>,
    /// Standard deviation of the last 24 hourly log returns; NULL until 24 exist.
    #[contract(min = 0)]
    pub volatility_24h: Option<f64>,
}
