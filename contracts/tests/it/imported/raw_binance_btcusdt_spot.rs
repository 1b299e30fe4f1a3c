//! Contracts imported from the ODCS document `raw_binance_btcusdt_spot.odcs.yaml` by `contracts import odcs`.
//!
//! Register each struct with `Registry::with::<…>()`; `contracts export` writes
//! the document back.

use datacontract::DataContract;

/// One Binance spot kline (candlestick), as `GET /api/v3/klines` returns it,
/// with the symbol and interval it was requested for. Prices and volumes
/// keep the API's exact decimals.
///
/// The raw layer records what the exchange sent: structural problems
/// (missing or negative values, an unknown interval) are errors, while
/// inconsistent bars and duplicated keys are warnings that the transform
/// resolves.
#[derive(DataContract)]
#[contract(
    name = "raw_binance_btcusdt_spot",
    version = "1.0.0",
    partition_by(day(open_time)),
    cluster_by(symbol, interval),
    row_count(min = 1),
    rule("close_time > open_time"),
    warn(dedup_key(symbol, interval, open_time), rule(name = "high_ge_open_close", sql = "high >= GREATEST(open, close)"), rule(name = "low_le_open_close", sql = "low <= LEAST(open, close)"), rule("high >= low"), rule("taker_buy_base_asset_volume <= volume"), rule("taker_buy_quote_asset_volume <= quote_asset_volume"))
)]
pub struct RawBinanceBtcusdtSpot {
    /// Start of the bar (inclusive), UTC.
    #[contract(min = "2017-07-01T00:00:00Z")]
    pub open_time: chrono::DateTime<chrono::Utc>,
    /// First trade price of the bar.
    #[contract(min_exclusive = 0)]
    pub open: rust_decimal::Decimal,
    /// Highest trade price of the bar.
    #[contract(min_exclusive = 0)]
    pub high: rust_decimal::Decimal,
    /// Lowest trade price of the bar.
    #[contract(min_exclusive = 0)]
    pub low: rust_decimal::Decimal,
    /// Last trade price of the bar.
    #[contract(min_exclusive = 0)]
    pub close: rust_decimal::Decimal,
    /// Traded quantity of the base asset (BTC).
    #[contract(min = 0)]
    pub volume: rust_decimal::Decimal,
    /// End of the bar (inclusive, the last millisecond), UTC.
    pub close_time: chrono::DateTime<chrono::Utc>,
    /// Traded quantity of the quote asset (USDT).
    #[contract(min = 0)]
    pub quote_asset_volume: rust_decimal::Decimal,
    /// Number of trades in the bar.
    #[contract(min = 0)]
    pub number_of_trades: i64,
    /// Base-asset volume bought by takers.
    #[contract(min = 0)]
    pub taker_buy_base_asset_volume: rust_decimal::Decimal,
    /// Quote-asset volume bought by takers.
    #[contract(min = 0)]
    pub taker_buy_quote_asset_volume: rust_decimal::Decimal,
    /// The trading pair, e.g. `BTCUSDT`.
    #[contract(regex = "^[A-Z0-9]{5,20}$")]
    pub symbol: String,
    /// The bar width Binance was asked for, e.g. `1m`.
    #[contract(
        one_of("1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M")
    )]
    pub interval: String,
}
