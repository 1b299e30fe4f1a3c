//! `contracts validate --warehouse`: the checks of a table already in the
//! embedded warehouse, run there as SQL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{TimeZone, Utc};
use datacontract::DataContract;
use datacontract::sql::TableRef;
use datacontract::store::{LocalStore, write_partition};
use datacontract::testing::violate;
use datacontract::warehouse::{DuckDbWarehouse, LoadMode, Warehouse, landing_contract};
use datacontract_contracts::RawKline;
use support::typed_fixture;

use crate::support;

const TABLE: &str = "raw_binance_btcusdt_spot";

fn contracts(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_contracts"))
        .args(args)
        .output()
        .expect("the contracts binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A DuckDB file whose `staging` raw table holds the clean fixture's
/// klines, with a negative trade count in the first row and a repeated key.
fn warehouse_with_defects(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("datacontract-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let contract = RawKline::contract();
    let frame = typed_fixture(&contract, "raw_klines_clean.csv");
    let frame = violate(&frame, &contract, "number_of_trades.range").unwrap();
    let frame = violate(&frame, &contract, "dedup_key").unwrap();
    let store = LocalStore::new(root.join("data")).unwrap();
    let created = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let partition = write_partition(&store, "staging", TABLE, created, &frame).unwrap();
    let path = root.join("warehouse.duckdb");
    let warehouse = DuckDbWarehouse::open(&path).unwrap();
    let table = TableRef::new("staging", TABLE).unwrap();
    warehouse.ensure_dataset("staging").unwrap();
    let as_is = landing_contract(&contract).unwrap();
    warehouse.create_table(&table, &as_is).unwrap();
    warehouse
        .load_partition(&table, &as_is, &store, &partition, LoadMode::Append)
        .unwrap();
    path
}

#[test]
fn failing_checks_in_the_warehouse_exit_1_with_their_counts() {
    let path = warehouse_with_defects("defects");
    let database = path.display().to_string();
    let output = contracts(&[
        "validate",
        TABLE,
        "--warehouse",
        "--duckdb",
        &database,
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["input"]["rows"], 10);
    assert_eq!(
        report["input"]["description"],
        "DuckDB table staging.raw_binance_btcusdt_spot"
    );
    let check = |id: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no check {id}"))
            .clone()
    };
    assert_eq!(check("number_of_trades.range")["status"], "fail");
    assert_eq!(check("number_of_trades.range")["failing_rows"], 1);
    assert!(check("number_of_trades.range")["examples"][0]["values"]["number_of_trades"].is_i64());
    assert_eq!(check("dedup_key")["failing_rows"], 2);
    assert_eq!(check("dedup_key")["observed"]["duplicated_keys"], 1);
    assert_eq!(check("open.range")["status"], "pass");
    // The landing table allows NULL everywhere; that is no finding.
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(!ids.iter().any(|id| id.ends_with(".mode")), "{ids:?}");
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn a_missing_database_or_table_is_a_usage_error() {
    let output = contracts(&[
        "validate",
        TABLE,
        "--warehouse",
        "--duckdb",
        "/nonexistent/warehouse.duckdb",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no DuckDB database at /nonexistent/warehouse.duckdb"));

    let path = warehouse_with_defects("missing");
    let database = path.display().to_string();
    let output = contracts(&[
        "validate",
        TABLE,
        "--warehouse",
        "--duckdb",
        &database,
        "--dataset",
        "production",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("table `production.raw_binance_btcusdt_spot` does not exist"),
        "{}",
        text(&output.stderr)
    );
    let output = contracts(&["validate", TABLE, "--warehouse", "--dataset", "bad name"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("dataset name `bad name`"));
    assert!(Path::new(&database).exists());
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn files_and_warehouse_are_exclusive() {
    let output = contracts(&["validate", TABLE, "some.csv", "--warehouse"]);
    assert_eq!(output.status.code(), Some(2));
    let output = contracts(&["validate", TABLE]);
    assert_eq!(output.status.code(), Some(2));
}
