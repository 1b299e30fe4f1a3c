//! The `contracts` crate's integration tests, in one binary: each module
//! was its own test target, and each linked Polars and DuckDB on its own.

mod support;

mod alerts;
mod artifacts;
mod binance;
mod check_cli;
mod cli;
mod corpus;
mod database_source;
mod differential;
mod entrypoint;
mod fuzz;
mod history;
mod odcs;
mod pipeline;
mod promotion;
mod query;
mod secrets;
mod suggest;
mod transform_sql;
mod validate_cli;
mod warehouse_cli;
