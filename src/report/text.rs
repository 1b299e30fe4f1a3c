//! The report for a terminal: one line per check that did not simply pass,
//! with the first examples, in colour when asked.

use std::fmt::Write as _;

use super::{CheckResult, Report, Status, escape_controls};
use crate::Severity;

const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// How many examples the text rendering shows per check.
const EXAMPLES_SHOWN: usize = 3;

impl Report {
    /// The report as terminal text; `color` adds ANSI colours (pass it
    /// `std::io::stdout().is_terminal()`).
    pub fn render_text(&self, color: bool) -> String {
        let paint = |code: &str, text: &str| {
            if color {
                format!("{code}{text}{RESET}")
            } else {
                text.to_string()
            }
        };
        let mut out = String::new();
        let verdict = if self.passed {
            paint(GREEN, "PASSED")
        } else {
            paint(RED, "FAILED")
        };
        writeln!(
            out,
            "{} {} {verdict}: {} rows from {} in {:.0} ms{}",
            paint(BOLD, &escape_controls(&self.contract.name)),
            escape_controls(&self.contract.version),
            self.input.rows,
            escape_controls(&self.input.description),
            self.timings.total_ms,
            self.input
                .scanned()
                .map(|scanned| format!(", {scanned}"))
                .unwrap_or_default()
        )
        .unwrap();
        let s = &self.summary;
        writeln!(
            out,
            "  {} passed, {} failed (error), {} failed (warn), {} skipped",
            s.passed, s.failed_errors, s.failed_warnings, s.skipped
        )
        .unwrap();
        for check in self
            .checks
            .iter()
            .filter(|check| check.status != Status::Pass)
        {
            let (label, code) = match (check.status, check.severity) {
                (Status::Fail, Severity::Error) => ("FAIL ", RED),
                (Status::Fail, Severity::Warn) => ("WARN ", YELLOW),
                _ => ("SKIP ", DIM),
            };
            writeln!(
                out,
                "  {} {}",
                paint(code, label),
                escape_controls(&describe(check))
            )
            .unwrap();
            for example in check.examples.iter().take(EXAMPLES_SHOWN) {
                let location = escape_controls(&example.location()).into_owned();
                let values: Vec<String> = example
                    .values
                    .iter()
                    .map(|(column, value)| {
                        escape_controls(&format!("{column}={value}")).into_owned()
                    })
                    .collect();
                writeln!(
                    out,
                    "        {} {}",
                    paint(DIM, &location),
                    values.join(" ")
                )
                .unwrap();
            }
        }
        out
    }
}

/// `id: 3 rows (0.2%) fail; expected …; observed …; message`
fn describe(check: &CheckResult) -> String {
    let mut text = check.id.clone();
    if let Some(rows) = check.failing_rows.filter(|rows| *rows > 0) {
        let fraction = check.failing_fraction.unwrap_or(0.0) * 100.0;
        write!(text, ": {rows} rows ({fraction:.2}%) fail").unwrap();
    }
    if !check.expected.is_empty() {
        write!(text, "; expected {}", check.expected).unwrap();
    }
    if let Some(observed) = check.observed_text() {
        write!(text, "; observed {observed}").unwrap();
    }
    if let Some(message) = &check.message {
        write!(text, "; {message}").unwrap();
    }
    text
}
