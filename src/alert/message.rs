//! The one message a channel is sent about a run: the run summary. The
//! webhook sends it as JSON (its shape is versioned by
//! [`ALERT_SCHEMA_VERSION`] and documented in the README); Slack and
//! e-mail render it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Trigger;
use crate::pipeline::FailureKind;
use crate::pipeline::RunId;
use crate::pipeline::profile::DriftResult;
use crate::pipeline::run_report::{FailedCheck, Outcome, RunReport};
use crate::secrets::redact;

/// The version of the JSON shape of [`Alert`]: a field removed or changed
/// in meaning makes a new version; a field added does not.
pub const ALERT_SCHEMA_VERSION: u32 = 1;

/// The verdict on a run, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Promoted, nothing to look at.
    Passed,
    /// Promoted, with warnings or drift.
    Warning,
    /// Not promoted: a gate stopped it, or the run failed.
    Failed,
    /// A sample sent by `contracts alert test`.
    Test,
}

impl Verdict {
    /// A mark for titles.
    pub fn icon(self) -> &'static str {
        match self {
            Verdict::Passed => "✅",
            Verdict::Warning => "⚠️",
            Verdict::Failed => "❌",
            Verdict::Test => "🔔",
        }
    }
}

/// Where a run's report is, for people to open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportLink {
    /// Where the HTML page is written: a path, or a `gs://` URI.
    pub location: Option<String>,
    /// A web address that opens it, when one is known.
    pub url: Option<String>,
}

impl ReportLink {
    /// The link to the report at `location`: under `report_url` when the
    /// store is served there, through the Cloud console's authenticated
    /// object URL for a `gs://` one, else none.
    pub fn new(location: Option<&str>, report_url: Option<&str>, run_id: &RunId) -> Self {
        let url = match (report_url, location) {
            (Some(base), _) => Some(format!("{base}/runs/{run_id}/report.html")),
            (None, Some(location)) => location
                .strip_prefix("gs://")
                .map(|object| format!("https://storage.cloud.google.com/{object}")),
            (None, None) => None,
        };
        ReportLink {
            location: location.map(str::to_string),
            url,
        }
    }
}

/// Everything one channel is told about a run, in one message.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    /// [`ALERT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The verdict.
    pub verdict: Verdict,
    /// The pipeline.
    pub pipeline: String,
    /// The run.
    pub run_id: String,
    /// The environment, e.g. `production`.
    pub environment: String,
    /// How the run ended (none for a test).
    pub outcome: Option<Outcome>,
    /// The outcome in words, e.g. `stopped at the raw gate`.
    pub summary: String,
    /// Every trigger the run matched.
    pub triggers: Vec<Trigger>,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// The failed checks and expectations, errors and warnings, each with
    /// its count and first example.
    pub failed_checks: Vec<FailedCheck>,
    /// The columns that drifted past their threshold.
    pub drift: Vec<DriftResult>,
    /// Records the extract rejected.
    pub rejected_records: u64,
    /// Why the run failed, when it did.
    pub error: Option<String>,
    /// What kind of failure it was: `usage`, `input` or `service`.
    pub failure: Option<FailureKind>,
    /// The promotion decision, in words.
    pub promotion: String,
    /// Where the full report is.
    pub report: ReportLink,
    /// The full report as Markdown: the body of an e-mail.
    #[serde(skip)]
    pub markdown: String,
}

impl Alert {
    /// The alert about `report`, which matched `triggers`; every text
    /// redacted.
    pub fn of_run(report: &RunReport, triggers: Vec<Trigger>, link: ReportLink) -> Self {
        let failed_checks = report.failed_checks();
        let drift: Vec<DriftResult> = report.drift.iter().filter(|d| d.drifted).cloned().collect();
        let verdict = match report.outcome {
            Outcome::Promoted if failed_checks.is_empty() && drift.is_empty() => Verdict::Passed,
            Outcome::Promoted => Verdict::Warning,
            _ => Verdict::Failed,
        };
        let mut markdown = report.render_markdown();
        if let Some(location) = &link.location {
            markdown = format!(
                "Report: {}\n\n{markdown}",
                link.url.as_deref().unwrap_or(location)
            );
        }
        Alert {
            schema_version: ALERT_SCHEMA_VERSION,
            verdict,
            pipeline: report.pipeline.clone(),
            run_id: report.run_id.to_string(),
            environment: report.environment.clone(),
            outcome: Some(report.outcome),
            summary: report.outcome.describe().to_string(),
            triggers,
            started_at: report.started_at,
            finished_at: report.finished_at,
            failed_checks,
            drift,
            rejected_records: report.rejected_count,
            error: report
                .error
                .as_deref()
                .map(|error| redact(error).into_owned()),
            failure: report.failure,
            promotion: redact(&report.promotion.reason).into_owned(),
            report: link,
            markdown: redact(&markdown).into_owned(),
        }
    }

    /// A sample alert for `contracts alert test`: no run behind it.
    pub fn test(pipeline: &str) -> Self {
        let now = Utc::now();
        let summary = "a test alert from `contracts alert test`: the channel is wired";
        Alert {
            schema_version: ALERT_SCHEMA_VERSION,
            verdict: Verdict::Test,
            pipeline: pipeline.to_string(),
            run_id: RunId::new(now).to_string(),
            environment: String::new(),
            outcome: None,
            summary: summary.into(),
            triggers: Vec::new(),
            started_at: now,
            finished_at: now,
            failed_checks: Vec::new(),
            drift: Vec::new(),
            rejected_records: 0,
            error: None,
            failure: None,
            promotion: "no run: nothing was promoted".into(),
            report: ReportLink::default(),
            markdown: format!(
                "# Test alert\n\nPipeline `{pipeline}`: {summary}. Real alerts carry the run's Markdown report here.\n"
            ),
        }
    }

    /// The title: verdict, pipeline, outcome, e.g.
    /// `❌ klines: stopped at the raw gate`.
    pub fn title(&self) -> String {
        format!(
            "{} {}: {}",
            self.verdict.icon(),
            self.pipeline,
            self.summary
        )
    }
}
