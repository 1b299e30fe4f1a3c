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
        "  - property: regexDialect\n    value: RE2",
        "metric: rowCount\n    mustBeGreaterOrEqualTo: 1",
    ] {
        assert!(raw.contains(expected), "{expected:?} in\n{raw}");
    }
}

// Only their contracts are read; kept as the import writes them.
#[allow(dead_code)]
#[rustfmt::skip]
#[path = "imported/raw_binance_btcusdt_spot.rs"]
mod raw_imported;

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "imported/processed_binance_btcusdt_spot.rs"]
mod processed_imported;

fn imported(table: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/it/imported/{table}.rs"))
}

/// Export, import, and the struct `contracts import odcs` writes (committed
/// under `imported/`, compiled into this test) derives the contract again.
#[test]
fn every_shipped_contract_survives_odcs_and_its_imported_struct_derives_it_again() {
    use datacontract::DataContract;
    use datacontract::testing::odcs::assert_round_trip;
    use datacontract_contracts::{ProcessedKline, RawKline};

    let (raw, processed) = (RawKline::contract(), ProcessedKline::contract());
    assert_round_trip(&raw, &format!("{RAW}.odcs.yaml"), &imported(RAW));
    assert_round_trip(
        &processed,
        &format!("{PROCESSED}.odcs.yaml"),
        &imported(PROCESSED),
    );
    assert_eq!(raw_imported::RawBinanceBtcusdtSpot::contract(), raw);
    assert_eq!(
        processed_imported::ProcessedBinanceBtcusdtSpot::contract(),
        processed
    );
}

/// `contracts import odcs`: the exported document back to a struct file;
/// a document holding what a contract cannot express fails with exit 2,
/// naming each part, unless asked to leave it out.
#[test]
fn import_writes_the_struct_or_names_what_it_cannot_express() {
    use crate::support::runs::{contracts, text};

    let dir = workdir("odcs-import");
    let yaml = succeed(&dir, &["export", RAW, "--format", "odcs"], &[]);
    std::fs::write(dir.join("raw.odcs.yaml"), &yaml).unwrap();
    let summary = succeed(
        &dir,
        &[
            "import",
            "odcs",
            "raw.odcs.yaml",
            "--out",
            "src/contracts/raw.rs",
        ],
        &[],
    );
    assert_eq!(summary, "wrote src/contracts/raw.rs\n");
    let source = std::fs::read_to_string(dir.join("src/contracts/raw.rs")).unwrap();
    assert_eq!(
        source,
        std::fs::read_to_string(imported(RAW))
            .unwrap()
            .replace(&format!("`{RAW}.odcs.yaml`"), "`raw.odcs.yaml`",)
    );

    let tagged = yaml.replacen("  properties:\n", "  tags: [finance]\n  properties:\n", 1);
    std::fs::write(dir.join("tagged.odcs.yaml"), &tagged).unwrap();
    let refused = contracts(&dir, &["import", "odcs", "tagged.odcs.yaml"], &[]);
    assert_eq!(refused.status.code(), Some(2));
    let message = text(&refused.stderr);
    assert!(
        message.contains("tagged.odcs.yaml: the document cannot be imported (1 problem):")
            && message
                .contains("schema[0].tags: unsupported: `tags` has no equivalent in a contract"),
        "{message}"
    );
    assert!(refused.stdout.is_empty());

    let summary = succeed(
        &dir,
        &[
            "import",
            "odcs",
            "tagged.odcs.yaml",
            "--drop-unsupported",
            "--out",
            "tagged.rs",
        ],
        &[],
    );
    assert!(
        summary.contains("left out 1 parts (listed in its header):\n  schema[0].tags:"),
        "{summary}"
    );
    let source = std::fs::read_to_string(dir.join("tagged.rs")).unwrap();
    assert!(
        source.contains("//! - schema[0].tags: `tags` has no equivalent in a contract"),
        "{source}"
    );

    let missing = contracts(&dir, &["import", "odcs", "missing.yaml"], &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot read missing.yaml"));
}

/// A `local` server carries the files and how to read them: exported with
/// `--files` and the reading options, valid ODCS, and `contracts validate
/// --odcs` reads the files as the document says; an option that does not
/// parse is named with its path.
#[test]
fn a_local_server_says_where_the_files_are_and_how_to_read_them() {
    use crate::support::assert_valid_odcs;
    use crate::support::runs::{contracts, text};

    let dir = workdir("odcs-files");
    let clean = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/raw_klines_clean.csv"),
    )
    .unwrap();
    // As a European spreadsheet writes it: semicolons, and NA for NULL.
    std::fs::create_dir_all(dir.join("contracts")).unwrap();
    std::fs::write(dir.join("klines.csv"), clean.replace(',', ";")).unwrap();
    let yaml = succeed(
        &dir,
        &[
            "export",
            RAW,
            "--format",
            "odcs",
            "--files",
            "klines.csv",
            "--delimiter",
            ";",
            "--null-values",
            "NA",
        ],
        &[],
    );
    assert!(
        yaml.contains(
            "- server: files\n  type: local\n  path: klines.csv\n  format: csv\n  customProperties:\n  - property: nullValues\n    value: NA\n  - property: delimiter\n    value: \";\""
        ),
        "{yaml}"
    );
    assert_valid_odcs(&[("with_files", yaml.as_str())]);
    std::fs::write(dir.join("contracts/raw.odcs.yaml"), &yaml).unwrap();
    let report = succeed(
        &dir,
        &["validate", RAW, "--odcs", "contracts/raw.odcs.yaml"],
        &[],
    );
    assert!(report.contains("passed"), "{report}");

    let without_options = yaml.replace("  - property: delimiter\n    value: \";\"\n", "");
    std::fs::write(dir.join("contracts/plain.odcs.yaml"), without_options).unwrap();
    let misread = contracts(
        &dir,
        &["validate", RAW, "--odcs", "contracts/plain.odcs.yaml"],
        &[],
    );
    assert_ne!(misread.status.code(), Some(0), "{}", text(&misread.stdout));

    let broken = yaml.replace("value: \";\"", "value: \";;\"");
    std::fs::write(dir.join("contracts/broken.odcs.yaml"), broken).unwrap();
    let refused = contracts(
        &dir,
        &["validate", RAW, "--odcs", "contracts/broken.odcs.yaml"],
        &[],
    );
    assert_eq!(refused.status.code(), Some(2));
    let message = text(&refused.stderr);
    assert!(
        message.contains("servers[1].customProperties: invalid: the reading option delimiter:"),
        "{message}"
    );
    let import = contracts(&dir, &["import", "odcs", "contracts/broken.odcs.yaml"], &[]);
    assert_eq!(import.status.code(), Some(2), "the import checks it too");
}
