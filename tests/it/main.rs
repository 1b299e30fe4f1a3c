//! The library's integration tests, in one binary: each module was its own
//! test target, and each linked Polars and DuckDB on its own.

mod support;

mod approximate;
mod bigquery_faults;
mod cli;
mod compat;
mod cross_table;
mod database;
mod derive;
mod every_type;
mod gcs_faults;
mod odcs_import;
mod properties;
mod reading;
mod stores;
mod validate;
mod warehouses;
