//! A downstream crate's whole `contracts` binary: derive the contracts,
//! list them in `main`, and hand over to `datacontract::cli::main`.
//!
//! ```text
//! cargo run -p downstream-example -- ddl --project my-project --dataset shop
//! cargo run -p downstream-example -- lock     # writes contracts/schemas/orders/
//! cargo run -p downstream-example -- check    # what its CI runs
//! ```

use datacontract::{DataContract, Registry};

/// One order line of the shop.
#[derive(DataContract)]
#[contract(
    name = "orders",
    version = "1.0.0",
    dedup_key(order_id),
    partition_by(day(ordered_at))
)]
#[allow(dead_code)]
struct Order {
    /// The shop's order id.
    order_id: i64,
    #[contract(min = 1)]
    quantity: i64,
    /// When the customer pressed "buy".
    ordered_at: chrono::DateTime<chrono::Utc>,
}

fn main() -> std::process::ExitCode {
    datacontract::cli::main(Registry::new().with::<Order>())
}
