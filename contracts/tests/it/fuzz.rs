//! Mutation fuzzing of the readers and the validator: valid CSV, Parquet
//! and NDJSON bytes from the corpus are truncated, bit-flipped, overwritten
//! and spliced, then read and validated against the raw contract. For every
//! mutant:
//! - nothing panics (a panic inside Polars' threads included);
//! - an error names the file;
//! - a verdict is no silent pass: the same rows validated inside DuckDB
//!   (loaded as they arrived) get the same verdict, check by check.
//!
//! `FUZZ_CASES` sets the number of mutants per format (default 48, what CI
//! runs); set it higher to search longer.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{TimeZone, Utc};
use datacontract::check::CheckKind;
use datacontract::input::read_files;
use datacontract::report::Status;
use datacontract::sql::TableRef;
use datacontract::store::{LocalStore, write_partition};
use datacontract::validate::{Input, Options, Rows, SchemaPolicy, validate, validate_in_warehouse};
use datacontract::warehouse::{DuckDbWarehouse, LoadMode, Warehouse, landing_contract};
use datacontract::{Contract, DataContract, Report};
use datacontract_contracts::RawKline;
use polars::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// One way to damage a file.
#[derive(Debug, Clone)]
enum Mutation {
    /// Keep the first `at` per mille of the bytes.
    Truncate { at: u16 },
    /// Flip bit `bit` of the byte at `at` per mille.
    Flip { at: u16, bit: u8 },
    /// Overwrite `length` bytes at `at` per mille with `byte`.
    Overwrite { at: u16, length: u8, byte: u8 },
    /// Insert the bytes of the other half of the file at `at` per mille.
    Splice { at: u16, from: u16 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0u16..1000).prop_map(|at| Mutation::Truncate { at }),
        (0u16..1000, 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (0u16..1000, 1u8..32, any::<u8>()).prop_map(|(at, length, byte)| Mutation::Overwrite {
            at,
            length,
            byte
        }),
        (0u16..1000, 0u16..1000).prop_map(|(at, from)| Mutation::Splice { at, from }),
    ]
}

fn apply(bytes: &[u8], mutation: &Mutation) -> Vec<u8> {
    let place = |per_mille: u16| (bytes.len() * per_mille as usize / 1000).min(bytes.len());
    let mut mutant = bytes.to_vec();
    match *mutation {
        Mutation::Truncate { at } => mutant.truncate(place(at)),
        Mutation::Flip { at, bit } => {
            if let Some(byte) = mutant.get_mut(place(at)) {
                *byte ^= 1 << bit;
            }
        }
        Mutation::Overwrite { at, length, byte } => {
            let start = place(at);
            let end = (start + length as usize).min(mutant.len());
            mutant[start..end].fill(byte);
        }
        Mutation::Splice { at, from } => {
            let piece = bytes[place(from)..].to_vec();
            let at = place(at);
            mutant.splice(at..at, piece);
        }
    }
    mutant
}

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(48)
}

fn options() -> Options {
    Options {
        schema_policy: SchemaPolicy::Coerce,
        reference_time: Some(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()),
        ..Options::default()
    }
}

/// The data checks' verdicts: what two engines must agree on.
fn verdicts(report: &Report) -> Vec<(String, Status, Option<u64>)> {
    report
        .checks
        .iter()
        .filter(|check| check.kind != CheckKind::Schema)
        .map(|check| (check.id.clone(), check.status, check.failing_rows))
        .collect()
}

/// Reads and validates `path` as `contracts validate` does; the verdict
/// and the rows read, or the error's text (which names the file when the
/// reader knows it, and is prefixed with it where the command does).
fn read_and_validate(path: &Path, contract: &Contract) -> Result<(Report, DataFrame), String> {
    let named = |error: String| format!("{}: {error}", path.display());
    let input = read_files(&[path.to_path_buf()], &Default::default())
        .map_err(|error| error.to_string())?;
    let report = validate(input, contract, &options()).map_err(|error| named(error.to_string()))?;
    let Input::Files { frame, .. } =
        read_files(&[path.to_path_buf()], &Default::default()).map_err(|e| e.to_string())?
    else {
        unreachable!("files give Input::Files")
    };
    let rows = frame.collect().map_err(|error| named(error.to_string()))?;
    Ok((report, rows))
}

/// The same rows validated inside DuckDB, loaded as they arrived (after
/// the coercion validation in memory made).
fn in_duckdb(rows: &DataFrame, contract: &Contract, scratch: &Path) -> Option<Report> {
    let typed = datacontract::pipeline::source::cast_to_contract(
        rows.clone(),
        contract,
        &Default::default(),
    )
    .ok()?;
    let store = LocalStore::new(scratch).unwrap();
    let warehouse = DuckDbWarehouse::in_memory().unwrap();
    let table = TableRef::new("fuzz", &contract.name).unwrap();
    let landing = landing_contract(contract).unwrap();
    warehouse.ensure_dataset("fuzz").unwrap();
    warehouse.create_table(&table, &landing).unwrap();
    let created = Utc::now();
    let partition = write_partition(&store, "fuzz", &contract.name, created, &typed).unwrap();
    warehouse
        .load_partition(&table, &landing, &store, &partition, LoadMode::Truncate)
        .unwrap();
    let created = partition.created_at;
    Some(
        validate_in_warehouse(
            &warehouse,
            &table,
            Rows::Partition(created),
            contract,
            &options(),
        )
        .unwrap(),
    )
}

fn fuzz(format: &str) {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let original = std::fs::read(corpus.join(format!("{format}/valid.{format}"))).unwrap();
    let contract = RawKline::contract();
    let scratch = tempfile::tempdir().unwrap();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    // Refused as unreadable, failed, passed.
    let seen = [(); 3].map(|()| AtomicUsize::new(0));
    runner
        .run(&mutation(), |mutation| {
            let mutant = apply(&original, &mutation);
            let path = scratch.path().join(format!("mutant.{format}"));
            std::fs::write(&path, &mutant).unwrap();
            let outcome = catch_unwind(AssertUnwindSafe(|| read_and_validate(&path, &contract)))
                .map_err(|_| TestCaseError::fail(format!("{mutation:?} panicked")))?;
            match outcome {
                Err(error) => {
                    seen[0].fetch_add(1, Ordering::SeqCst);
                    prop_assert!(error.contains("mutant"), "{mutation:?}: {error}");
                }
                Ok((report, rows)) => {
                    seen[usize::from(report.passed) + 1].fetch_add(1, Ordering::SeqCst);
                    let pushed = catch_unwind(AssertUnwindSafe(|| {
                        in_duckdb(&rows, &contract, &scratch.path().join("store"))
                    }))
                    .map_err(|_| TestCaseError::fail(format!("{mutation:?}: DuckDB panicked")))?;
                    if let Some(pushed) = pushed {
                        prop_assert_eq!(
                            verdicts(&report),
                            verdicts(&pushed),
                            "{:?}: Polars and DuckDB disagree",
                            mutation
                        );
                    } else {
                        prop_assert!(
                            !report.passed,
                            "{:?}: rows that do not fit the contract passed",
                            mutation
                        );
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    let [refused, failed, passed] = seen.map(|count| count.into_inner());
    assert!(
        refused + failed > 0,
        "{format}: no mutant was refused: the fuzzing proved nothing"
    );
    eprintln!("{format}: {refused} refused as unreadable, {failed} failed, {passed} passed");
}

#[test]
fn mutated_csv_never_panics_or_passes_silently() {
    fuzz("csv");
}

#[test]
fn mutated_parquet_never_panics_or_passes_silently() {
    fuzz("parquet");
}

#[test]
fn mutated_ndjson_never_panics_or_passes_silently() {
    fuzz("ndjson");
}
