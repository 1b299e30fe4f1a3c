//! The contracts this repository ships: the two tables of the BTCUSDT
//! spot-klines pipeline, and the registry the `contracts` binary serves.

mod processed;
mod raw;

use datacontract::Registry;

pub use processed::ProcessedKline;
pub use raw::RawKline;

/// Every shipped contract, in pipeline order: raw, then processed.
pub fn registry() -> Registry {
    Registry::new().with::<RawKline>().with::<ProcessedKline>()
}
