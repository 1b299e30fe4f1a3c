//! Contracts imported from the ODCS document `orders.odcs.yaml` by `contracts import odcs`.
//!
//! Register each struct with `Registry::with::<…>()`; `contracts export` writes
//! the document back.

use datacontract::DataContract;

/// One order line of the shop.
#[derive(DataContract)]
#[contract(
    name = "orders",
    version = "1.0.0",
    partition_by(day(ordered_at)),
    dedup_key(order_id)
)]
pub struct Orders {
    /// The shop's order id.
    pub order_id: i64,
    #[contract(min = 1)]
    pub quantity: i64,
    /// When the customer pressed "buy".
    pub ordered_at: chrono::DateTime<chrono::Utc>,
}
