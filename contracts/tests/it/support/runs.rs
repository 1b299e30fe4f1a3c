//! Running the `contracts` binary in a working folder, for the pipeline and
//! promotion tests: the local setup (a folder and DuckDB) and the emulators
//! (fake-gcs and bqemulator, started by scripts/test.sh).

// Each test crate that includes this file uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;

pub const RAW: &str = "raw_binance_btcusdt_spot";
pub const PROCESSED: &str = "processed_binance_btcusdt_spot";

/// A fresh working folder named after the test and this process.
pub fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "datacontract-pipeline-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `contracts` in `dir` with `args` and `env` added to this process's
/// environment.
pub fn contracts(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_contracts"));
    command.current_dir(dir).args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

/// Runs `contracts` and returns its standard output, failing with both
/// outputs unless it exits 0.
pub fn succeed(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = contracts(dir, args, env);
    let summary = text(&output.stdout);
    assert!(
        output.status.success(),
        "contracts {args:?}: {summary}\n{}",
        text(&output.stderr)
    );
    summary
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file below `folder`.
pub fn walk(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    entries
        .flat_map(|entry| {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

/// The sample's raw rows as the first run landed them in `dir` (in the
/// order they arrived), moved `days` days later.
pub fn shifted_klines(dir: &Path, days: i64) -> DataFrame {
    let staging = dir.join("data/staging").join(RAW);
    let part = walk(&staging).into_iter().next().unwrap();
    ParquetReader::new(std::fs::File::open(&part).unwrap())
        .finish()
        .unwrap()
        .drop("source_row")
        .unwrap()
        .lazy()
        .with_columns([
            (col("open_time") + lit(chrono::Duration::days(days))).alias("open_time"),
            (col("close_time") + lit(chrono::Duration::days(days))).alias("close_time"),
        ])
        .collect()
        .unwrap()
}

/// Writes `frame` as a Parquet file at `path`.
pub fn write_parquet(frame: &DataFrame, path: &Path) -> PathBuf {
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(&mut frame.clone())
        .unwrap();
    path.to_path_buf()
}

/// [`shifted_klines`], written to a Parquet file in `dir`: new input for a
/// later run.
pub fn later_input(dir: &Path, days: i64) -> PathBuf {
    write_parquet(
        &shifted_klines(dir, days),
        &dir.join(format!("later-{days}.parquet")),
    )
}

/// Runs the pipeline in `dir` on `file` and returns its summary, failing
/// unless it exits 0.
pub fn run_on(dir: &Path, file: &Path, env: &[(&str, &str)]) -> String {
    let args = [
        "run",
        "--quiet",
        "--source",
        "files",
        "--files",
        file.to_str().unwrap(),
    ];
    succeed(dir, &args, env)
}

/// The emulators' endpoints, from scripts/test.sh's variables; fails
/// naming the script when they are missing.
pub struct Emulators {
    pub gcs: String,
    pub bigquery: String,
}

impl Emulators {
    pub fn from_env() -> Self {
        Emulators {
            gcs: std::env::var("DATACONTRACT_GCS_EMULATOR").expect(
                "DATACONTRACT_GCS_EMULATOR is not set: run the tests with scripts/test.sh, which starts fake-gcs-server",
            ),
            bigquery: std::env::var("BIGQUERY_EMULATOR_HOST").expect(
                "BIGQUERY_EMULATOR_HOST is not set: run the tests with scripts/test.sh, which starts bqemulator",
            ),
        }
    }

    /// The environment of a run on the emulators, in bucket `bucket` and
    /// datasets `staging` and `production`.
    pub fn env(&self, bucket: &str, staging: &str, production: &str) -> Vec<(String, String)> {
        [
            ("STORAGE_EMULATOR_HOST", self.gcs.as_str()),
            ("BIGQUERY_EMULATOR_HOST", self.bigquery.as_str()),
            ("DATACONTRACT_STORE", "gcs"),
            ("GCS_BUCKET_NAME", bucket),
            ("DATACONTRACT_WAREHOUSE", "bigquery"),
            ("PROJECT_ID", "test-proj"),
            ("DATACONTRACT_STAGING_DATASET", staging),
            ("BIGQUERY_RAW_DATASET", production),
            ("BIGQUERY_TRANSFORMED_DATASET", production),
            // Every query then carries maximumBytesBilled, as production's do.
            ("DATACONTRACT_MAX_BYTES_BILLED", "1TiB"),
        ]
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .to_vec()
    }
}

/// `pairs` as the borrowed pairs [`contracts`] takes.
pub fn borrowed(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect()
}
