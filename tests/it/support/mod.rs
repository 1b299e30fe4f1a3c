//! Helpers the integration tests share.

pub mod fault_proxy;
pub mod trades;
