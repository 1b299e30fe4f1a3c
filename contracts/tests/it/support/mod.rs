//! Helpers the tests share: fixtures as typed frames (the CSV read as
//! text, then coerced to the contract's types by the validation engine
//! itself), and runs of the binary on a work folder (`runs`).

#[path = "../../../../tests/shared/generated.rs"]
pub mod generated;
#[path = "../../../../tests/odcs/validate.rs"]
mod odcs;
pub mod runs;

pub use odcs::assert_valid_odcs;

use std::path::Path;

use datacontract::validate::{Options, SchemaPolicy, validate};
use datacontract::{Contract, input};
use polars::prelude::*;

/// Every row of the fixture `name` in the contract's dtypes (a value that
/// does not parse becomes NULL), in the contract's column order.
pub fn typed_fixture(contract: &Contract, name: &str) -> DataFrame {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let input = input::read_files(&[path], &Default::default()).unwrap();
    let options = Options {
        schema_policy: SchemaPolicy::Coerce,
        split: true,
        ..Options::default()
    };
    let split = validate(input, contract, &options).unwrap().split.unwrap();
    let columns: Vec<&str> = contract.fields.iter().map(|f| f.name.as_str()).collect();
    let mut frame = split.valid.select(columns.clone()).unwrap();
    frame
        .vstack_mut(&split.quarantined.select(columns).unwrap())
        .unwrap();
    frame
}
