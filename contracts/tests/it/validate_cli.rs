//! `contracts validate` on fixture files of the raw klines table: exit
//! codes, file:line locations, every rendering (snapshotted).

use std::path::Path;
use std::process::{Command, Output};

const TABLE: &str = "raw_binance_btcusdt_spot";

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn contracts(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_contracts"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the contracts binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Timings vary run to run; snapshots keep everything else.
fn without_timings(report: &str) -> String {
    let ms = regex::Regex::new(r"\d+(\.\d+)? ms").unwrap();
    let time = regex::Regex::new(r#"time="[0-9.]+""#).unwrap();
    let json = regex::Regex::new(r#""(\w+_ms)": [0-9.e-]+"#).unwrap();
    let report = ms.replace_all(report, "[t] ms");
    let report = time.replace_all(&report, "time=\"[t]\"");
    json.replace_all(&report, "\"$1\": \"[t]\"").into_owned()
}

#[test]
fn clean_data_exits_0() {
    let output = contracts(&["validate", TABLE, "tests/fixtures/raw_klines_clean.csv"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    assert!(text(&output.stdout).contains("PASSED: 10 rows"));
}

#[test]
fn defects_exit_1_and_every_rendering_is_stable() {
    let fixtures = [
        (TABLE, "tests/fixtures/raw_klines_defects.csv", "defects"),
        (
            "processed_binance_btcusdt_spot",
            "tests/fixtures/processed_defects.csv",
            "processed_defects",
        ),
    ];
    for (table, file, name) in fixtures {
        for format in ["text", "json", "markdown", "junit"] {
            let output = contracts(&["validate", table, file, "--format", format]);
            assert_eq!(
                output.status.code(),
                Some(1),
                "{format}: {}",
                text(&output.stderr)
            );
            insta::assert_snapshot!(
                format!("{name}.{format}"),
                without_timings(&text(&output.stdout))
            );
        }
    }
}

#[test]
fn clean_processed_bars_pass_with_a_warning() {
    let output = contracts(&[
        "validate",
        "processed_binance_btcusdt_spot",
        "tests/fixtures/processed_clean.csv",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("WARN  return_1h.null_fraction"), "{stdout}");
}

#[test]
fn a_defect_names_its_file_line_and_value() {
    let output = contracts(&[
        "validate",
        TABLE,
        "tests/fixtures/raw_klines_defects.csv",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let checks = report["checks"].as_array().unwrap();
    let check = |id: &str| checks.iter().find(|c| c["id"] == id).unwrap().clone();
    let parse = check("open.parse");
    assert_eq!(
        parse["examples"][0]["file"],
        "tests/fixtures/raw_klines_defects.csv"
    );
    assert_eq!(parse["examples"][0]["line"], 10);
    assert_eq!(parse["examples"][0]["values"]["open"], "abc");
    assert_eq!(check("interval.one_of")["examples"][0]["line"], 11);
    assert_eq!(check("dedup_key")["severity"], "warn");
    assert_eq!(report["passed"], false);
}

#[test]
fn a_ragged_csv_row_is_an_input_error_at_its_line() {
    let output = contracts(&["validate", TABLE, "tests/fixtures/raw_klines_ragged.csv"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        "error: tests/fixtures/raw_klines_ragged.csv:5: a row has 14 fields where the header has 13\n"
    );
}

#[test]
fn a_malformed_ndjson_line_is_an_input_error_at_its_line() {
    let output = contracts(&["validate", TABLE, &fixture("malformed.ndjson")]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("malformed.ndjson:2: malformed JSON"),
        "{stderr}"
    );
}

#[test]
fn a_file_that_is_not_parquet_is_an_input_error() {
    let output = contracts(&["validate", TABLE, &fixture("not_parquet.parquet")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("not_parquet.parquet: not a readable Parquet file"));
}

#[test]
fn missing_files_and_empty_globs_are_usage_errors() {
    let missing = contracts(&["validate", TABLE, "tests/fixtures/nope.csv"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("tests/fixtures/nope.csv: No such file"));
    let empty = contracts(&["validate", TABLE, "tests/fixtures/*.nothing"]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(text(&empty.stderr).contains("no file matches `tests/fixtures/*.nothing`"));
}

#[test]
fn globs_read_every_matching_file_as_one_table() {
    let output = contracts(&[
        "validate",
        TABLE,
        "tests/fixtures/raw_klines_[cd]*.csv",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["input"]["rows"], 21);
    assert_eq!(report["input"]["files"].as_array().unwrap().len(), 2);
    let dedup = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "dedup_key")
        .unwrap()
        .clone();
    assert_eq!(
        dedup["observed"]["duplicated_keys"], 9,
        "the second file repeats every key of the first but the one whose interval it changed"
    );
}

#[test]
fn output_writes_the_report_and_prints_a_summary() {
    let dir = std::env::temp_dir().join(format!("datacontract-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("report.xml");
    let output = contracts(&[
        "validate",
        TABLE,
        "tests/fixtures/raw_klines_clean.csv",
        "--format",
        "junit",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("report written to"));
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert!(xml.contains("<testcase classname=\"raw_binance_btcusdt_spot\" name=\"dedup_key\"/>"));
    std::fs::remove_dir_all(dir).unwrap();
}
