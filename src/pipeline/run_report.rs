//! The run report: every stage, both validation reports, the
//! reconciliations, the drift, the column profiles and the promotion
//! decision, with the configuration (secrets redacted) and the code's
//! version. Rendered as JSON, Markdown and a self-contained HTML page
//! ([`super::html`]), and as a one-screen terminal summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::config::Setting;
use super::profile::{ColumnProfile, DriftResult};
use super::reconcile::ReconciliationResult;
use super::run_id::RunId;
use super::source::Rejected;
use crate::Report;
use crate::alert::AlertDelivery;
use crate::report::escape_cell;
use crate::warehouse::Usage;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Both gates passed and production now holds the run's data.
    Promoted,
    /// The raw data failed an error-severity check; it stays in staging.
    StoppedAtRawGate,
    /// The processed data failed an error-severity check or expectation.
    StoppedAtProcessedGate,
    /// Something else failed (I/O, a service, a rolled-back promotion).
    Failed,
}

impl Outcome {
    /// A short phrase for people.
    pub fn describe(self) -> &'static str {
        match self {
            Outcome::Promoted => "promoted to production",
            Outcome::StoppedAtRawGate => "stopped at the raw gate",
            Outcome::StoppedAtProcessedGate => "stopped at the processed gate",
            Outcome::Failed => "failed",
        }
    }
}

/// How one stage went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    /// It did its job.
    Ok,
    /// It did its job, with warnings worth reading.
    Warn,
    /// It failed; later stages did not run.
    Failed,
    /// It did not run.
    Skipped,
}

impl StageStatus {
    /// A one-character mark for text and Markdown.
    pub fn icon(self) -> &'static str {
        match self {
            StageStatus::Ok => "✅",
            StageStatus::Warn => "⚠️",
            StageStatus::Failed => "❌",
            StageStatus::Skipped => "⏭️",
        }
    }
}

/// One stage of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageResult {
    /// The stage's name, e.g. `extract`, `gate_raw`.
    pub name: String,
    /// How it went.
    pub status: StageStatus,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How long it took.
    pub duration_ms: f64,
    /// Rows it read, when it reads rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_in: Option<u64>,
    /// Rows it produced, when it produces rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_out: Option<u64>,
    /// What happened, in one line.
    pub summary: String,
    /// Stage-specific facts: keys written, HTTP retries, tables loaded.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
    /// What the stage's warehouse queries cost, on an engine that bills
    /// by bytes (BigQuery), when it ran any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// The code that ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeVersion {
    /// The datacontract library's version.
    pub version: String,
    /// The commit, from `GIT_COMMIT_HASH` at build or run time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl CodeVersion {
    /// This build's version.
    pub fn current() -> Self {
        CodeVersion {
            version: env!("CARGO_PKG_VERSION").to_string(),
            commit: option_env!("GIT_COMMIT_HASH")
                .map(str::to_string)
                .or_else(|| std::env::var("GIT_COMMIT_HASH").ok())
                .filter(|hash| !hash.is_empty()),
        }
    }
}

/// Whether the run was promoted, and why (not).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Promotion {
    /// Whether production now holds the run's data.
    pub promoted: bool,
    /// Why, in words.
    pub reason: String,
    /// Production objects the promotion created.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<String>,
    /// Production tables it loaded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<String>,
}

/// Column profiles of the data the run produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profiles {
    /// The raw extract's columns.
    pub raw: Vec<ColumnProfile>,
    /// The processed table's columns.
    pub processed: Vec<ColumnProfile>,
}

/// Everything about one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    /// The run's id.
    pub run_id: RunId,
    /// The pipeline's name.
    pub pipeline: String,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// How it ended.
    pub outcome: Outcome,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What kind of failure it was, when it failed: `usage`, `input` or
    /// `service` (its exit code follows from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<super::FailureKind>,
    /// The code that ran.
    pub code: CodeVersion,
    /// The environment, e.g. `local`.
    pub environment: String,
    /// Every setting and where it came from; secrets redacted.
    pub configuration: BTreeMap<String, Setting>,
    /// The stages, in order.
    pub stages: Vec<StageResult>,
    /// Gate 1: the raw data against the raw contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_validation: Option<Report>,
    /// Gate 2: the processed data against the processed contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processed_validation: Option<Report>,
    /// Gate 2: expectations of the output relative to the input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reconciliation: Vec<ReconciliationResult>,
    /// Gate 2: drift of the processed columns against the last promoted run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftResult>,
    /// The run drift was measured against, if one had been promoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_reference: Option<RunId>,
    /// Per-column summaries of both tables.
    pub profiles: Profiles,
    /// How many records the extract rejected.
    pub rejected_count: u64,
    /// The first rejected records (all of them are in `rejected.ndjson`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Rejected>,
    /// The promotion decision.
    pub promotion: Promotion,
    /// The alerts sent about the run, and whether they arrived.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<AlertDelivery>,
    /// What all the run's warehouse queries cost, on an engine that bills
    /// by bytes (BigQuery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// A check or an expectation that failed, as alerts and logs tell it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedCheck {
    /// `raw` or `processed`.
    pub gate: String,
    /// The contract's table.
    pub table: String,
    /// The check's id (`dedup_key`, `high.range`), or `expectation {name}`.
    pub check: String,
    /// `error` failed the gate; `warn` did not.
    pub severity: crate::Severity,
    /// Rows that failed it, when it counts rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_rows: Option<u64>,
    /// The first failing row's checked values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<BTreeMap<String, serde_json::Value>>,
    /// An expectation's rule, with the values it compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl std::fmt::Display for FailedCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(rule) = &self.rule {
            return write!(f, "{}: {rule}", self.check);
        }
        write!(f, "{} {}", self.table, self.check)?;
        match self.failing_rows {
            Some(rows) => write!(f, ": {rows} row(s)")?,
            None => write!(f, ": failed")?,
        }
        if let Some(example) = &self.example {
            let values = serde_json::to_string(example).map_err(|_| std::fmt::Error)?;
            write!(f, ", e.g. {values}")?;
        }
        Ok(())
    }
}

impl RunReport {
    /// The stages that ran warehouse queries, each with what they cost,
    /// then `total`: the report's bytes table (empty on engines that do
    /// not bill by bytes).
    pub fn usage_by_stage(&self) -> Vec<(String, Usage)> {
        let Some(total) = self.usage else {
            return Vec::new();
        };
        self.stages
            .iter()
            .filter_map(|stage| stage.usage.map(|usage| (stage.name.clone(), usage)))
            .chain([("total".to_string(), total)])
            .collect()
    }

    /// A run that has not done anything yet: the outcome is `Failed`
    /// until a stage says otherwise.
    pub fn new(
        run_id: RunId,
        pipeline: &str,
        started_at: DateTime<Utc>,
        environment: &str,
        configuration: BTreeMap<String, Setting>,
    ) -> Self {
        RunReport {
            run_id,
            pipeline: pipeline.to_string(),
            started_at,
            finished_at: started_at,
            outcome: Outcome::Failed,
            error: None,
            failure: None,
            code: CodeVersion::current(),
            environment: environment.to_string(),
            configuration,
            stages: Vec::new(),
            usage: None,
            raw_validation: None,
            processed_validation: None,
            reconciliation: Vec::new(),
            drift: Vec::new(),
            drift_reference: None,
            profiles: Profiles::default(),
            rejected_count: 0,
            rejected: Vec::new(),
            promotion: Promotion {
                promoted: false,
                reason: "not reached".into(),
                ..Promotion::default()
            },
            alerts: Vec::new(),
        }
    }

    /// Records that `error` ended the run.
    pub fn record_failure(&mut self, error: &super::RunError) {
        self.outcome = Outcome::Failed;
        self.promotion.reason = format!("not promoted: the run failed ({error})");
        self.failure = Some(error.kind());
        self.error = Some(error.to_string());
    }

    /// Every failed check of both gates, then every failed expectation,
    /// of either severity, in the report's order.
    pub fn failed_checks(&self) -> Vec<FailedCheck> {
        let gates = [
            ("raw", &self.raw_validation),
            ("processed", &self.processed_validation),
        ];
        let checks = gates.into_iter().flat_map(|(gate, report)| {
            report.iter().flat_map(move |report| {
                report
                    .checks
                    .iter()
                    .filter(|check| check.status == crate::report::Status::Fail)
                    .map(move |check| FailedCheck {
                        gate: gate.into(),
                        table: report.contract.name.clone(),
                        check: check.id.clone(),
                        severity: check.severity,
                        failing_rows: check.failing_rows,
                        example: check.examples.first().map(|example| example.values.clone()),
                        rule: None,
                    })
            })
        });
        let processed = self
            .processed_validation
            .as_ref()
            .map(|report| report.contract.name.clone())
            .unwrap_or_default();
        let expectations = self
            .reconciliation
            .iter()
            .filter(|result| !result.passed)
            .map(|result| FailedCheck {
                gate: "processed".into(),
                table: processed.clone(),
                check: format!("expectation {}", result.name),
                severity: result.severity,
                failing_rows: None,
                example: None,
                rule: Some(result.rule.clone()),
            });
        checks.chain(expectations).collect()
    }

    /// What failed a gate, one line each, error severity only: the failing
    /// checks of both validations with their row counts and first example
    /// (`klines_raw dedup_key: 2 row(s), e.g. {"id":4}`), then the failing
    /// expectations. Empty when no gate failed on a check.
    pub fn gate_failures(&self) -> Vec<String> {
        self.failed_checks()
            .iter()
            .filter(|failed| failed.severity == crate::Severity::Error)
            .map(FailedCheck::to_string)
            .collect()
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the run report is plain data")
    }

    /// The report as GitHub-flavoured Markdown.
    pub fn render_markdown(&self) -> String {
        let mut out = String::new();
        let verdict = if self.outcome == Outcome::Promoted {
            "✅"
        } else {
            "❌"
        };
        writeln!(
            out,
            "# Run `{}` — {verdict} {}\n",
            self.run_id,
            self.outcome.describe()
        )
        .unwrap();
        writeln!(
            out,
            "Pipeline `{}` · environment `{}` · datacontract {}{} · {} → {}\n",
            self.pipeline,
            self.environment,
            self.code.version,
            self.code
                .commit
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default(),
            self.started_at.to_rfc3339(),
            self.finished_at.to_rfc3339()
        )
        .unwrap();
        if let Some(error) = &self.error {
            writeln!(out, "**Error:** {error}\n").unwrap();
        }
        writeln!(out, "**Promotion:** {}\n", self.promotion.reason).unwrap();
        writeln!(out, "## Stages\n").unwrap();
        writeln!(out, "| | stage | rows in | rows out | time | summary |").unwrap();
        writeln!(out, "|---|---|---:|---:|---:|---|").unwrap();
        for stage in &self.stages {
            writeln!(
                out,
                "| {} | {} | {} | {} | {:.0} ms | {} |",
                stage.status.icon(),
                stage.name,
                optional(stage.rows_in),
                optional(stage.rows_out),
                stage.duration_ms,
                escape_cell(&stage.summary)
            )
            .unwrap();
        }
        let usage = self.usage_by_stage();
        if !usage.is_empty() {
            writeln!(
                out,
                "\n## Warehouse bytes\n\n| stage | queries | dry runs' estimate | processed | billed |\n|---|---:|---:|---:|---:|"
            )
            .unwrap();
            for (stage, usage) in usage {
                writeln!(
                    out,
                    "| {stage} | {} | {} | {} | {} |",
                    usage.queries,
                    byte_size(usage.estimated_bytes),
                    byte_size(usage.processed_bytes),
                    byte_size(usage.billed_bytes)
                )
                .unwrap();
            }
        }
        if self.rejected_count > 0 {
            writeln!(
                out,
                "\n## Rejected records ({})\n\n| where | reason | record |\n|---|---|---|",
                self.rejected_count
            )
            .unwrap();
            for record in &self.rejected {
                writeln!(
                    out,
                    "| {} | {} | `{}` |",
                    record.location,
                    escape_cell(&record.reason),
                    escape_cell(&record.record).replace('`', "'")
                )
                .unwrap();
            }
        }
        for (title, report) in [
            ("Gate 1: raw", &self.raw_validation),
            ("Gate 2: processed", &self.processed_validation),
        ] {
            if let Some(report) = report {
                writeln!(out, "\n# {title}\n").unwrap();
                out.push_str(&report.render_markdown());
            }
        }
        if !self.reconciliation.is_empty() {
            writeln!(
                out,
                "\n## Expectations against the input\n\n| | expectation | input | output | rule |\n|---|---|---:|---:|---|"
            )
            .unwrap();
            for result in &self.reconciliation {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    if result.passed { "✅" } else { "❌" },
                    result.name,
                    result.input,
                    result.output,
                    result.rule
                )
                .unwrap();
            }
        }
        if !self.drift.is_empty() {
            writeln!(
                out,
                "\n## Drift against run `{}`\n\n| | column | statistic | value | threshold | severity |\n|---|---|---|---:|---:|---|",
                self.drift_reference
                    .as_ref()
                    .map(RunId::as_str)
                    .unwrap_or("-")
            )
            .unwrap();
            for drift in &self.drift {
                writeln!(
                    out,
                    "| {} | {} | {} | {:.4} | {} | {:?} |",
                    if drift.drifted { "⚠️" } else { "✅" },
                    drift.column,
                    drift.statistic,
                    drift.value,
                    drift.threshold,
                    drift.severity
                )
                .unwrap();
            }
        }
        if !self.alerts.is_empty() {
            writeln!(
                out,
                "\n## Alerts\n\n| | channel | told of | attempts | error |\n|---|---|---|---:|---|"
            )
            .unwrap();
            for alert in &self.alerts {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    if alert.delivered { "✅" } else { "❌" },
                    alert.channel,
                    alert.told_of(),
                    alert.attempts,
                    escape_cell(alert.error.as_deref().unwrap_or(""))
                )
                .unwrap();
            }
        }
        writeln!(
            out,
            "\n## Configuration\n\n| key | value | from |\n|---|---|---|"
        )
        .unwrap();
        for (key, setting) in &self.configuration {
            writeln!(out, "| {key} | `{}` | {} |", setting.value, setting.origin).unwrap();
        }
        out
    }

    /// A one-screen summary for the terminal, ending with where the report is.
    pub fn render_summary(&self, report_location: &str) -> String {
        let mut out = String::new();
        writeln!(out, "run {}: {}", self.run_id, self.outcome.describe()).unwrap();
        for stage in &self.stages {
            let rows = match (stage.rows_in, stage.rows_out) {
                (Some(i), Some(o)) => format!("{i} → {o} rows"),
                (None, Some(o)) => format!("{o} rows"),
                (Some(i), None) => format!("{i} rows"),
                (None, None) => String::new(),
            };
            writeln!(
                out,
                "  {:<7} {:<16} {:>8.0} ms  {:<22} {}",
                format!("{:?}", stage.status).to_lowercase(),
                stage.name,
                stage.duration_ms,
                rows,
                stage.summary
            )
            .unwrap();
        }
        for failed in self.failed_checks() {
            let severity = match failed.severity {
                crate::Severity::Error => "error",
                crate::Severity::Warn => "warning",
            };
            match &failed.rule {
                Some(rule) => writeln!(out, "  {} failed: {rule}", failed.check),
                None => writeln!(
                    out,
                    "  {} {}: {severity} failed{}",
                    failed.table,
                    failed.check,
                    failed
                        .failing_rows
                        .map(|n| format!(" on {n} row(s)"))
                        .unwrap_or_default()
                ),
            }
            .unwrap();
        }
        for drift in self.drift.iter().filter(|d| d.drifted) {
            writeln!(
                out,
                "  drift in {}: {} {:.3} > {}",
                drift.column, drift.statistic, drift.value, drift.threshold
            )
            .unwrap();
        }
        if let Some(error) = &self.error {
            writeln!(out, "  error: {error}").unwrap();
        }
        writeln!(out, "  promotion: {}", self.promotion.reason).unwrap();
        for alert in &self.alerts {
            match &alert.error {
                None => writeln!(
                    out,
                    "  alert: {} told of {}",
                    alert.channel,
                    alert.told_of()
                ),
                Some(error) => writeln!(out, "  alert: {} NOT delivered: {error}", alert.channel),
            }
            .unwrap();
        }
        writeln!(out, "report: {report_location}").unwrap();
        // Names, values and errors come from the data: no control
        // character of theirs reaches the terminal.
        out.lines()
            .map(|line| crate::report::escape_controls(line).into_owned() + "\n")
            .collect()
    }
}

fn optional(value: Option<u64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// `bytes` for people: `0 B`, `512 B`, `10.5 MB`, `1.2 TB` (decimal units,
/// as BigQuery prices them).
pub fn byte_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

#[cfg(test)]
mod tests {
    use super::byte_size;

    #[test]
    fn byte_sizes_read_as_bigquery_prices_them() {
        assert_eq!(byte_size(0), "0 B");
        assert_eq!(byte_size(999), "999 B");
        assert_eq!(byte_size(10_485_760), "10.5 MB");
        assert_eq!(byte_size(1_200_000_000_000), "1.2 TB");
        assert_eq!(byte_size(u64::MAX), "18446.7 PB");
    }
}
