//! The report as Markdown, for CI step summaries and pull requests.

use std::fmt::Write as _;

use super::{Report, Status};
use crate::Severity;

impl Report {
    /// The report as GitHub-flavoured Markdown: a verdict line, a table of
    /// every check, and the examples of the failures.
    pub fn render_markdown(&self) -> String {
        let mut out = String::new();
        let verdict = if self.passed {
            "✅ passed"
        } else {
            "❌ failed"
        };
        writeln!(
            out,
            "## `{}` {} — {verdict}\n",
            self.contract.name, self.contract.version
        )
        .unwrap();
        let s = &self.summary;
        writeln!(
            out,
            "{} rows from {} · {} passed · {} failed (error) · {} failed (warn) · {} skipped · {:.0} ms{}\n",
            self.input.rows,
            escape_cell(&self.input.description),
            s.passed,
            s.failed_errors,
            s.failed_warnings,
            s.skipped,
            self.timings.total_ms,
            self.input
                .scanned()
                .map(|scanned| format!(" · {scanned}"))
                .unwrap_or_default()
        )
        .unwrap();
        writeln!(
            out,
            "| | check | severity | failing rows | expected | observed |"
        )
        .unwrap();
        writeln!(out, "|---|---|---|---|---|---|").unwrap();
        for check in &self.checks {
            let icon = match (check.status, check.severity) {
                (Status::Pass, _) => "✅",
                (Status::Fail, Severity::Error) => "❌",
                (Status::Fail, Severity::Warn) => "⚠️",
                (Status::Skipped, _) => "⏭️",
            };
            let failing = check
                .failing_rows
                .map(|rows| rows.to_string())
                .unwrap_or_default();
            let observed = check.observed_text().unwrap_or_default();
            let observed = match &check.message {
                Some(message) if observed.is_empty() => message.clone(),
                _ => observed,
            };
            writeln!(
                out,
                "| {icon} | `{}` | {} | {failing} | {} | {} |",
                check.id,
                check.severity.name(),
                escape_cell(&check.expected),
                escape_cell(&observed)
            )
            .unwrap();
        }
        let failures: Vec<_> = self
            .checks
            .iter()
            .filter(|c| !c.examples.is_empty())
            .collect();
        if !failures.is_empty() {
            writeln!(out, "\n### Examples\n").unwrap();
        }
        for check in failures {
            writeln!(
                out,
                "<details><summary><code>{}</code></summary>\n",
                check.id
            )
            .unwrap();
            writeln!(out, "| row | location | values |").unwrap();
            writeln!(out, "|---|---|---|").unwrap();
            for example in &check.examples {
                let location = example.location();
                let values: Vec<String> = example
                    .values
                    .iter()
                    .map(|(column, value)| {
                        format!("`{column}` = {}", escape_cell(&value.to_string()))
                    })
                    .collect();
                writeln!(
                    out,
                    "| {} | {} | {} |",
                    example.row.map_or("-".to_string(), |row| row.to_string()),
                    escape_cell(&location),
                    values.join(", ")
                )
                .unwrap();
            }
            writeln!(out, "\n</details>\n").unwrap();
        }
        out
    }
}

/// Keeps a table cell in one piece: pipes escaped, newlines as spaces.
pub(crate) fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::escape_cell;

    #[test]
    fn a_cell_stays_one_cell_of_one_row() {
        assert_eq!(
            escape_cell("polars: column `a|b`\nnot found"),
            "polars: column `a\\|b` not found"
        );
    }
}
