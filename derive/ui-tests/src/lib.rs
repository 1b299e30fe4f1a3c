//! Nothing but a home for the compile-error tests of
//! `#[derive(DataContract)]` (`tests/ui.rs`); see `Cargo.toml` for why they
//! are not in `datacontract-derive` itself.
