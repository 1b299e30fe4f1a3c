//! `contracts export --format odcs` on every shipped contract: each
//! document validates against the ODCS v3.1.0 JSON Schema as PyYAML reads
//! it, and carries what the contract says.

use crate::support::assert_valid_odcs;
use crate::support::runs::{PROCESSED, RAW, succeed, workdir};

#[test]
fn every_shipped_contract_exports_to_valid_odcs() {
    let dir = workdir("odcs");
    let tables = [RAW, PROCESSED];
    let documents: Vec<(&str, String)> = tables
        .iter()
        .map(|table| {
            let args = [
                "export",
                table,
                "--format",
                "odcs",
                "--project",
                "my-project",
            ];
            (*table, succeed(&dir, &args, &[]))
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = documents.iter().map(|(n, y)| (*n, y.as_str())).collect();
    assert_valid_odcs(&borrowed);

    let raw = &documents[0].1;
    for expected in [
        "apiVersion: v3.1.0",
        "- server: bigquery\n  type: bigquery\n  project: my-project\n  dataset: production",
        "- name: open_time\n    physicalName: open_time",
        "primaryKeyPosition: 3",
        "partitioned: true",
        "metric: duplicateValues",
        "minimum: \"2017-07-01T00:00:00Z\"",
        "property: regexDialect\n  value: RE2",
    ] {
        assert!(raw.contains(expected), "{expected:?} in\n{raw}");
    }
}
