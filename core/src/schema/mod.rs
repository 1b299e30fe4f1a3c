//! Generators: everything a [`Contract`](crate::Contract) turns into.
//!
//! Each generator is a method on `Contract`, defined in the file of its
//! target format:
//!
//! | method | output |
//! |---|---|
//! | [`bigquery_schema`](crate::Contract::bigquery_schema) | the REST API's `TableFieldSchema` list, as `bq show --schema` prints it |
//! | [`ddl`](crate::Contract::ddl) | `CREATE TABLE` in GoogleSQL |
//! | [`json_schema`](crate::Contract::json_schema) | the JSON Schema of one row, as serde writes it |
//! | [`arrow_schema`](crate::Contract::arrow_schema) | an arrow-rs `Schema` (feature `engines`) |
//! | [`polars_schema`](crate::Contract::polars_schema) | a Polars `Schema` (feature `engines`) |

#[cfg(feature = "engines")]
mod arrow;
mod bigquery;
mod ddl;
mod json_schema;
#[cfg(feature = "engines")]
mod polars;
pub mod type_name;

#[cfg(feature = "engines")]
pub use self::polars::{polars_type, render_polars_schema};
pub use bigquery::{PolicyTags, TableFieldSchema};
pub use ddl::{DdlOptions, scalar_type};

/// A contract or an option that cannot be turned into valid output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SchemaError(pub String);
