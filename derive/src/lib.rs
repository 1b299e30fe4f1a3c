//! `#[derive(DataContract)]`: parses and checks a struct's attributes and
//! emits the description of its table. Everything generated from that
//! description (schemas, DDL, checks) is made by the `datacontract` library.
//!
//! The stages are kept apart, as in serde_derive: `attr` (with `foreign`
//! for validator's and serde's attributes) parses attribute values, `read`
//! builds the `ast` (a table and its columns) from them, `check` records
//! every problem at its span in the `Ctxt`, and `expand` emits code only for
//! a struct without problems. The vocabulary (severities, statistics, modes,
//! the type table, BigQuery's naming rules) is `datacontract-model`'s, the
//! same crate the library re-exports.

#![warn(missing_docs)]

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod foreign;
mod read;
mod ty;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Implements `datacontract::DataContract` for a struct with named fields.
///
/// See the `datacontract` crate's README for every attribute.
#[proc_macro_derive(DataContract, attributes(contract))]
pub fn derive_data_contract(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    let cx = ctxt::Ctxt::default();
    let table = read::table(&cx, &input);
    if let Some(table) = &table {
        check::check(&cx, table);
    }
    match (cx.check(), table) {
        (Ok(()), Some(table)) => expand::expand(&table).into(),
        (Err(errors), _) => errors.to_compile_error().into(),
        (Ok(()), None) => unreachable!("a struct that cannot be read records an error"),
    }
}
