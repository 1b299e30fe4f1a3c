//! The corpus: hostile inputs under tests/corpus/, each with its expected
//! outcome in tests/corpus/manifest.toml. Every file goes through
//! `contracts validate` and, for the raw contract, through
//! `contracts run --source files`. Each must end as the manifest says
//! (exit 0 only for files the contract accepts, 1 or 2 otherwise), never
//! with a panic (101) or a crash, with a message naming the file and, where
//! the manifest says, the line or row and the column; and nothing may reach
//! production after a run that did not promote.
//!
//! CSV and NDJSON files are written by hand; the Parquet files are made by
//! the recipes below (`CORPUS_WRITE=1` writes them; a test checks the
//! committed ones are what the recipes make); a few large ones are made at
//! test time.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use datacontract::DataContract;
use datacontract::pipeline::source::cast_to_contract;
use datacontract::store::encode_parquet;
use datacontract_contracts::{ProcessedKline, RawKline};
use polars::prelude::*;
use serde::Deserialize;

use crate::support::runs;

use runs::{contracts, text, walk, workdir};

const RAW: &str = "raw_binance_btcusdt_spot";

#[derive(Debug, Deserialize)]
struct Manifest {
    case: Vec<Case>,
    name: Vec<NameCase>,
}

/// One hostile file.
#[derive(Debug, Clone, Deserialize)]
struct Case {
    /// The file, under tests/corpus/ (or made at test time, see
    /// `generated`).
    file: String,
    /// What it is, for people.
    what: String,
    /// The contract it is checked against.
    #[serde(default = "raw")]
    contract: String,
    /// The exit code of `contracts validate`.
    validate: i32,
    /// The exit code of `contracts run --source files` (raw contract only).
    run: Option<i32>,
    /// What the message must say (file, line or row, column, rule).
    #[serde(default)]
    says: Vec<String>,
    /// Made at test time by this recipe, not committed.
    generated: Option<String>,
}

/// One hostile name from configuration.
#[derive(Debug, Deserialize)]
struct NameCase {
    what: String,
    env: Vec<[String; 2]>,
    says: String,
}

fn raw() -> String {
    RAW.into()
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn manifest() -> Manifest {
    let text = std::fs::read_to_string(corpus().join("manifest.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

/// The committed CSV of valid klines, typed by the raw contract.
fn raw_frame() -> DataFrame {
    let frame = datacontract::input::read_csv(&corpus().join("csv/valid.csv"), &Default::default())
        .unwrap();
    cast_to_contract(frame, &RawKline::contract(), &Default::default()).unwrap()
}

/// The clean processed fixture, typed by the processed contract.
fn processed_frame() -> DataFrame {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/processed_clean.csv");
    let frame = datacontract::input::read_csv(&path, &Default::default()).unwrap();
    cast_to_contract(frame, &ProcessedKline::contract(), &Default::default()).unwrap()
}

fn parquet(frame: &DataFrame) -> Vec<u8> {
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes)
        .finish(&mut frame.clone())
        .unwrap();
    bytes
}

/// `frame` with `column` replaced by `values`.
fn with(frame: &DataFrame, values: Series) -> DataFrame {
    let mut frame = frame.clone();
    frame.with_column(values.into()).unwrap();
    frame
}

/// Every committed Parquet file of the corpus, as its recipe makes it.
fn parquet_recipes() -> Vec<(&'static str, Vec<u8>)> {
    let raw = raw_frame();
    let rows = raw.height();
    let processed = processed_frame();
    let float_trades = raw
        .column("number_of_trades")
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .take_materialized_series();
    let record_symbol = StructChunked::from_series(
        "symbol".into(),
        rows,
        [Series::new("code".into(), vec!["BTCUSDT"; rows])].iter(),
    )
    .unwrap()
    .into_series();
    let list_interval = Series::new(
        "interval".into(),
        vec![Series::new("".into(), ["1m"]); rows],
    );
    let naive = raw
        .column("open_time")
        .unwrap()
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .unwrap()
        .take_materialized_series();
    let nanoseconds = raw
        .column("open_time")
        .unwrap()
        .cast(&DataType::Datetime(
            TimeUnit::Nanoseconds,
            Some(TimeZone::UTC),
        ))
        .unwrap()
        .take_materialized_series();
    let extreme_times = Series::new("open_time".into(), vec![i64::MAX - 1; rows])
        .cast(&DataType::Datetime(
            TimeUnit::Milliseconds,
            Some(TimeZone::UTC),
        ))
        .unwrap();
    let extreme_decimals = Series::new("volume".into(), vec![10i128.pow(37); rows])
        .cast(&DataType::Decimal(38, 0))
        .unwrap();
    let integer_prices = Series::new("open".into(), vec![42000i64; rows]);
    let mut extra = raw.clone();
    extra
        .with_column(Column::new("note".into(), vec!["extra"; rows]))
        .unwrap();
    let renamed = raw
        .clone()
        .lazy()
        .rename(["close_time"], ["xpen_time"], true)
        .collect()
        .unwrap();
    let duplicated = patch(&parquet(&renamed), b"xpen_time", b"open_time");
    let valid = parquet(&raw);
    let float_column = |name: &str, value: f64| {
        with(
            &processed,
            Series::new(name.into(), vec![value; processed.height()]),
        )
    };
    vec![
        ("parquet/valid.parquet", valid.clone()),
        (
            "parquet/integer_prices.parquet",
            parquet(&with(&raw, integer_prices)),
        ),
        (
            "parquet/naive_timestamps.parquet",
            parquet(&with(&raw, naive)),
        ),
        (
            "parquet/nanosecond_timestamps.parquet",
            parquet(&with(&raw, nanoseconds)),
        ),
        ("parquet/extra_column.parquet", parquet(&extra)),
        (
            "parquet/float_where_integer.parquet",
            parquet(&with(&raw, float_trades)),
        ),
        (
            "parquet/record_where_text.parquet",
            parquet(&with(&raw, record_symbol)),
        ),
        (
            "parquet/list_where_text.parquet",
            parquet(&with(&raw, list_interval)),
        ),
        ("parquet/duplicate_columns.parquet", duplicated),
        (
            "parquet/truncated.parquet",
            valid[..valid.len() / 2].to_vec(),
        ),
        ("parquet/zero_rows.parquet", parquet(&raw.head(Some(0)))),
        (
            "parquet/all_null_column.parquet",
            parquet(&with(
                &raw,
                Series::full_null("number_of_trades".into(), rows, &DataType::Int64),
            )),
        ),
        (
            "parquet/null_type_column.parquet",
            parquet(&with(
                &raw,
                Series::full_null("number_of_trades".into(), rows, &DataType::Null),
            )),
        ),
        (
            "parquet/extreme_timestamps.parquet",
            parquet(&with(&raw, extreme_times)),
        ),
        (
            "parquet/extreme_decimals.parquet",
            parquet(&with(&raw, extreme_decimals)),
        ),
        (
            "parquet/nan_price.parquet",
            parquet(&float_column("vwap", f64::NAN)),
        ),
        (
            "parquet/infinite_volume.parquet",
            parquet(&float_column("volume", f64::INFINITY)),
        ),
        (
            "parquet/negative_infinity.parquet",
            parquet(&float_column("low", f64::NEG_INFINITY)),
        ),
        (
            "parquet/not_parquet.parquet",
            b"open_time,open\n1,2\n".to_vec(),
        ),
        ("parquet/empty.parquet", Vec::new()),
        ("parquet/magic_only.parquet", b"PAR1PAR1".to_vec()),
        (
            "parquet/partition_of_ours.parquet",
            encode_parquet(&raw).unwrap(),
        ),
    ]
}

/// `bytes` with every `from` replaced by `to` (of the same length).
fn patch(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut patched = bytes.to_vec();
    let mut at = 0;
    while let Some(found) = patched[at..].windows(from.len()).position(|w| w == from) {
        patched[at + found..at + found + to.len()].copy_from_slice(to);
        at += found + to.len();
    }
    assert!(at > 0, "nothing to patch");
    patched
}

/// A file the manifest says is made at test time.
fn generate(recipe: &str, path: &Path) {
    let header = std::fs::read_to_string(corpus().join("csv/valid.csv")).unwrap();
    let mut lines = header.lines();
    let (names, row) = (lines.next().unwrap(), lines.next().unwrap());
    let text = match recipe {
        "ten_megabyte_field" => {
            let mut fields: Vec<String> = row.split(',').map(str::to_string).collect();
            fields[11] = "X".repeat(10 << 20);
            format!("{names}\n{}\n", fields.join(","))
        }
        "all_duplicates" => {
            let mut text = format!("{names}\n");
            for _ in 0..200_000 {
                text.push_str(row);
                text.push('\n');
            }
            text
        }
        other => panic!("no recipe {other}"),
    };
    std::fs::write(path, text).unwrap();
}

#[test]
fn the_committed_parquet_files_are_what_their_recipes_make() {
    let write = std::env::var_os("CORPUS_WRITE").is_some();
    for (file, bytes) in parquet_recipes() {
        let path = corpus().join(file);
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path)
            .unwrap_or_else(|_| panic!("{file} is missing: run with CORPUS_WRITE=1"));
        assert!(
            committed == bytes,
            "{file} is not what its recipe makes: run with CORPUS_WRITE=1"
        );
    }
}

#[test]
fn the_manifest_covers_every_file_and_every_class() {
    let manifest = manifest();
    let listed: Vec<&str> = manifest
        .case
        .iter()
        .map(|case| case.file.as_str())
        .collect();
    let mut files: Vec<String> = walk(&corpus())
        .into_iter()
        .map(|path| path.strip_prefix(corpus()).unwrap().display().to_string())
        .filter(|file| file != "manifest.toml")
        .collect();
    files.sort();
    for file in &files {
        assert!(
            listed.contains(&file.as_str()),
            "{file} has no expected outcome"
        );
    }
    let cases = manifest.case.len() + manifest.name.len();
    assert!(cases >= 60, "only {cases} cases");
    for class in ["csv/", "parquet/", "ndjson/"] {
        let failing = manifest
            .case
            .iter()
            .filter(|case| case.file.starts_with(class) && case.validate != 0)
            .count();
        assert!(failing >= 8, "{class}: {failing} hostile cases");
    }
}

/// Where `case` is when the test runs: the committed file, or one made now.
fn materialize(case: &Case, scratch: &Path) -> PathBuf {
    match &case.generated {
        None => corpus().join(&case.file),
        Some(recipe) => {
            let path = scratch.join(Path::new(&case.file).file_name().unwrap());
            generate(recipe, &path);
            path
        }
    }
}

/// Checks one case; returns what went wrong, if anything.
fn check(case: &Case, scratch: &Path) -> Vec<String> {
    let mut wrong = Vec::new();
    let path = materialize(case, scratch);
    let file = path.to_str().unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    let dir = scratch.join(name.replace('.', "_"));
    std::fs::create_dir_all(&dir).unwrap();
    let validated = contracts(&dir, &["validate", &case.contract, file], &[]);
    let said = text(&validated.stdout) + &text(&validated.stderr);
    if validated.status.code() != Some(case.validate) {
        wrong.push(format!(
            "validate exited {:?}, not {}: {}",
            validated.status.code(),
            case.validate,
            first_lines(&said)
        ));
    }
    if case.validate != 0 && !said.contains(name) {
        wrong.push(format!(
            "validate does not name the file: {}",
            first_lines(&said)
        ));
    }
    for needle in &case.says {
        if !said.contains(needle.as_str()) && case.run.is_none() {
            wrong.push(format!(
                "validate does not say `{needle}`: {}",
                first_lines(&said)
            ));
        }
    }
    let Some(expected) = case.run else {
        return wrong;
    };
    let ran = contracts(
        &dir,
        &["run", "--quiet", "--source", "files", "--files", file],
        &[],
    );
    let reported = text(&ran.stdout) + &text(&ran.stderr);
    if ran.status.code() != Some(expected) {
        wrong.push(format!(
            "run exited {:?}, not {expected}: {}",
            ran.status.code(),
            first_lines(&reported)
        ));
    }
    for needle in &case.says {
        if !said.contains(needle.as_str()) && !reported.contains(needle.as_str()) {
            wrong.push(format!("neither command says `{needle}`"));
        }
    }
    let promoted = !walk(&dir.join("data/production")).is_empty();
    if promoted != (expected == 0) {
        wrong.push(format!(
            "production holds objects: {promoted}, the run exited {expected}"
        ));
    }
    wrong
}

fn first_lines(text: &str) -> String {
    text.lines().take(6).collect::<Vec<_>>().join(" | ")
}

#[test]
fn every_hostile_file_ends_as_the_manifest_says() {
    let manifest = manifest();
    let scratch = workdir("corpus");
    let queue = Mutex::new(manifest.case.clone());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                while let Some(case) = queue.lock().unwrap().pop() {
                    let wrong = check(&case, &scratch);
                    if !wrong.is_empty() {
                        failures.lock().unwrap().push(format!(
                            "{} ({}):\n  {}",
                            case.file,
                            case.what,
                            wrong.join("\n  ")
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn hostile_names_from_configuration_never_reach_a_store_or_sql() {
    let dir = workdir("corpus-names");
    for case in manifest().name {
        let env: Vec<(&str, &str)> = case
            .env
            .iter()
            .map(|[k, v]| (k.as_str(), v.as_str()))
            .collect();
        let output = contracts(&dir, &["run", "--quiet"], &env);
        let said = text(&output.stdout) + &text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{}: {said}", case.what);
        assert!(said.contains(&case.says), "{}: {said}", case.what);
        assert!(
            !dir.join("data").exists(),
            "{}: the store was written",
            case.what
        );
    }
}
