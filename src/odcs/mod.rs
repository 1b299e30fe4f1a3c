//! The Open Data Contract Standard (Bitol, v3.1.0): a contract written as
//! the document catalogues, datacontract-cli and the other side of a
//! contract read.
//!
//! [`export`] maps everything the standard can express: the table as one
//! `schema` object; each column as a property with its logical type (and
//! the BigQuery type as the physical one), `required`, `unique`, the dedup
//! key as `primaryKey` with positions, the partitioning column as
//! `partitioned`, the sensitivity as `classification`, nested `properties`
//! for RECORDs and `items` for arrays, bounds, lengths, patterns and formats
//! as `logicalTypeOptions`; the checks as `quality` rules (library metrics
//! `nullValues`, `invalidValues` with `validValues`, `duplicateValues`;
//! `sql` for row rules and statistics), freshness as an SLA property, and
//! `servers` for BigQuery and DuckDB. What the standard has no field for
//! (partition granularity, clustering, policy tags, drift thresholds,
//! severities, the regex dialect) goes into `customProperties`.
//!
//! [`import`] reads a document back into contracts, key by key, so that
//! what a contract cannot express is never dropped unseen: it fails the
//! import naming its path ([`import_dropping_unsupported`] leaves it out
//! and lists it), and [`to_rust`] writes the structs that derive them.

mod export;
mod import;
mod servers;
mod vocabulary;
mod yaml;

pub use export::{API_VERSION, Servers, export};
pub use import::{
    ImportError, Problem, ProblemKind, Table, file_servers, import, import_dropping_unsupported,
    parse, to_rust,
};
pub use servers::FileServer;
pub use yaml::to_yaml;
