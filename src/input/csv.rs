//! CSV as people write it: R's and pandas' `NA`, semicolons, single
//! quotes, no header, Latin-1. The options every data tool has
//! ([`CsvOptions`]) decide how a file is read into text columns; the
//! contract's types are parsed from the text later, during validation.
//!
//! Each row keeps the line it starts on, blank lines and quoted line
//! breaks counted, so a value that does not fit is reported at its line.
//!
//! A file is read as a stream ([`text_stream`](super::text_stream)); one
//! whose text is larger than [`CsvOptions::in_memory`] is written to a
//! scratch Parquet file as it is read ([`spool`](super::spool)), so the
//! validation streams it as it streams Parquet, out of core.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use encoding_rs::Encoding;
use polars::prelude::*;

use super::spool::{Spool, SpoolWriter};
use super::text_stream::{Decoded, LineCounted, Malformed};
use super::{InputError, Lines, OptionError, ReadingText};

/// How CSV files are read. The default is RFC 4180 with a header, in
/// UTF-8, where only an empty field is NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// Field values read as NULL, besides the empty field: `NA`, `NULL`,
    /// `\N`. Compared with the whole field, after unquoting.
    pub null_values: Vec<String>,
    /// The field delimiter.
    pub delimiter: u8,
    /// The quote character.
    pub quote: u8,
    /// Whether the first line names the columns. Without a header, the
    /// fields are the [`CsvOptions::names`] in order.
    pub header: bool,
    /// The columns of a file without a header, in the file's order (the
    /// contract's columns, given by the caller).
    pub names: Vec<String>,
    /// The text encoding.
    pub encoding: &'static Encoding,
    /// How many bytes of a file's field text [`read_files`](super::read_files)
    /// holds in memory; a file with more is spooled to a scratch Parquet
    /// file and streamed.
    pub in_memory: u64,
}

/// [`CsvOptions::in_memory`] unless set: 64 MiB.
pub const DEFAULT_IN_MEMORY: u64 = 64 << 20;

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            null_values: Vec::new(),
            delimiter: b',',
            quote: b'"',
            header: true,
            names: Vec::new(),
            encoding: encoding_rs::UTF_8,
            in_memory: DEFAULT_IN_MEMORY,
        }
    }
}

impl CsvOptions {
    /// The CSV options `text` spells, or the first that does not parse.
    pub fn parse(text: &ReadingText) -> Result<CsvOptions, OptionError> {
        let mut options = CsvOptions::default();
        if let Some(tokens) = &text.null_values {
            options.null_values = tokens.split(',').map(str::to_string).collect();
        }
        if let Some(delimiter) = &text.delimiter {
            options.delimiter = one_byte("delimiter", delimiter)?;
        }
        if let Some(quote) = &text.quote {
            options.quote = one_byte("quote", quote)?;
        }
        if options.delimiter == options.quote {
            return Err(OptionError {
                option: "quote",
                message: "the quote character is the delimiter".into(),
            });
        }
        if let Some(header) = &text.header {
            options.header = match header.to_ascii_lowercase().as_str() {
                "true" | "yes" => true,
                "false" | "no" => false,
                _ => {
                    return Err(OptionError {
                        option: "header",
                        message: format!("`{header}` is not `true` or `false`"),
                    });
                }
            };
        }
        if let Some(size) = &text.csv_memory {
            options.in_memory = super::byte_count(size).ok_or_else(|| OptionError {
                option: "csv_memory",
                message: format!(
                    "`{size}` is not a number of bytes greater than 0 (`512MiB`, `2GB`)"
                ),
            })?;
        }
        if let Some(label) = &text.encoding {
            options.encoding =
                Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| OptionError {
                    option: "encoding",
                    message: format!(
                        "`{label}` is not an encoding this reader knows (the WHATWG labels: `utf-8`, `latin1`, `windows-1252`, `iso-8859-15`, `utf-16le`, `shift_jis`, …)"
                    ),
                })?;
        }
        Ok(options)
    }
}

/// The single ASCII character `text` spells (`tab` and `\t` are a tab).
fn one_byte(option: &'static str, text: &str) -> Result<u8, OptionError> {
    let byte = match text {
        "tab" | "\\t" | "\t" => b'\t',
        _ if text.len() == 1 && text.is_ascii() => text.as_bytes()[0],
        _ => {
            return Err(OptionError {
                option,
                message: format!("`{text}` is not one ASCII character (or `tab`)"),
            });
        }
    };
    if matches!(byte, b'\n' | b'\r') {
        return Err(OptionError {
            option,
            message: "a line break cannot be one".into(),
        });
    }
    Ok(byte)
}

/// A CSV file as text columns: an empty field and the null tokens are
/// NULL. The whole file is held in memory; [`read_files`](super::read_files)
/// spools a large one to disk instead.
pub fn read_csv(path: &Path, options: &CsvOptions) -> Result<DataFrame, InputError> {
    let mut frames = Vec::new();
    read_records(path, options, u64::MAX, |frame| {
        frames.push(frame);
        Ok(())
    })?;
    Ok(frames.pop().expect("one frame of the whole file"))
}

/// A CSV file as text columns, read as a stream, with its row count and
/// the line each row starts on. Its rows stay in memory while their text
/// is under [`CsvOptions::in_memory`]; past that, every row goes to a
/// scratch Parquet file (the [`Spool`], in the system's temporary folder),
/// and the frame scans it, so the file's size is bounded by the disk, not
/// by memory.
pub(super) fn read_csv_file(
    path: &Path,
    options: &CsvOptions,
) -> Result<(LazyFrame, u64, Lines, Option<Spool>), InputError> {
    let spool_error = |error: PolarsError| {
        InputError::new(path, format!("spooling to a scratch Parquet file: {error}"))
    };
    let mut held: Option<DataFrame> = None;
    let mut spooling: Option<SpoolWriter> = None;
    let mut rows = 0u64;
    let lines = read_records(path, options, options.in_memory, |frame| {
        rows += frame.height() as u64;
        let writer = match (&mut spooling, held.take()) {
            (Some(writer), _) => writer,
            (None, None) => {
                held = Some(frame);
                return Ok(());
            }
            (None, Some(first)) => {
                let mut writer = SpoolWriter::create(first.schema()).map_err(spool_error)?;
                writer.write(&first).map_err(spool_error)?;
                spooling.insert(writer)
            }
        };
        writer.write(&frame).map_err(spool_error)
    })?;
    match (spooling, held) {
        (Some(writer), _) => {
            let spool = writer.finish().map_err(spool_error)?;
            let scan = spool.scan().map_err(spool_error)?;
            Ok((scan, rows, lines, Some(spool)))
        }
        (None, Some(frame)) => Ok((frame.lazy(), rows, lines, None)),
        (None, None) => unreachable!("read_records gives at least one frame"),
    }
}

/// Reads the CSV file at `path` as a stream, as `options` say, and hands
/// its rows to `emit` as text columns, in frames of about `chunk_bytes` of
/// field text each (at least one frame, empty for a file without rows).
/// Returns the line each row starts on; a row that cannot be read is an
/// error at its line.
fn read_records(
    path: &Path,
    options: &CsvOptions,
    chunk_bytes: u64,
    mut emit: impl FnMut(DataFrame) -> Result<(), InputError>,
) -> Result<Lines, InputError> {
    let file = File::open(path).map_err(|error| InputError::new(path, error.to_string()))?;
    // Invalid UTF-8 is found by the csv reader, field by field.
    let text: Box<dyn Read> = if options.encoding == encoding_rs::UTF_8 {
        Box::new(file)
    } else {
        Box::new(Decoded::new(file, options.encoding))
    };
    // The csv crate's own line numbers skip blank lines; byte offsets are
    // exact, so lines are counted from them. Rows of another length are
    // refused below, at their line, naming what sets the length: the
    // header or the contract.
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(options.header)
        .delimiter(options.delimiter)
        .quote(options.quote)
        .from_reader(LineCounted::new(text));
    let names: Vec<String> = if options.header {
        let header = match reader.headers() {
            Ok(header) => header.clone(),
            Err(error) => return Err(csv_error(path, &error, None, reader.get_mut())),
        };
        let names: Vec<String> = header.iter().map(str::to_string).collect();
        let line = reader
            .get_mut()
            .line_at(header.position().map_or(0, |p| p.byte()));
        check_csv_header(path, &names, line, options.delimiter)?;
        names
    } else if options.names.is_empty() {
        return Err(InputError::new(
            path,
            "a file without a header needs its columns' names (the contract's)",
        ));
    } else {
        options.names.clone()
    };
    let builders = || -> Vec<StringChunkedBuilder> {
        names
            .iter()
            .map(|name| StringChunkedBuilder::new(name.as_str().into(), 0))
            .collect()
    };
    let finish = |columns: Vec<StringChunkedBuilder>| -> Result<DataFrame, InputError> {
        let columns: Vec<Column> = columns
            .into_iter()
            .map(|column| column.finish().into_column())
            .collect();
        DataFrame::new_infer_height(columns)
            .map_err(|error| InputError::new(path, error.to_string()))
    };
    let mut columns = builders();
    let (mut rows, mut rows_in_chunk, mut text_in_chunk) = (0u64, 0u64, 0u64);
    let mut emitted = false;
    let mut record = ::csv::StringRecord::new();
    let mut lines = Lines::default();
    let is_null = |field: &str| field.is_empty() || options.null_values.iter().any(|t| t == field);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record
                    .position()
                    .map(|position| reader.get_mut().line_at(position.byte()));
                if record.len() != names.len() {
                    let mut problem = InputError::new(
                        path,
                        format!(
                            "a row has {} fields where the {} has {}",
                            record.len(),
                            if options.header { "header" } else { "contract" },
                            names.len()
                        ),
                    );
                    problem.line = line;
                    return Err(problem);
                }
                if let Some(line) = line {
                    lines.push(rows, line);
                }
                for (column, field) in columns.iter_mut().zip(record.iter()) {
                    if is_null(field) {
                        column.append_null();
                    } else {
                        column.append_value(field);
                    }
                }
                rows += 1;
                rows_in_chunk += 1;
                text_in_chunk += record.as_byte_record().as_slice().len() as u64;
                if text_in_chunk >= chunk_bytes {
                    emit(finish(std::mem::replace(&mut columns, builders()))?)?;
                    (rows_in_chunk, text_in_chunk, emitted) = (0, 0, true);
                }
            }
            Err(error) => return Err(csv_error(path, &error, Some(&names), reader.get_mut())),
        }
    }
    if rows_in_chunk > 0 || !emitted {
        emit(finish(columns)?)?;
    }
    Ok(lines)
}

/// Refuses a header that cannot name a table's columns: none at all (an
/// empty file), one name twice, or one name that is the whole header
/// joined by another delimiter than `delimiter`.
fn check_csv_header(
    path: &Path,
    names: &[String],
    line: u64,
    delimiter: u8,
) -> Result<(), InputError> {
    let problem = |message: String| {
        let mut problem = InputError::new(path, message);
        problem.line = Some(line);
        problem
    };
    if names.iter().all(String::is_empty) {
        return Err(InputError::new(path, "the file has no header line"));
    }
    for (index, name) in names.iter().enumerate() {
        if let Some(again) = names[index + 1..].iter().position(|other| other == name) {
            let mut found = problem(format!(
                "the header names this column twice (fields {} and {})",
                index + 1,
                index + again + 2
            ));
            found.column = Some(name.clone());
            return Err(found);
        }
    }
    if let [only] = names
        && let Some(other) = [',', ';', '\t', '|']
            .into_iter()
            .find(|d| *d != delimiter as char && only.contains(*d))
    {
        return Err(problem(format!(
            "the header is one column holding `{}`: the file seems delimited by {other:?}, not {:?} (set the delimiter: `--delimiter`, or `files_delimiter`)",
            crate::report::escape_controls(only),
            delimiter as char
        )));
    }
    Ok(())
}

fn csv_error<R>(
    path: &Path,
    error: &::csv::Error,
    names: Option<&[String]>,
    lines: &mut LineCounted<R>,
) -> InputError {
    let mut problem = InputError::new(path, error.to_string());
    if let Some(position) = error.position() {
        problem.line = Some(lines.line_at(position.byte()));
    }
    match error.kind() {
        ::csv::ErrorKind::Io(io) => {
            if let Some(malformed) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<Malformed>())
            {
                problem.message = malformed.to_string();
                problem.line = Some(malformed.line);
            }
        }
        ::csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            problem.message = format!("a row has {len} fields where the header has {expected_len}");
        }
        ::csv::ErrorKind::Utf8 { err, .. } => {
            problem.column = names.and_then(|names| names.get(err.field())).cloned();
            problem.message = "the value is not valid UTF-8".into();
        }
        _ => {}
    }
    problem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delimiter_is_one_character_or_tab() {
        assert_eq!(one_byte("delimiter", "tab"), Ok(b'\t'));
        assert_eq!(one_byte("delimiter", "\\t"), Ok(b'\t'));
        assert_eq!(one_byte("delimiter", "|"), Ok(b'|'));
        for wrong in ["", "é", "||", "\n"] {
            assert!(one_byte("delimiter", wrong).is_err(), "{wrong:?}");
        }
    }
}
