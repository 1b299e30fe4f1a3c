//! `#[derive(DataContract)]`: parses and checks a struct's attributes and
//! emits the description of its table. Everything generated from that
//! description (schemas, DDL, checks) is made by the `datacontract` library.
//!
//! The stages are kept apart, as in serde_derive: `read` (with `attr` and
//! `foreign`) builds the `ast`, `check` records every problem at its span,
//! and `expand` emits code only for a struct without problems.

#![warn(missing_docs)]

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod foreign;
mod read;
mod ty;

#[path = "../../src/contract/naming.rs"]
#[allow(dead_code)]
mod naming;

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
