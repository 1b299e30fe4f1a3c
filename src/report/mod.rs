//! The validation report: what was checked, what failed and why, with
//! examples. Serializable (its JSON Schema is [`Report::json_schema`]) and
//! rendered for people as text, Markdown and JUnit XML.

mod junit;
mod markdown;

pub(crate) use markdown::escape_cell;
mod text;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Severity;
pub use crate::check::CheckKind;

/// The version of the report's shape; bumped on any breaking change.
pub const REPORT_FORMAT: &str = "1";

/// The result of validating one input against one contract.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// The report's shape version, [`REPORT_FORMAT`].
    pub format: String,
    /// The contract checked against.
    pub contract: ContractId,
    /// What was validated.
    pub input: InputSummary,
    /// How long each phase took.
    pub timings: Timings,
    /// `true` when no error-severity check failed.
    pub passed: bool,
    /// Counts by status and severity.
    pub summary: Summary,
    /// One result per check, schema findings first.
    pub checks: Vec<CheckResult>,
    /// The valid and quarantined rows, when asked for (never serialized).
    #[serde(skip)]
    #[schemars(skip)]
    pub split: Option<Split>,
}

/// A contract's name and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContractId {
    /// The table name.
    pub name: String,
    /// The contract's version.
    pub version: String,
}

/// What was validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InputSummary {
    /// A description: the files read, or `in-memory frame`.
    pub description: String,
    /// The files read, with their row counts, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<SourceFile>,
    /// The number of rows validated.
    pub rows: u64,
    /// Pushed down: the bytes the validation's queries read, as the
    /// warehouse's dry runs estimated them before they ran (BigQuery; what
    /// on-demand pricing bills). Absent where the engine has no dry run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanned_bytes: Option<u64>,
}

impl InputSummary {
    /// `1.5 GiB scanned`: the warehouse's estimate of the bytes the
    /// validation read, for the renderings; `None` without one.
    pub fn scanned(&self) -> Option<String> {
        let bytes = self.scanned_bytes?;
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        let mut value = bytes as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit + 1 < units.len() {
            value /= 1024.0;
            unit += 1;
        }
        Some(match unit {
            0 => format!("{bytes} B scanned"),
            _ => format!("{value:.1} {} scanned", units[unit]),
        })
    }
}

/// One input file and how many rows it gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SourceFile {
    /// The path as given.
    pub path: String,
    /// Its row count.
    pub rows: u64,
    /// The 1-based line of its first data row (2 for a CSV with a header),
    /// so a row's line is `first_line + row - offset`, unless a jump says
    /// otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_line: Option<u64>,
    /// Where rows stop following lines one to one (after a blank line, or
    /// a quoted field over several lines): `[row, line]`, the row (counted
    /// in this file, from 0) and its line; the rows after it follow it
    /// line by line, until the next jump.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line_jumps: Vec<[u64; 2]>,
}

impl SourceFile {
    /// The 1-based line of the file's row `row` (counted from 0), when the
    /// file has lines.
    pub fn line_of(&self, row: u64) -> Option<u64> {
        let first = self.first_line?;
        let jump = self
            .line_jumps
            .partition_point(|[jump_row, _]| *jump_row <= row);
        Some(match jump {
            0 => first + row,
            after => {
                let [jump_row, line] = self.line_jumps[after - 1];
                line + row - jump_row
            }
        })
    }
}

/// Wall-clock time of each phase, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Timings {
    /// Schema conformance.
    pub schema_ms: f64,
    /// The single pass computing every check.
    pub checks_ms: f64,
    /// The bounded query fetching failing examples.
    pub examples_ms: f64,
    /// Splitting valid from quarantined rows, when asked for.
    pub split_ms: f64,
    /// Everything.
    pub total_ms: f64,
}

/// Counts of check results.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Checks that passed.
    pub passed: usize,
    /// Error-severity checks that failed.
    pub failed_errors: usize,
    /// Warn-severity checks that failed.
    pub failed_warnings: usize,
    /// Checks that could not run.
    pub skipped: usize,
}

/// Whether a check passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing failed.
    Pass,
    /// Something failed.
    Fail,
    /// The check could not run (see its message).
    Skipped,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckResult {
    /// The stable id, e.g. `high.range`, `dedup_key`, `rule.high_ge_low`.
    pub id: String,
    /// The columns it read.
    pub columns: Vec<String>,
    /// What it is about.
    pub kind: CheckKind,
    /// What a failure does.
    pub severity: Severity,
    /// Pass, fail or skipped.
    pub status: Status,
    /// Rows that failed (row-level checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_rows: Option<u64>,
    /// `failing_rows` over all rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_fraction: Option<f64>,
    /// What was measured (statistics, freshness, dedup details).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<serde_json::Value>,
    /// Whether `observed` came from an approximate aggregate (a warehouse's
    /// sketch of a quantile or a distinct count, on `approximate = true`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
    /// What was expected, in words: `> 0 and <= 5000`, `matches ^[A-Z]{3}$`.
    pub expected: String,
    /// Why a check failed or was skipped, when that needs words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Up to the configured number of failing rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Example>,
}

impl CheckResult {
    /// The observed value as reports print it, `≈ ` before an approximate
    /// number (not before a NULL: no value was estimated).
    pub fn observed_text(&self) -> Option<String> {
        let observed = self.observed.as_ref()?;
        Some(if self.approximate && observed.is_number() {
            format!("≈ {observed}")
        } else {
            observed.to_string()
        })
    }
}

/// One failing row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Example {
    /// The 0-based index of the row in the input; `None` for rows of a
    /// warehouse table, which have no order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// The file the row came from, when the input was files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The 1-based line in that file, for line-oriented formats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The offending values, by column.
    pub values: BTreeMap<String, serde_json::Value>,
}

impl Example {
    /// Where the row is, for people: `file:line`, `file, row N`, `row N`,
    /// or `-` for a warehouse row.
    pub fn location(&self) -> String {
        match (&self.file, self.line, self.row) {
            (Some(file), Some(line), _) => format!("{file}:{line}"),
            (Some(file), None, Some(row)) => format!("{file}, row {row}"),
            (_, _, Some(row)) => format!("row {row}"),
            (_, _, None) => "-".into(),
        }
    }
}

/// The input split by the row-level checks: rows failing any error-severity
/// row check are quarantined with the ids of every check they failed.
#[derive(Debug, Clone)]
pub struct Split {
    /// Rows that passed every error-severity row check.
    pub valid: polars::prelude::DataFrame,
    /// The other rows, with a `failed_checks` list column of check ids.
    pub quarantined: polars::prelude::DataFrame,
}

/// The name of the list column of check ids on quarantined rows.
pub const FAILED_CHECKS_COLUMN: &str = "failed_checks";

impl Report {
    /// The JSON Schema of the report's serialized form.
    pub fn json_schema() -> schemars::Schema {
        schemars::schema_for!(Report)
    }

    /// The results that failed with error severity.
    pub fn errors(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks
            .iter()
            .filter(|check| check.status == Status::Fail && check.severity == Severity::Error)
    }

    /// The result of the check `id`.
    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|check| check.id == id)
    }

    /// Counts results and sets the verdict: passed when no error-severity
    /// check failed.
    pub(crate) fn conclude(&mut self) {
        let mut summary = Summary::default();
        for check in &self.checks {
            match (check.status, check.severity) {
                (Status::Pass, _) => summary.passed += 1,
                (Status::Skipped, _) => summary.skipped += 1,
                (Status::Fail, Severity::Error) => summary.failed_errors += 1,
                (Status::Fail, Severity::Warn) => summary.failed_warnings += 1,
            }
        }
        self.passed = summary.failed_errors == 0;
        self.summary = summary;
    }

    /// Sets each example's file and line from the input's files.
    pub(crate) fn locate_examples(&mut self) {
        let files = self.input.files.clone();
        if files.is_empty() {
            return;
        }
        for example in self
            .checks
            .iter_mut()
            .flat_map(|check| check.examples.iter_mut())
        {
            let Some(row) = example.row else { continue };
            let mut offset = 0;
            for file in &files {
                if row < offset + file.rows {
                    example.file = Some(file.path.clone());
                    example.line = file.line_of(row - offset);
                    break;
                }
                offset += file.rows;
            }
        }
    }
}

/// Text safe for a terminal: every control character (an ANSI escape in a
/// CSV header, a carriage return in a value, a line break) is shown as its
/// escape (`\u{1b}`, `\r`, `\n`) instead of acting on the terminal.
pub(crate) fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// Text safe inside XML and HTML elements and attributes (control
/// characters XML forbids are dropped).
pub(crate) fn escape_markup(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanned_bytes_read_in_binary_units_and_absent_without_a_dry_run() {
        let input = |scanned_bytes| InputSummary {
            description: "table".into(),
            files: Vec::new(),
            rows: 1,
            scanned_bytes,
        };
        assert_eq!(input(None).scanned(), None);
        assert_eq!(input(Some(0)).scanned().unwrap(), "0 B scanned");
        assert_eq!(input(Some(1023)).scanned().unwrap(), "1023 B scanned");
        assert_eq!(input(Some(1536)).scanned().unwrap(), "1.5 KiB scanned");
        let ten_tib = 10u64 << 40;
        assert_eq!(input(Some(ten_tib)).scanned().unwrap(), "10.0 TiB scanned");
    }
}
