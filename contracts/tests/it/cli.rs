//! The `contracts` binary as a user runs it: artifact on stdout, errors on
//! stderr, exit codes.

use std::process::{Command, Output};

fn contracts(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_contracts"))
        .args(args)
        .output()
        .expect("the contracts binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn list_names_every_table() {
    let output = contracts(&["list"]);
    assert!(output.status.success());
    let text = stdout(&output);
    let names: Vec<_> = text
        .lines()
        .map(|line| line.split('\t').next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["raw_binance_btcusdt_spot", "processed_binance_btcusdt_spot"]
    );
    assert!(text.contains("\t1.0.0\t13 columns\t"));
}

#[test]
fn ddl_of_all_tables_pipes_cleanly() {
    let output = contracts(&["ddl", "--project", "my-project", "--dataset", "staging"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(text.matches("CREATE TABLE IF NOT EXISTS").count(), 2);
    assert!(text.contains("`my-project.staging.raw_binance_btcusdt_spot`"));
    assert!(stderr(&output).is_empty());
}

#[test]
fn schema_prints_each_format() {
    for (format, marker) in [
        ("bigquery", "\"type\": \"TIMESTAMP\""),
        ("json-schema", "\"$schema\""),
        ("arrow", "\"data_type\""),
        ("polars", "open_time: datetime[μs, UTC]"),
    ] {
        let output = contracts(&["schema", "raw_binance_btcusdt_spot", "--format", format]);
        assert!(output.status.success(), "{format}: {}", stderr(&output));
        assert!(stdout(&output).contains(marker), "{format}");
    }
    let json = stdout(&contracts(&[
        "schema",
        "raw_binance_btcusdt_spot",
        "--format",
        "json-schema",
    ]));
    serde_json::from_str::<serde_json::Value>(&json).expect("valid JSON on stdout");
}

#[test]
fn an_unknown_table_is_a_usage_error_on_stderr() {
    let output = contracts(&["schema", "no_such_table"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    assert!(
        stderr(&output).contains(
            "no contract for table `no_such_table`; known tables: raw_binance_btcusdt_spot"
        )
    );
}

#[test]
fn an_invalid_dataset_is_refused_before_any_sql_is_printed() {
    let output = contracts(&["ddl", "--dataset", "x`; DROP TABLE y; --"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).contains("dataset name"));
}

#[test]
fn a_bad_flag_is_a_usage_error() {
    let output = contracts(&["schema", "raw_binance_btcusdt_spot", "--format", "xml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("invalid value 'xml'"));
}

#[test]
fn help_and_version_succeed() {
    assert!(stdout(&contracts(&["--help"])).contains("Usage: contracts"));
    let version = contracts(&["--version"]);
    assert!(version.status.success());
    assert!(stdout(&version).starts_with("contracts "));
}
