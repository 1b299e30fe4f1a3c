//! CSV as people write it: R's and pandas' `NA`, semicolons, single
//! quotes, no header, Latin-1. The options every data tool has
//! ([`CsvOptions`]) decide how a file is read into text columns; the
//! contract's types are parsed from the text later, during validation.
//!
//! Each row keeps the line it starts on, blank lines and quoted line
//! breaks counted, so a value that does not fit is reported at its line.

use std::path::Path;

use encoding_rs::Encoding;
use polars::prelude::*;

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
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            null_values: Vec::new(),
            delimiter: b',',
            quote: b'"',
            header: true,
            names: Vec::new(),
            encoding: encoding_rs::UTF_8,
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
/// NULL.
pub fn read_csv(path: &Path, options: &CsvOptions) -> Result<DataFrame, InputError> {
    read_csv_with_lines(path, options).map(|(frame, _)| frame)
}

/// The file's bytes as UTF-8, decoded from `encoding` (a byte-order mark
/// that names another encoding wins); bytes that are not valid in it are
/// an error naming the line.
fn decode<'a>(
    path: &Path,
    bytes: &'a [u8],
    encoding: &'static Encoding,
) -> Result<std::borrow::Cow<'a, [u8]>, InputError> {
    if encoding == encoding_rs::UTF_8 {
        // Invalid UTF-8 is found by the reader, field by field.
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let (text, used, malformed) = encoding.decode(bytes);
    if malformed {
        let (_, valid) = used.decode_without_bom_handling(bytes);
        let line = text
            .split('\u{FFFD}')
            .next()
            .map_or(1, |before| before.matches('\n').count() as u64 + 1);
        let mut problem = InputError::new(
            path,
            format!(
                "the text is not valid {}{}",
                used.name(),
                if valid {
                    ""
                } else {
                    " (a byte has no character in it)"
                }
            ),
        );
        problem.line = Some(line);
        return Err(problem);
    }
    Ok(std::borrow::Cow::Owned(text.into_owned().into_bytes()))
}

/// [`read_csv`], with the line each row starts on.
pub(super) fn read_csv_with_lines(
    path: &Path,
    options: &CsvOptions,
) -> Result<(DataFrame, Lines), InputError> {
    let raw = std::fs::read(path).map_err(|error| InputError::new(path, error.to_string()))?;
    let bytes = decode(path, &raw, options.encoding)?;
    // The csv crate's own line numbers skip blank lines; byte offsets are
    // exact, so lines are counted from them.
    let mut counter = LineCounter::new(&bytes);
    // Rows of another length are refused below, at their line, naming
    // what sets the length: the header or the contract.
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(options.header)
        .delimiter(options.delimiter)
        .quote(options.quote)
        .from_reader(&bytes[..]);
    let names: Vec<String> = if options.header {
        let header = reader
            .headers()
            .map_err(|error| csv_error(path, &error, None, &mut counter))?
            .clone();
        let names: Vec<String> = header.iter().map(str::to_string).collect();
        check_csv_header(
            path,
            &names,
            counter.line_at(header.position().map_or(0, |p| p.byte())),
            options.delimiter,
        )?;
        names
    } else if options.names.is_empty() {
        return Err(InputError::new(
            path,
            "a file without a header needs its columns' names (the contract's)",
        ));
    } else {
        options.names.clone()
    };
    let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); names.len()];
    let mut record = ::csv::StringRecord::new();
    let mut lines = Lines::default();
    let is_null = |field: &str| field.is_empty() || options.null_values.iter().any(|t| t == field);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record
                    .position()
                    .map(|position| counter.line_at(position.byte()));
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
                    lines.push(columns.first().map_or(0, Vec::len) as u64, line);
                }
                for (values, field) in columns.iter_mut().zip(record.iter()) {
                    values.push((!is_null(field)).then(|| field.to_string()));
                }
            }
            Err(error) => return Err(csv_error(path, &error, Some(&names), &mut counter)),
        }
    }
    let series: Vec<Column> = names
        .iter()
        .zip(columns)
        .map(|(name, values)| Column::new(name.as_str().into(), values))
        .collect();
    let frame = DataFrame::new_infer_height(series)
        .map_err(|error| InputError::new(path, error.to_string()))?;
    Ok((frame, lines))
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

/// The 1-based line of byte offsets in a text, counted forward.
struct LineCounter<'a> {
    bytes: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            byte: 0,
            line: 1,
        }
    }

    /// The line of the record the csv crate says starts at `byte`: its
    /// offset points before the blank lines the record follows, so they
    /// are skipped first. (Offsets may come in any order.)
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut byte = (byte as usize).min(self.bytes.len());
        while self
            .bytes
            .get(byte)
            .is_some_and(|b| *b == b'\n' || *b == b'\r')
        {
            byte += 1;
        }
        if byte < self.byte {
            (self.byte, self.line) = (0, 1);
        }
        self.line += self.bytes[self.byte..byte]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.byte = byte;
        self.line
    }
}

fn csv_error(
    path: &Path,
    error: &::csv::Error,
    names: Option<&[String]>,
    lines: &mut LineCounter<'_>,
) -> InputError {
    let mut problem = InputError::new(path, error.to_string());
    if let Some(position) = error.position() {
        problem.line = Some(lines.line_at(position.byte()));
    }
    match error.kind() {
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
