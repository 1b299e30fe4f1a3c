//! `raw_binance_btcusdt_spot`: one Binance kline as the REST API returns it.

use chrono::{DateTime, Utc};
use datacontract::DataContract;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

/// One Binance spot kline (candlestick), as `GET /api/v3/klines` returns it,
/// with the symbol and interval it was requested for. Prices and volumes
/// keep the API's exact decimals.
///
/// The raw layer records what the exchange sent: structural problems
/// (missing or negative values, an unknown interval) are errors, while
/// inconsistent bars and duplicated keys are warnings that the transform
/// resolves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, DataContract)]
#[validate(schema(function = "closes_after_opening"))]
#[contract(
    name = "raw_binance_btcusdt_spot",
    version = "1.0.0",
    partition_by(day(open_time)),
    cluster_by(symbol, interval),
    row_count(min = 1),
    rule("close_time > open_time"),
    warn(
        dedup_key(symbol, interval, open_time),
        rule(name = "high_ge_open_close", sql = "high >= GREATEST(open, close)"),
        rule(name = "low_le_open_close", sql = "low <= LEAST(open, close)"),
        rule("high >= low"),
        rule("taker_buy_base_asset_volume <= volume"),
        rule("taker_buy_quote_asset_volume <= quote_asset_volume")
    )
)]
pub struct RawKline {
    /// Start of the bar (inclusive), UTC.
    #[contract(min = "2017-07-01T00:00:00Z")]
    pub open_time: DateTime<Utc>,
    /// First trade price of the bar.
    #[contract(min_exclusive = 0)]
    #[validate(custom(function = "positive"))]
    pub open: Decimal,
    /// Highest trade price of the bar.
    #[contract(min_exclusive = 0)]
    #[validate(custom(function = "positive"))]
    pub high: Decimal,
    /// Lowest trade price of the bar.
    #[contract(min_exclusive = 0)]
    #[validate(custom(function = "positive"))]
    pub low: Decimal,
    /// Last trade price of the bar.
    #[contract(min_exclusive = 0)]
    #[validate(custom(function = "positive"))]
    pub close: Decimal,
    /// Traded quantity of the base asset (BTC).
    #[contract(min = 0)]
    #[validate(custom(function = "not_negative"))]
    pub volume: Decimal,
    /// End of the bar (inclusive, the last millisecond), UTC.
    pub close_time: DateTime<Utc>,
    /// Traded quantity of the quote asset (USDT).
    #[contract(min = 0)]
    #[validate(custom(function = "not_negative"))]
    pub quote_asset_volume: Decimal,
    /// Number of trades in the bar.
    #[contract(min = 0)]
    #[validate(custom(function = "no_negative_count"))]
    pub number_of_trades: i64,
    /// Base-asset volume bought by takers.
    #[contract(min = 0)]
    #[validate(custom(function = "not_negative"))]
    pub taker_buy_base_asset_volume: Decimal,
    /// Quote-asset volume bought by takers.
    #[contract(min = 0)]
    #[validate(custom(function = "not_negative"))]
    pub taker_buy_quote_asset_volume: Decimal,
    /// The trading pair, e.g. `BTCUSDT`.
    #[contract(regex = "^[A-Z0-9]{5,20}$")]
    pub symbol: String,
    /// The bar width Binance was asked for, e.g. `1m`.
    #[contract(one_of(
        "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d",
        "1w", "1M"
    ))]
    pub interval: String,
}

// The record-level checks the extractor runs before a kline enters a
// frame: the structural rules whose failure is an error in the contract.
// Consistency rules (high >= low, …) are warnings there, so they are left
// to the gate, which reports them.

fn positive(value: &Decimal) -> Result<(), ValidationError> {
    if value.is_sign_positive() && !value.is_zero() {
        Ok(())
    } else {
        Err(ValidationError::new("not_positive"))
    }
}

fn not_negative(value: &Decimal) -> Result<(), ValidationError> {
    if value.is_sign_negative() && !value.is_zero() {
        Err(ValidationError::new("negative"))
    } else {
        Ok(())
    }
}

fn no_negative_count(value: i64) -> Result<(), ValidationError> {
    if value < 0 {
        Err(ValidationError::new("negative"))
    } else {
        Ok(())
    }
}

fn closes_after_opening(kline: &RawKline) -> Result<(), ValidationError> {
    if kline.close_time > kline.open_time {
        Ok(())
    } else {
        Err(ValidationError::new("close_time_not_after_open_time"))
    }
}
