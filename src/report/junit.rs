//! The report as JUnit XML, one testcase per check, for CI test viewers.
//! Error-severity failures are `<failure>`s; warnings pass with the finding
//! in `<system-out>`; skipped checks are `<skipped>`.

use std::fmt::Write as _;

use super::escape_markup;
use super::{Report, Status};
use crate::Severity;

impl Report {
    /// The report as a JUnit XML document.
    pub fn render_junit(&self) -> String {
        let name = escape_markup(&self.contract.name);
        let seconds = self.timings.total_ms / 1000.0;
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        writeln!(
            out,
            "<testsuites name=\"datacontract\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{seconds:.3}\">",
            self.checks.len(),
            self.summary.failed_errors,
            self.summary.skipped
        )
        .unwrap();
        writeln!(
            out,
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{seconds:.3}\">",
            self.checks.len(),
            self.summary.failed_errors,
            self.summary.skipped
        )
        .unwrap();
        for check in &self.checks {
            write!(
                out,
                "    <testcase classname=\"{name}\" name=\"{}\"",
                escape_markup(&check.id)
            )
            .unwrap();
            let detail = escape_markup(&finding(check));
            match (check.status, check.severity) {
                (Status::Pass, _) => out.push_str("/>\n"),
                (Status::Fail, Severity::Error) => writeln!(
                    out,
                    ">\n      <failure type=\"{}\" message=\"{detail}\">{detail}</failure>\n    </testcase>",
                    check.kind.name()
                )
                .unwrap(),
                (Status::Fail, Severity::Warn) => writeln!(
                    out,
                    ">\n      <system-out>warning: {detail}</system-out>\n    </testcase>"
                )
                .unwrap(),
                (Status::Skipped, _) => writeln!(
                    out,
                    ">\n      <skipped message=\"{detail}\"/>\n    </testcase>"
                )
                .unwrap(),
            }
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}

fn finding(check: &super::CheckResult) -> String {
    let mut text = String::new();
    if let Some(rows) = check.failing_rows {
        write!(text, "{rows} failing rows; ").unwrap();
    }
    write!(text, "expected {}", check.expected).unwrap();
    if let Some(observed) = check.observed_text() {
        write!(text, "; observed {observed}").unwrap();
    }
    if let Some(message) = &check.message {
        write!(text, "; {message}").unwrap();
    }
    for example in check.examples.iter().take(3) {
        let values = serde_json::to_string(&example.values).unwrap_or_default();
        write!(text, "; {}: {values}", example.location()).unwrap();
    }
    text
}
