//! Files as a source: CSV, Parquet or NDJSON, local or `gs://`, for any
//! contract, cast to its dtypes without losing a value.

use std::path::PathBuf;

use indicatif::ProgressBar;
use polars::prelude::*;

use super::{Extract, ExtractError, Extractor, Source};
use crate::Contract;
use crate::input::{Reading, ReadingText};
use crate::pipeline::config::{Config, ConfigError, Layers, SettingSpec, setting};
use crate::store::ObjectStore;
use crate::validate::conformance::conform;
use crate::validate::{SchemaPolicy, TextFormats};

/// The files source's settings: the files, and how they are read (the
/// options of `contracts validate`, prefixed `files_`).
const FILES_SETTINGS: &[SettingSpec] = &[
    setting(
        "files",
        "DATACONTRACT_FILES",
        None,
        "comma-separated files for `source = files` (local paths or `gs://`)",
    ),
    setting(
        "files_null_values",
        "DATACONTRACT_FILES_NULL_VALUES",
        None,
        "CSV field values read as NULL besides the empty field, comma-separated (`NA,NULL,\\N`)",
    ),
    setting(
        "files_delimiter",
        "DATACONTRACT_FILES_DELIMITER",
        Some(","),
        "the CSV delimiter: one character, or `tab`",
    ),
    setting(
        "files_quote",
        "DATACONTRACT_FILES_QUOTE",
        Some("\""),
        "the CSV quote character",
    ),
    setting(
        "files_header",
        "DATACONTRACT_FILES_HEADER",
        Some("true"),
        "whether a CSV file's first line names its columns; with `false`, its fields are the contract's columns in order",
    ),
    setting(
        "files_encoding",
        "DATACONTRACT_FILES_ENCODING",
        Some("utf-8"),
        "the CSV text's encoding, a WHATWG label (`latin1`, `windows-1252`, `utf-16le`, …)",
    ),
    setting(
        "files_timestamp_format",
        "DATACONTRACT_FILES_TIMESTAMP_FORMAT",
        None,
        "how text spells a TIMESTAMP or DATETIME, as strftime (`%d/%m/%Y %H:%M`; without a zone: UTC); inferred when unset from the column's first value that follows a pattern, as `--timestamp-format` says",
    ),
    setting(
        "files_date_format",
        "DATACONTRACT_FILES_DATE_FORMAT",
        Some("%Y-%m-%d"),
        "how text spells a DATE, as strftime",
    ),
];

/// `source = "files"`: the files the `files` setting lists, for any
/// pipeline.
pub struct FilesSource;

impl Source for FilesSource {
    fn name(&self) -> &'static str {
        "files"
    }

    fn settings(&self) -> &'static [SettingSpec] {
        FILES_SETTINGS
    }

    fn configure(&self, layers: &Layers) -> Result<Box<dyn Extractor>, ConfigError> {
        let setting = |option: &str| {
            layers
                .get(&format!("files_{option}"))
                .map(|setting| setting.value.clone())
        };
        let reading = ReadingText {
            null_values: setting("null_values"),
            delimiter: setting("delimiter"),
            quote: setting("quote"),
            header: setting("header"),
            encoding: setting("encoding"),
            timestamp_format: setting("timestamp_format"),
            date_format: setting("date_format"),
            // The run holds the rows to land them: spooling would not
            // spare memory.
            csv_memory: None,
        };
        // Checked now, before the run opens anything.
        let reading = reading
            .parse()
            .map_err(|error| layers.invalid(&format!("files_{}", error.option), error.message))?;
        Ok(Box::new(FilesExtractor {
            files: layers.list("files")?,
            reading,
        }))
    }
}

/// CSV, Parquet or NDJSON files (local paths or `gs://bucket/key`), read in
/// order as one table and cast to the contract's dtypes. A value that does
/// not parse as its column's type stops the extract with its file, row and
/// column: nothing is turned into NULL.
pub struct FilesExtractor {
    /// The files.
    pub files: Vec<String>,
    /// How they are read.
    pub reading: Reading,
}

impl Extractor for FilesExtractor {
    fn extract(
        &self,
        config: &Config,
        _store: &dyn ObjectStore,
        contract: &Contract,
        progress: &ProgressBar,
    ) -> Result<Extract, ExtractError> {
        let scratch = tempfile::tempdir().map_err(|error| {
            ExtractError::service(format!("cannot create a scratch folder: {error}"))
        })?;
        let mut paths = Vec::new();
        progress.set_length(self.files.len() as u64);
        for (index, file) in self.files.iter().enumerate() {
            paths.push(match file.strip_prefix("gs://") {
                Some(uri) => download(config, uri, &scratch.path().join(index.to_string()))?,
                None => PathBuf::from(file),
            });
            progress.inc(1);
        }
        let options = self.reading.clone().for_contract(contract);
        let crate::validate::Input::Files {
            frame,
            files,
            spools: _spools,
        } = crate::input::read_files(&paths, &options.csv).map_err(ExtractError::input)?
        else {
            unreachable!("read_files returns files");
        };
        let reading = |error: String| {
            ExtractError::input(format!("reading {}: {error}", self.files.join(", ")))
        };
        // A damaged page is found as the frame is read: an error, or a
        // panic of its reader, either way this file's error.
        let frame = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| frame.collect()))
            .map_err(|panic| {
                reading(format!(
                    "the data is damaged: its reader gave up ({})",
                    crate::input::panic_message(&*panic)
                ))
            })?
            .map_err(|error| reading(error.to_string()))?;
        let frame = cast_to_contract(frame, contract, &options.formats).map_err(|problem| {
            let file = files
                .iter()
                .scan(0u64, |start, file| {
                    let first = *start;
                    *start += file.rows;
                    Some((first, file))
                })
                .filter(|(first, _)| problem.row.is_some_and(|row| row >= *first))
                .last();
            let place = match (file, problem.row) {
                (Some((first, file)), Some(row)) => {
                    let line = file
                        .line_of(row - first)
                        .map(|line| format!(":{line}"))
                        .unwrap_or_default();
                    format!("{}{line}, row {}", file.path, row - first + 1)
                }
                _ => self.files.join(", "),
            };
            ExtractError::input(format!("{place}: {}", problem.message))
        })?;
        Ok(Extract {
            description: format!("{} file(s): {}", self.files.len(), self.files.join(", ")),
            details: serde_json::json!({ "files": files }),
            frame,
            rejected: Vec::new(),
            checkpoint: None,
        })
    }
}

/// A value or column that does not fit the contract.
#[derive(Debug, Clone, PartialEq)]
pub struct CastProblem {
    /// The 0-based row, when one row is to blame.
    pub row: Option<u64>,
    /// What is wrong, naming the column.
    pub message: String,
}

/// `frame` with exactly the contract's columns in its dtypes, cast safely
/// (text parses as numbers, decimals and times, as `formats` say). A missing column, a type
/// with no safe cast, or a value that does not parse is a [`CastProblem`].
pub fn cast_to_contract(
    frame: DataFrame,
    contract: &Contract,
    formats: &TextFormats,
) -> Result<DataFrame, CastProblem> {
    let conformance = conform(
        &frame.clone().lazy(),
        contract,
        SchemaPolicy::Coerce,
        formats,
    )
    .map_err(|error| CastProblem {
        row: None,
        message: error.to_string(),
    })?;
    if let Some(finding) = conformance.verdict.findings.first() {
        return Err(CastProblem {
            row: None,
            message: format!(
                "column `{}`: {} (expected {})",
                finding.columns.join("`, `"),
                finding.message.as_deref().unwrap_or(&finding.id),
                finding.expected
            ),
        });
    }
    let names: Vec<&str> = contract.fields.iter().map(|f| f.name.as_str()).collect();
    let mut lazy = frame.clone().lazy();
    if !conformance.casts.is_empty() {
        lazy = lazy.with_columns(
            conformance
                .casts
                .iter()
                .map(|c| c.cast.clone())
                .collect::<Vec<_>>(),
        );
    }
    for coercion in &conformance.casts {
        let lost = frame
            .clone()
            .lazy()
            .with_row_index("__row", None)
            .filter(coercion.lost())
            .select([col("__row"), col(&coercion.column)])
            .limit(1)
            .collect()
            .map_err(|error| CastProblem {
                row: None,
                message: error.to_string(),
            })?;
        if lost.height() > 0 {
            let row = lost
                .column("__row")
                .ok()
                .and_then(|c| c.get(0).ok())
                .and_then(|v| v.extract::<u64>());
            // Shown as reports show values: a time beyond the calendar as
            // its ticks (Polars' own text for it panics).
            let value = lost
                .column(&coercion.column)
                .ok()
                .and_then(|c| c.get(0).ok())
                .map(|v| crate::validate::json_value(&v).to_string());
            return Err(CastProblem {
                row,
                message: format!(
                    "column `{}`: {} does not parse ({})",
                    coercion.column,
                    value.unwrap_or_default(),
                    coercion.description
                ),
            });
        }
    }
    lazy.select(names.iter().map(|name| col(*name)).collect::<Vec<_>>())
        .collect()
        .map_err(|error| CastProblem {
            row: None,
            message: error.to_string(),
        })
}

/// Downloads `bucket/key` into `path`, from GCS (at the configured
/// endpoint, if any) or the emulator `STORAGE_EMULATOR_HOST` names.
fn download(config: &Config, uri: &str, folder: &std::path::Path) -> Result<PathBuf, ExtractError> {
    let (bucket, key) = uri
        .split_once('/')
        .ok_or_else(|| ExtractError::usage(format!("gs://{uri} has no object key")))?;
    let endpoint = match &config.store {
        crate::pipeline::config::StoreConfig::Gcs { endpoint, .. } => endpoint.as_deref(),
        crate::pipeline::config::StoreConfig::Local { .. } => None,
    };
    let store =
        crate::pipeline::environment::gcs_store(bucket, endpoint).map_err(ExtractError::service)?;
    let bytes = store
        .get(key)
        .map_err(|error| ExtractError::service(format!("gs://{uri}: {error}")))?;
    std::fs::create_dir_all(folder).map_err(|error| {
        ExtractError::service(format!("cannot create {}: {error}", folder.display()))
    })?;
    let name = key.rsplit('/').next().unwrap_or(key);
    let path = folder.join(name);
    std::fs::write(&path, bytes).map_err(|error| {
        ExtractError::service(format!("cannot write {}: {error}", path.display()))
    })?;
    Ok(path)
}
