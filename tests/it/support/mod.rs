//! Helpers the integration tests share.

pub mod cli;
pub mod fault_proxy;
#[path = "../../shared/generated.rs"]
pub mod generated;
#[path = "../../odcs/validate.rs"]
mod odcs;
pub mod trades;
pub mod warehouse;

pub use odcs::assert_valid_odcs;
