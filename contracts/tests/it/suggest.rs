//! `contracts suggest`: a contract drawn from data passes on that data, by
//! construction. Tried on both shipped fixtures (as files, and as tables
//! profiled inside DuckDB and the BigQuery emulator), on generated frames,
//! and through the command line.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use datacontract::report::{Report, Status};
use datacontract::sql::TableRef;
use datacontract::store::{GcsStore, LocalStore, ObjectStore, write_partition};
use datacontract::suggest::{
    FrameProfiler, SuggestOptions, Suggestion, WarehouseProfiler, suggest,
};
use datacontract::testing::valid_frames;
use datacontract::validate::{Options, Rows, SchemaPolicy, validate, validate_in_warehouse};
use datacontract::warehouse::{
    BigQueryWarehouse, DuckDbWarehouse, LoadMode, Warehouse, landing_contract,
};
use datacontract::{
    ConstraintKind, Contract, DataContract, Literal, LogicalType, Mode, input, odcs,
};
use datacontract_contracts::{ProcessedKline, RawKline};
use polars::prelude::*;
use proptest::prelude::*;

use crate::support::runs::{succeed, workdir};
use crate::support::typed_fixture;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// How `contracts validate` reads files: text parsed as the contract's types.
fn as_validate_reads() -> Options {
    Options {
        schema_policy: SchemaPolicy::Coerce,
        ..Options::default()
    }
}

/// Fails naming every check of `report` that did not pass.
fn assert_passes(report: &Report, what: &str) {
    let failing: Vec<String> = report
        .checks
        .iter()
        .filter(|check| check.status != Status::Pass)
        .map(|check| {
            format!(
                "{} ({:?}): {:?} {:?}",
                check.id, check.status, check.observed, check.message
            )
        })
        .collect();
    assert!(
        failing.is_empty(),
        "{what}: the data fails its own suggestion:\n{}",
        failing.join("\n")
    );
}

fn from_file(name: &str) -> Suggestion {
    let frame = match input::read_files(&[fixture(name)], &Default::default()).unwrap() {
        datacontract::validate::Input::Files { frame, .. } => frame.collect().unwrap(),
        _ => unreachable!(),
    };
    let data = FrameProfiler::new(frame, name.into(), &Default::default()).unwrap();
    suggest(&data, "suggested", &SuggestOptions::default()).unwrap()
}

#[test]
fn the_fixtures_pass_the_contracts_suggested_from_them() {
    for name in ["raw_klines_clean.csv", "processed_clean.csv"] {
        let suggestion = from_file(name);
        let input = input::read_files(&[fixture(name)], &Default::default()).unwrap();
        let report = validate(input, &suggestion.contract, &as_validate_reads()).unwrap();
        assert_passes(&report, name);
    }
    let raw = from_file("raw_klines_clean.csv").contract;
    let field = |name: &str| raw.field(name).unwrap().clone();
    assert_eq!(field("open_time").logical_type, LogicalType::Timestamp);
    assert_eq!(field("open_time").mode, Mode::Required);
    assert_eq!(field("number_of_trades").logical_type, LogicalType::Int64);
    assert_eq!(
        field("symbol").constraints[0].kind,
        ConstraintKind::OneOf {
            values: vec![Literal::String("BTCUSDT".into())]
        }
    );
    assert_eq!(raw.dedup_key.unwrap().columns, ["open_time"]);
    let processed = from_file("processed_clean.csv").contract;
    let returns = processed.field("return_1h").unwrap();
    assert_eq!(returns.mode, Mode::Nullable, "its first hour has no return");
    assert!(
        returns
            .expectations
            .iter()
            .any(|e| e.statistic == datacontract::Statistic::NullFraction),
        "{returns:?}"
    );
}

/// Loads `frame` into a fresh table `<dataset>.<name>` of `warehouse`,
/// through `store`.
fn load(
    warehouse: &dyn Warehouse,
    store: &dyn ObjectStore,
    dataset: &str,
    contract: &Contract,
    frame: &DataFrame,
) -> TableRef {
    let table = TableRef::new(dataset, &contract.name).unwrap();
    let landing = landing_contract(contract).unwrap();
    warehouse.ensure_dataset(dataset).unwrap();
    warehouse.create_table(&table, &landing).unwrap();
    let created = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let partition = write_partition(store, dataset, &contract.name, created, frame).unwrap();
    warehouse
        .load_partition(&table, &landing, store, &partition, LoadMode::Append)
        .unwrap();
    table
}

/// The fixtures as tables, profiled inside DuckDB and bqemulator: each
/// passes its suggestion there, and both engines suggest what the files
/// do for the columns' modes and the key.
#[test]
fn warehouse_tables_pass_the_contracts_suggested_inside_duckdb_and_bigquery() {
    let gcs_endpoint = std::env::var("DATACONTRACT_GCS_EMULATOR").expect(
        "DATACONTRACT_GCS_EMULATOR is not set: run the tests with scripts/test.sh, which starts fake-gcs-server",
    );
    let bigquery_host = std::env::var("BIGQUERY_EMULATOR_HOST").expect(
        "BIGQUERY_EMULATOR_HOST is not set: run the tests with scripts/test.sh, which starts bqemulator",
    );
    let run = format!("suggest{}", std::process::id());
    let local = LocalStore::new(workdir("suggest-warehouse")).unwrap();
    let gcs = GcsStore::emulator(&run, &gcs_endpoint).unwrap();
    gcs.create_bucket().unwrap();
    let duckdb = DuckDbWarehouse::in_memory().unwrap();
    let bigquery =
        BigQueryWarehouse::emulator("test-proj", &format!("http://{bigquery_host}")).unwrap();
    let engines: [(&str, &dyn Warehouse, &dyn ObjectStore); 2] =
        [("duckdb", &duckdb, &local), ("bigquery", &bigquery, &gcs)];
    for (contract, name) in [
        (RawKline::contract(), "raw_klines_clean.csv"),
        (ProcessedKline::contract(), "processed_clean.csv"),
    ] {
        let frame = typed_fixture(&contract, name);
        let from_files = from_file(name).contract;
        for (engine, warehouse, store) in engines {
            let table = load(warehouse, store, &run, &contract, &frame);
            let data = WarehouseProfiler::new(warehouse, table.clone());
            let suggestion = suggest(&data, "suggested", &SuggestOptions::default()).unwrap();
            let report = validate_in_warehouse(
                warehouse,
                &table,
                Rows::All,
                &suggestion.contract,
                &Options::default(),
            )
            .unwrap();
            assert_passes(&report, &format!("{name} in {engine}"));
            let modes = |contract: &Contract| -> Vec<(String, Mode)> {
                contract
                    .fields
                    .iter()
                    .map(|f| (f.name.clone(), f.mode))
                    .collect()
            };
            assert_eq!(
                modes(&suggestion.contract),
                modes(&from_files),
                "{name} in {engine}"
            );
            assert_eq!(
                suggestion.contract.dedup_key, from_files.dedup_key,
                "{name} in {engine}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Frames of any content the shipped contracts allow pass what is
    /// suggested from them.
    #[test]
    fn generated_frames_pass_their_suggestion(
        frame in valid_frames(&RawKline::contract(), 1..30),
        processed in valid_frames(&ProcessedKline::contract(), 1..30),
    ) {
        for frame in [frame, processed] {
            let data = FrameProfiler::new(frame.clone(), "a generated frame".into(), &Default::default()).unwrap();
            let suggestion = suggest(&data, "generated", &SuggestOptions::default()).unwrap();
            // Text of digits is suggested as numbers: read as validate reads.
            let report = validate(frame, &suggestion.contract, &as_validate_reads()).unwrap();
            assert_passes(&report, "a generated frame");
        }
    }
}

/// Extreme values: NaN and infinities (no range holds them, so none is
/// suggested), integers at the ends of INT64 and past 2^53 (where floats
/// are no exact integers), one row, and a column of NULLs only.
#[test]
fn extreme_values_pass_their_suggestion() {
    let frame = df!(
        "ratio" => [Some(1.5), Some(f64::NAN), Some(f64::INFINITY), None],
        "big" => [i64::MAX, i64::MIN, 9_007_199_254_740_993, 0],
        "nothing" => [None::<i64>, None, None, None],
        "tiny" => [1e-300, 2e-300, 3e-300, 4e-300],
    )
    .unwrap();
    let mut outlier = vec![1i64; 200];
    outlier.push(1_152_921_504_606_846_977);
    let outlier =
        df!("id" => outlier.clone(), "negated" => outlier.iter().map(|v| -v).collect::<Vec<_>>())
            .unwrap();
    for frame in [frame.clone(), frame.head(Some(1)), outlier] {
        let data =
            FrameProfiler::new(frame.clone(), "extremes".into(), &Default::default()).unwrap();
        let suggestion = suggest(&data, "extremes", &SuggestOptions::default()).unwrap();
        let report = validate(frame, &suggestion.contract, &Options::default()).unwrap();
        assert_passes(&report, "extremes");
    }
}

/// Codes with leading zeros stay text; column names BigQuery refuses are
/// named, not suggested.
#[test]
fn codes_stay_text_and_bad_names_are_refused() {
    let zips = df!("zip" => ["02134", "10001", "94105"]).unwrap();
    let data = FrameProfiler::new(zips, "zips".into(), &Default::default()).unwrap();
    let suggestion = suggest(&data, "zips", &SuggestOptions::default()).unwrap();
    let zip = suggestion.contract.field("zip").unwrap();
    assert_eq!(zip.logical_type, LogicalType::String);
    assert!(
        zip.constraints.iter().any(|c| c.kind
            == ConstraintKind::Regex {
                pattern: "^[0-9]{5}$".into()
            }),
        "{zip:?}"
    );

    let names = df!("Order ID" => [1i64], "id" => [1i64], "ID" => [2i64]).unwrap();
    let data = FrameProfiler::new(names, "names".into(), &Default::default()).unwrap();
    let error = suggest(&data, "names", &SuggestOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("column `Order ID`: ") && error.contains("columns `id` and `ID`"),
        "{error}"
    );
}

/// The command prints the struct, or ODCS that imports back into a
/// contract the file passes.
#[test]
fn the_command_prints_a_struct_or_odcs_the_file_passes() {
    let dir = workdir("suggest-cli");
    let file = fixture("processed_clean.csv").display().to_string();
    let source = succeed(&dir, &["suggest", &file, "--table", "bars"], &[]);
    for expected in [
        "#[derive(DataContract)]",
        "name = \"bars\"",
        "pub struct Bars {",
        "pub bar_start: chrono::DateTime<chrono::Utc>,",
        "one_of(\"asia\")",
    ] {
        assert!(source.contains(expected), "{expected:?} in\n{source}");
    }
    let yaml = succeed(&dir, &["suggest", &file, "--format", "odcs"], &[]);
    assert!(
        yaml.contains("  type: local\n"),
        "the file it read is its local server:\n{yaml}"
    );
    let tables = odcs::import(&odcs::parse(&yaml).unwrap()).unwrap();
    assert_eq!(tables[0].contract.name, "processed_clean");
    let input = input::read_files(&[fixture("processed_clean.csv")], &Default::default()).unwrap();
    let report = validate(input, &tables[0].contract, &as_validate_reads()).unwrap();
    assert_passes(&report, "the imported suggestion");
}
