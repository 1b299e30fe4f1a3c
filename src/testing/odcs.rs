//! The ODCS round trip of a contract, for tests.

use std::path::Path;

use similar::TextDiff;

use crate::Contract;
use crate::odcs::{self, Servers};

/// Set to `1` to rewrite the committed sources instead of comparing them.
pub const UPDATE_VARIABLE: &str = "DATACONTRACT_UPDATE_IMPORTED";

/// Exports `contract` to ODCS YAML, imports it back, and asserts that:
/// - the import gives back `contract`, and exporting that gives back the
///   same document;
/// - the Rust source `contracts import odcs` writes for the document is the
///   file at `source`, committed (set `DATACONTRACT_UPDATE_IMPORTED=1` to
///   rewrite it), so that a test which includes that file compiles exactly
///   what the import writes today, and can compare its contract with
///   `contract`.
///
/// `document_name` is the file name the source's header names.
pub fn assert_round_trip(contract: &Contract, document_name: &str, source: &Path) {
    let servers = Servers::default();
    let document = odcs::export(contract, &servers);
    let yaml = odcs::to_yaml(&document);
    let parsed = odcs::parse(&yaml).expect("the export is YAML");
    assert_eq!(
        parsed, document,
        "the YAML reads back as the document written"
    );
    let tables = odcs::import(&parsed).unwrap_or_else(|error| panic!("{error}\n{yaml}"));
    assert_eq!(tables.len(), 1, "one table per exported document");
    assert_eq!(
        tables[0].contract, *contract,
        "the import gives back the exported contract\n{yaml}"
    );
    assert_eq!(
        odcs::export(&tables[0].contract, &servers),
        document,
        "the imported contract exports to the same document"
    );
    let written = odcs::to_rust(document_name, &tables, &[]).expect("every contract has a source");
    if std::env::var(UPDATE_VARIABLE).as_deref() == Ok("1") {
        std::fs::write(source, &written).expect("the source is writable");
        return;
    }
    let committed = std::fs::read_to_string(source).unwrap_or_default();
    assert!(
        committed == written,
        "{} is not what `contracts import odcs` writes today (rerun with {UPDATE_VARIABLE}=1 to rewrite it):\n{}",
        source.display(),
        TextDiff::from_lines(&committed, &written)
            .unified_diff()
            .header("committed", "written")
    );
}
