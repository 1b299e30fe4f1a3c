//! Reads CSV, Parquet and NDJSON files for validation, with errors that
//! name the file, the line and the column.
//!
//! - CSV is read with the `csv` crate into text columns (the header names
//!   them; an empty field is NULL), so every row keeps its line number and a
//!   row with the wrong number of fields is an error at its line. Validate
//!   with [`SchemaPolicy::Coerce`](crate::SchemaPolicy::Coerce) to parse the
//!   text as the contract's types; a value that does not parse is reported
//!   at its file and line.
//! - Parquet is scanned lazily; its row count comes from the metadata.
//! - NDJSON is read by Polars; when a line is malformed, the file is read
//!   once more line by line to say which.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::report::SourceFile;
use crate::validate::Input;

/// A file that cannot be read, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.location())]
pub struct InputError {
    /// The file.
    pub file: String,
    /// The 1-based line, when the problem has one.
    pub line: Option<u64>,
    /// The column, when the problem has one.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl InputError {
    fn new(file: &Path, message: impl Into<String>) -> Self {
        InputError {
            file: file.display().to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    fn location(&self) -> String {
        let mut text = self.file.clone();
        if let Some(line) = self.line {
            text.push_str(&format!(":{line}"));
        }
        if let Some(column) = &self.column {
            text.push_str(&format!(": column `{column}`"));
        }
        format!("{text}: {}", self.message)
    }
}

/// The formats [`read_files`] knows, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.csv`, with a header row.
    Csv,
    /// `.parquet` or `.pq`.
    Parquet,
    /// `.ndjson`, `.jsonl` or `.json` (one object per line).
    Ndjson,
}

impl Format {
    /// The format of `path`, from its extension.
    pub fn of(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match extension.as_str() {
            "csv" => Format::Csv,
            "parquet" | "pq" => Format::Parquet,
            "ndjson" | "jsonl" | "json" => Format::Ndjson,
            _ => return None,
        })
    }
}

/// Reads `paths` in order into one validation input. Columns are matched
/// by name across files; a column missing from a file is NULL there.
pub fn read_files(paths: &[PathBuf]) -> Result<Input, InputError> {
    let mut frames = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        let format = Format::of(path).ok_or_else(|| {
            InputError::new(
                path,
                "unknown format: name it .csv, .parquet, .ndjson or .jsonl",
            )
        })?;
        let (frame, rows, first_line) = match format {
            Format::Csv => {
                let frame = read_csv(path)?;
                let rows = frame.height() as u64;
                (frame.lazy(), rows, Some(2))
            }
            Format::Parquet => read_parquet(path)?,
            Format::Ndjson => {
                let frame = read_ndjson(path)?;
                let rows = frame.height() as u64;
                (frame.lazy(), rows, ndjson_first_line(path))
            }
        };
        files.push(SourceFile {
            path: path.display().to_string(),
            rows,
            first_line,
        });
        frames.push(frame);
    }
    let frame = match frames.len() {
        0 => return Err(InputError::new(Path::new("(none)"), "no input files")),
        1 => frames.pop().expect("one frame"),
        _ => concat(
            frames,
            UnionArgs {
                diagonal: true,
                to_supertypes: true,
                maintain_order: true,
                ..UnionArgs::default()
            },
        )
        .map_err(|error| {
            InputError::new(&paths[0], format!("the files do not line up: {error}"))
        })?,
    };
    Ok(Input::Files { frame, files })
}

/// A CSV file as text columns; an empty field is NULL.
pub fn read_csv(path: &Path) -> Result<DataFrame, InputError> {
    let file = File::open(path).map_err(|error| InputError::new(path, error.to_string()))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(BufReader::new(file));
    let header = reader
        .headers()
        .map_err(|error| csv_error(path, &error, None))?
        .clone();
    let names: Vec<String> = header.iter().map(str::to_string).collect();
    let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); names.len()];
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                for (values, field) in columns.iter_mut().zip(record.iter()) {
                    values.push((!field.is_empty()).then(|| field.to_string()));
                }
            }
            Err(error) => return Err(csv_error(path, &error, Some(&names))),
        }
    }
    let series: Vec<Column> = names
        .iter()
        .zip(columns)
        .map(|(name, values)| Column::new(name.as_str().into(), values))
        .collect();
    DataFrame::new_infer_height(series).map_err(|error| InputError::new(path, error.to_string()))
}

fn csv_error(path: &Path, error: &csv::Error, names: Option<&[String]>) -> InputError {
    let mut problem = InputError::new(path, error.to_string());
    if let Some(position) = error.position() {
        problem.line = Some(position.line());
    }
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            problem.message = format!("a row has {len} fields where the header has {expected_len}");
        }
        csv::ErrorKind::Utf8 { err, .. } => {
            problem.column = names.and_then(|names| names.get(err.field())).cloned();
            problem.message = "the value is not valid UTF-8".into();
        }
        _ => {}
    }
    problem
}

fn read_parquet(path: &Path) -> Result<(LazyFrame, u64, Option<u64>), InputError> {
    let fail =
        |error: PolarsError| InputError::new(path, format!("not a readable Parquet file: {error}"));
    let scan = LazyFrame::scan_parquet(
        PlRefPath::from(path.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .map_err(fail)?;
    let counted = scan.clone().select([len()]).collect().map_err(fail)?;
    let rows = counted.columns()[0]
        .get(0)
        .map_err(fail)?
        .extract::<u64>()
        .unwrap_or(0);
    Ok((scan, rows, None))
}

fn read_ndjson(path: &Path) -> Result<DataFrame, InputError> {
    let read = LazyJsonLineReader::new(PlRefPath::from(path.to_string_lossy().as_ref()))
        .finish()
        .and_then(LazyFrame::collect);
    read.map_err(|error| {
        locate_ndjson_error(path).unwrap_or_else(|| InputError::new(path, error.to_string()))
    })
}

/// The first line of an NDJSON file that is not a JSON object.
fn locate_ndjson_error(path: &Path) -> Option<InputError> {
    let file = File::open(path).ok()?;
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let mut problem = InputError::new(path, String::new());
        problem.line = Some(index as u64 + 1);
        let Ok(line) = line else {
            problem.message = "the line is not valid UTF-8".into();
            return Some(problem);
        };
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(serde_json::Value::Object(_)) => {}
            Ok(_) => {
                problem.message = "the line is not a JSON object".into();
                return Some(problem);
            }
            Err(error) => {
                problem.message =
                    format!("malformed JSON at character {}: {error}", error.column());
                return Some(problem);
            }
        }
    }
    None
}

/// `Some(1)` when every line of the file is a row (no blank lines), so a
/// row's line is its index plus one.
fn ndjson_first_line(path: &Path) -> Option<u64> {
    let file = File::open(path).ok()?;
    let blank = BufReader::new(file)
        .lines()
        .any(|line| line.map_or(true, |l| l.trim().is_empty()));
    (!blank).then_some(1)
}
