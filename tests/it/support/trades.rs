//! Trades: a small contract with a key, partitioning and clustering, and
//! frames of it, shared by the warehouse tests.

use chrono::{DateTime, TimeZone, Utc};
use datacontract::DataContract;
use datacontract::sql::{Query, TableRef};
use datacontract::warehouse::Warehouse;
use polars::prelude::*;

/// One trade, as a small contract with a key, partitioning and clustering.
#[derive(DataContract)]
#[contract(
    version = "1.0.0",
    dedup_key(trade_id),
    partition_by(day(traded_at)),
    cluster_by(symbol)
)]
#[allow(dead_code)]
pub struct Trade {
    pub trade_id: i64,
    pub symbol: String,
    #[contract(min_exclusive = 0)]
    pub price: f64,
    pub traded_at: DateTime<Utc>,
    pub note: Option<String>,
}

/// Noon on January `day`, 2024, UTC.
pub fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, day, 12, 0, 0).unwrap()
}

/// Trades `ids` at `price`, a minute apart from noon on January 1.
pub fn trades(ids: &[i64], price: f64) -> DataFrame {
    let times: Vec<i64> = ids
        .iter()
        .map(|id| at(1).timestamp_micros() + id * 60_000_000)
        .collect();
    df!(
        "trade_id" => ids,
        "symbol" => ids.iter().map(|_| "BTCUSDT").collect::<Vec<_>>(),
        "price" => ids.iter().map(|_| price).collect::<Vec<_>>(),
        "traded_at" => times,
        "note" => ids.iter().map(|id| (id % 2 == 0).then_some("even")).collect::<Vec<_>>(),
    )
    .unwrap()
    .lazy()
    .with_column(col("traded_at").cast(DataType::Datetime(
        TimeUnit::Microseconds,
        Some(polars::prelude::TimeZone::UTC),
    )))
    .collect()
    .unwrap()
}

/// `(trade_id, price)` of every row of `table`, by id.
pub fn prices_by_id(warehouse: &dyn Warehouse, table: &TableRef) -> Vec<(i64, f64)> {
    let mut query = Query::new(warehouse.dialect());
    query.sql = format!(
        "SELECT trade_id, price FROM {} ORDER BY trade_id",
        table.quoted(warehouse.dialect())
    );
    let frame = warehouse.query(&query).unwrap();
    let ids = frame.column("trade_id").unwrap().i64().unwrap().clone();
    let prices = frame.column("price").unwrap().f64().unwrap().clone();
    ids.iter()
        .zip(prices.iter())
        .map(|(id, price)| (id.unwrap(), price.unwrap()))
        .collect()
}
