//! `contracts check` findings as text, JSON, JUnit XML and Markdown.

use std::fmt::Write as _;

use super::{Area, CheckReport, Finding, Level};
use crate::report::{escape_cell, escape_markup as xml};

const AREAS: [Area; 4] = [
    Area::Artifacts,
    Area::Compatibility,
    Area::Warehouse,
    Area::Data,
];

impl Area {
    fn name(self) -> &'static str {
        match self {
            Area::Artifacts => "artifacts",
            Area::Compatibility => "compatibility",
            Area::Warehouse => "warehouse",
            Area::Data => "data",
        }
    }
}

impl Finding {
    /// `table.column` or `table`.
    fn place(&self) -> String {
        match &self.column {
            Some(column) => format!("{}.{column}", self.table),
            None => self.table.clone(),
        }
    }
}

impl CheckReport {
    fn error_count(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.level == Level::Error)
            .count()
    }

    /// For people: one line per finding with its fix, diffs below, and a
    /// verdict.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for finding in &self.findings {
            let mark = match finding.level {
                Level::Error => "error",
                Level::Info => "info",
            };
            writeln!(
                out,
                "{mark}: {} [{}/{}]: {}\n  fix: {}",
                finding.place(),
                finding.area.name(),
                finding.rule,
                finding.message,
                finding.fix
            )
            .unwrap();
            if let Some(diff) = &finding.diff {
                for line in diff.lines() {
                    writeln!(out, "  {line}").unwrap();
                }
            }
        }
        let errors = self.error_count();
        writeln!(
            out,
            "contracts check: {} table(s) against {}: {}",
            self.tables.len(),
            self.against,
            if errors == 0 {
                "ok".to_string()
            } else {
                format!("{errors} error(s)")
            }
        )
        .unwrap();
        out
    }

    /// As JSON.
    pub fn render_json(&self) -> String {
        format!(
            "{}\n",
            serde_json::to_string_pretty(self).expect("plain data")
        )
    }

    /// As JUnit XML: a test suite per table, a test case per area, failing
    /// when the area has an error.
    pub fn render_junit(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let failures = self
            .tables
            .iter()
            .flat_map(|table| AREAS.map(|area| (table, area)))
            .filter(|(table, area)| {
                self.findings
                    .iter()
                    .any(|f| &&f.table == table && f.area == *area && f.level == Level::Error)
            })
            .count();
        writeln!(
            out,
            "<testsuites name=\"contracts check\" tests=\"{}\" failures=\"{failures}\">",
            self.tables.len() * AREAS.len()
        )
        .unwrap();
        for table in &self.tables {
            writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\">",
                xml(table),
                AREAS.len()
            )
            .unwrap();
            for area in AREAS {
                let errors: Vec<&Finding> = self
                    .findings
                    .iter()
                    .filter(|f| &f.table == table && f.area == area && f.level == Level::Error)
                    .collect();
                write!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{}\"",
                    xml(table),
                    area.name()
                )
                .unwrap();
                let Some(first) = errors.first() else {
                    out.push_str("/>\n");
                    continue;
                };
                // One failure per test case, every finding in its text.
                let details: Vec<String> = errors
                    .iter()
                    .map(|finding| {
                        format!(
                            "{} [{}]: {}\nfix: {}{}",
                            finding.place(),
                            finding.rule,
                            finding.message,
                            finding.fix,
                            finding
                                .diff
                                .as_deref()
                                .map(|d| format!("\n{d}"))
                                .unwrap_or_default()
                        )
                    })
                    .collect();
                writeln!(
                    out,
                    ">\n      <failure type=\"{}\" message=\"{} finding(s); first: {}\">{}</failure>\n    </testcase>",
                    xml(&first.rule),
                    errors.len(),
                    xml(&first.message),
                    xml(&details.join("\n\n"))
                )
                .unwrap();
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }

    /// As Markdown, for GitHub's step summary.
    pub fn render_markdown(&self) -> String {
        let mut out = String::new();
        let verdict = if self.failed() {
            "❌ failed"
        } else {
            "✅ passed"
        };
        writeln!(
            out,
            "## contracts check — {verdict}\n\n{} table(s) against `{}`\n",
            self.tables.len(),
            self.against
        )
        .unwrap();
        if self.findings.is_empty() {
            out.push_str("No findings.\n");
            return out;
        }
        out.push_str("| | where | rule | finding | fix |\n|---|---|---|---|---|\n");
        for finding in &self.findings {
            writeln!(
                out,
                "| {} | `{}` | {}/{} | {} | {} |",
                if finding.level == Level::Error {
                    "❌"
                } else {
                    "ℹ️"
                },
                finding.place(),
                finding.area.name(),
                finding.rule,
                escape_cell(&finding.message),
                escape_cell(&finding.fix)
            )
            .unwrap();
        }
        for finding in self.findings.iter().filter(|f| f.diff.is_some()) {
            writeln!(
                out,
                "\n<details><summary>{}: {}</summary>\n\n```diff\n{}```\n</details>",
                finding.place(),
                finding.message,
                finding.diff.as_deref().unwrap_or_default()
            )
            .unwrap();
        }
        out
    }
}
