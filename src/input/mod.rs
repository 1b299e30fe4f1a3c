//! Reads CSV, Parquet and NDJSON files for validation, with errors that
//! name the file, the line and the column.
//!
//! - CSV is read with the `csv` crate into text columns (the header, or the
//!   contract, names them; an empty field and the null tokens are NULL; the
//!   delimiter, quote and encoding are [`CsvOptions`]), so every row keeps
//!   its line number and a row with the wrong number of fields is an error
//!   at its line. Validate
//!   with [`SchemaPolicy::Coerce`](crate::SchemaPolicy::Coerce) to parse the
//!   text as the contract's types; a value that does not parse is reported
//!   at its file and line.
//! - Parquet is scanned lazily; its row count comes from the metadata.
//!   Its footer is checked first: every column chunk it names must lie
//!   inside the file, since Polars' streaming reader slices the file by
//!   those ranges unchecked.
//! - NDJSON is read by Polars; when a line is malformed, the file is read
//!   once more line by line to say which.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use polars::io::mmap::MmapBytesReader;
use polars::prelude::*;

use crate::report::SourceFile;
use crate::validate::Input;

mod csv;
mod spool;
mod text_stream;

pub use csv::{CsvOptions, DEFAULT_IN_MEMORY, read_csv};
pub use spool::Spool;

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

/// How files are read, as written on `contracts validate`'s command line
/// or in the `files` source's settings (`files_null_values`, …): every
/// option a data tool has for text files, parsed in one place.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ReadingText {
    /// CSV field values read as NULL besides the empty field,
    /// comma-separated, e.g. `NA,NULL,\N`.
    #[arg(long, value_name = "TOKENS")]
    pub null_values: Option<String>,
    /// The CSV delimiter: one character, or `tab` [default: ,].
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// The CSV quote character [default: "].
    #[arg(long, value_name = "CHAR")]
    pub quote: Option<String>,
    /// Whether a CSV file's first line names its columns; with `false`,
    /// its fields are the contract's columns in order [default: true].
    #[arg(long, value_name = "BOOL")]
    pub header: Option<String>,
    /// The CSV text's encoding, a WHATWG label: `latin1`, `windows-1252`,
    /// `utf-16le`, … [default: utf-8].
    #[arg(long, value_name = "LABEL")]
    pub encoding: Option<String>,
    /// How text spells a TIMESTAMP or DATETIME, as strftime, e.g.
    /// `%d/%m/%Y %H:%M` (without a zone: UTC) [default: inferred: RFC 3339
    /// and the ISO spellings].
    #[arg(long, value_name = "FORMAT")]
    pub timestamp_format: Option<String>,
    /// How text spells a DATE, as strftime [default: %Y-%m-%d].
    #[arg(long, value_name = "FORMAT")]
    pub date_format: Option<String>,
    /// How much of a CSV file's text is held in memory, e.g. `512MiB`; a
    /// larger file is spooled to a scratch Parquet file in the temporary
    /// folder and streamed [default: 64MiB].
    #[arg(long, value_name = "BYTES")]
    pub csv_memory: Option<String>,
}

/// The reading options, parsed: how CSV is read, and how its text parses
/// as the contract's times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    /// How CSV files are read.
    pub csv: CsvOptions,
    /// How text parses as times.
    pub formats: crate::validate::TextFormats,
}

impl ReadingText {
    /// The options, or the first that does not parse.
    pub fn parse(&self) -> Result<Reading, OptionError> {
        let csv = CsvOptions::parse(self)?;
        let formats = crate::validate::TextFormats::new(
            self.timestamp_format.clone(),
            self.date_format.clone(),
        )?;
        Ok(Reading { csv, formats })
    }
}

impl Reading {
    /// These options for files of `contract`: a CSV file without a header
    /// holds its columns, in order.
    pub fn for_contract(mut self, contract: &crate::Contract) -> Self {
        self.csv.names = contract
            .fields
            .iter()
            .map(|field| field.name.clone())
            .collect();
        self
    }
}

/// A reading option that does not parse: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    /// The option, e.g. `delimiter`, `null_values`, `timestamp_format`.
    pub option: &'static str,
    /// What is wrong.
    pub message: String,
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

/// Reads `paths` in order into one validation input, CSV files as
/// `csv` says. Columns are matched by name across files; a column missing
/// from a file is NULL there.
pub fn read_files(paths: &[PathBuf], csv: &CsvOptions) -> Result<Input, InputError> {
    let mut frames = Vec::new();
    let mut files = Vec::new();
    let mut spools = Vec::new();
    for path in paths {
        let format = Format::of(path).ok_or_else(|| {
            InputError::new(
                path,
                "unknown format: name it .csv, .parquet, .ndjson or .jsonl",
            )
        })?;
        let (frame, rows, lines) = guarded(path, || match format {
            Format::Csv => {
                let (frame, rows, lines, spool) = csv::read_csv_file(path, csv)?;
                spools.extend(spool);
                Ok((frame, rows, Some(lines)))
            }
            Format::Parquet => read_parquet(path),
            Format::Ndjson => {
                let lines = scan_ndjson(path)?;
                let frame = read_ndjson(path)?;
                let rows = frame.height() as u64;
                Ok((frame.lazy(), rows, Some(lines)))
            }
        })?;
        let lines = lines.unwrap_or_default();
        files.push(SourceFile {
            path: path.display().to_string(),
            rows,
            first_line: lines.first,
            line_jumps: lines.jumps,
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
    Ok(Input::Files {
        frame,
        files,
        spools,
    })
}

/// `text` as a number of bytes greater than 0: digits, then optionally a
/// decimal (`KB` … `TB`) or binary (`KiB` … `TiB`) unit.
pub fn byte_count(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let scale: u64 = match unit.trim() {
        "" | "B" => 1,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        _ => return None,
    };
    number
        .parse::<u64>()
        .ok()?
        .checked_mul(scale)
        .filter(|bytes| *bytes > 0)
}

/// Where a file's rows are: the line of the first, and the jumps after it
/// ([`SourceFile::line_jumps`]).
#[derive(Debug, Default, PartialEq, Eq)]
struct Lines {
    first: Option<u64>,
    jumps: Vec<[u64; 2]>,
}

impl Lines {
    /// Records that row `row` (the next one) starts at `line`.
    fn push(&mut self, row: u64, line: u64) {
        match self.first {
            None => self.first = Some(line),
            Some(first) => {
                let expected = match self.jumps.last() {
                    Some([jump_row, jump_line]) => jump_line + row - jump_row,
                    None => first + row,
                };
                if line != expected {
                    self.jumps.push([row, line]);
                }
            }
        }
    }
}

/// Runs `read` on the file at `path`, turning a panic inside it into the
/// file's error: the readers of foreign formats (Polars' Parquet footer
/// parser among them) panic on some damaged files, and a damaged file is
/// bad input, not a crash.
pub fn guarded<T>(
    path: &Path,
    read: impl FnOnce() -> Result<T, InputError>,
) -> Result<T, InputError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|panic| {
        Err(InputError::new(
            path,
            format!(
                "the file is damaged: its reader gave up ({})",
                panic_message(&*panic)
            ),
        ))
    })
}

/// The message a panic carried.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}

fn read_parquet(path: &Path) -> Result<(LazyFrame, u64, Option<Lines>), InputError> {
    let fail =
        |error: PolarsError| InputError::new(path, format!("not a readable Parquet file: {error}"));
    let file = File::open(path).map_err(|error| InputError::new(path, error.to_string()))?;
    let length = file.metadata().map(|metadata| metadata.len());
    let length = length.map_err(|error| InputError::new(path, error.to_string()))?;
    chunks_inside(&mut ParquetReader::new(file), length).map_err(fail)?;
    let scan = LazyFrame::scan_parquet(
        PlRefPath::from(path.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .map_err(fail)?;
    // The footer's schema is read (and checked) now, so a damaged one is
    // this file's error, not the validation's.
    scan.clone().collect_schema().map_err(fail)?;
    let counted = scan.clone().select([len()]).collect().map_err(fail)?;
    let rows = counted.columns()[0]
        .get(0)
        .map_err(fail)?
        .extract::<u64>()
        .ok_or_else(|| InputError::new(path, "Parquet gave no row count"))?;
    Ok((scan, rows, None))
}

/// Whether every column chunk the footer of the Parquet file `reader`
/// reads names lies inside its `length` bytes. Polars' streaming reader
/// takes those byte ranges of the mapped file without a bounds check, so a
/// damaged footer would have it read past the file's end (garbage rows, or
/// an abort in a debug build): it is refused here, naming the chunk.
pub(crate) fn chunks_inside<R: MmapBytesReader>(
    reader: &mut ParquetReader<R>,
    length: u64,
) -> PolarsResult<()> {
    for (group, row_group) in reader.get_metadata()?.row_groups.iter().enumerate() {
        for chunk in row_group.parquet_columns() {
            let range = chunk.byte_range();
            if range.start > range.end || range.end > length {
                polars_bail!(
                    ComputeError: "the footer is damaged: row group {}'s column `{}` claims bytes \
                     {}..{} of a file of {length} bytes",
                    group + 1,
                    chunk.descriptor().path_in_schema.join("."),
                    range.start,
                    range.end
                );
            }
        }
    }
    Ok(())
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

/// How deep JSON values may nest: deeper ones are refused before the JSON
/// reader sees them (its recursion would overflow the stack).
const MAX_JSON_DEPTH: usize = 64;

/// The line of each row of an NDJSON file (every line that is not blank),
/// after checking that there is one and that no value nests deeper than
/// [`MAX_JSON_DEPTH`].
fn scan_ndjson(path: &Path) -> Result<Lines, InputError> {
    let file = File::open(path).map_err(|error| InputError::new(path, error.to_string()))?;
    let mut lines = Lines::default();
    let mut row = 0;
    for (index, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(|error| InputError::new(path, error.to_string()))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if nesting(&line) > MAX_JSON_DEPTH {
            let mut problem = InputError::new(
                path,
                format!("a value nests deeper than {MAX_JSON_DEPTH} levels"),
            );
            problem.line = Some(index as u64 + 1);
            return Err(problem);
        }
        lines.push(row, index as u64 + 1);
        row += 1;
    }
    if row == 0 {
        return Err(InputError::new(path, "the file holds no JSON line"));
    }
    Ok(lines)
}

/// The deepest nesting of arrays and objects in one line of JSON, brackets
/// inside strings aside.
fn nesting(line: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for byte in line {
        match (in_string, escaped, byte) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (true, false, _) => {}
            (false, _, b'"') => in_string = true,
            (false, _, b'[' | b'{') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (false, _, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn source(path: &Path) -> SourceFile {
        let Input::Files { files, .. } =
            read_files(&[path.to_path_buf()], &CsvOptions::default()).unwrap()
        else {
            unreachable!("files give Input::Files")
        };
        files.into_iter().next().unwrap()
    }

    #[test]
    fn byte_counts_take_decimal_and_binary_units() {
        assert_eq!(byte_count("1000"), Some(1000));
        assert_eq!(byte_count("200GB"), Some(200_000_000_000));
        assert_eq!(byte_count("1 TiB"), Some(1 << 40));
        for wrong in ["", "0", "GB", "1.5GB", "-1", "1PB", "99999999999TiB"] {
            assert_eq!(byte_count(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn a_csv_file_past_its_memory_is_spooled_and_scanned_from_disk() {
        let text: String = std::iter::once("id,note\n".to_string())
            .chain((0..100).map(|row| format!("{row},\"a\nb\"\n")))
            .collect();
        let (_dir, path) = file("x.csv", &text);
        let read = |in_memory| {
            let options = CsvOptions {
                in_memory,
                ..CsvOptions::default()
            };
            let Input::Files {
                frame,
                files,
                spools,
            } = read_files(std::slice::from_ref(&path), &options).unwrap()
            else {
                unreachable!("files give Input::Files")
            };
            let paths: Vec<PathBuf> = spools.iter().map(|s| s.path().to_path_buf()).collect();
            assert!(paths.iter().all(|path| path.exists()));
            let frame = frame.collect().unwrap();
            drop(spools);
            assert!(paths.iter().all(|path| !path.exists()), "a spool was left");
            (frame, files, paths.len())
        };
        let (held, held_files, held_spools) = read(DEFAULT_IN_MEMORY);
        let (spooled, spooled_files, spooled_spools) = read(64);
        assert_eq!((held_spools, spooled_spools), (0, 1));
        assert!(spooled.equals_missing(&held));
        assert_eq!(held.height(), 100);
        assert_eq!(spooled_files, held_files);
        assert_eq!(held_files[0].line_of(99), Some(200));
    }

    #[test]
    fn csv_rows_keep_their_lines_past_blank_lines_and_quoted_line_breaks() {
        let text = "id,note\n1,a\n\n2,\"two\nlines\"\n3,c\n\n\n4,d\n";
        let (_dir, path) = file("x.csv", text);
        let source = source(&path);
        assert_eq!(source.rows, 4);
        let lines: Vec<_> = (0..4).map(|row| source.line_of(row)).collect();
        assert_eq!(lines, [Some(2), Some(4), Some(6), Some(9)]);
    }

    #[test]
    fn ndjson_rows_keep_their_lines_past_blank_lines() {
        let (_dir, path) = file("x.ndjson", "{\"a\":1}\n\n{\"a\":2}\n   \n{\"a\":3}\n");
        let source = source(&path);
        let lines: Vec<_> = (0..3).map(|row| source.line_of(row)).collect();
        assert_eq!(lines, [Some(1), Some(3), Some(5)]);
    }

    #[test]
    fn regular_files_need_no_jumps() {
        let (_dir, path) = file("x.csv", "id\n1\n2\n3\n");
        let source = source(&path);
        assert!(source.line_jumps.is_empty());
        assert_eq!(source.line_of(2), Some(4));
    }
}
