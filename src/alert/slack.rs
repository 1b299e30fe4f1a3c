//! Slack: an incoming webhook, sent a Block Kit message.

use std::time::Duration;

use serde_json::{Value, json};

use super::http::JsonPost;
use super::{Alert, Channel, SendError};
use crate::Severity;
use crate::secrets::Secret;

/// Failed checks listed in the message; the rest are counted.
const CHECKS_SHOWN: usize = 10;
/// Slack's longest section text is 3,000 characters; a line is kept well
/// under it, and a whole section under it.
const LINE_CHARS: usize = 280;
const SECTION_CHARS: usize = 2900;
/// An error's characters shown; the report has all of them.
const ERROR_CHARS: usize = 1500;
/// Slack's longest header is 150 characters.
const HEADER_CHARS: usize = 150;

/// A Slack incoming webhook.
pub struct Slack {
    post: JsonPost,
}

impl Slack {
    /// The webhook at `url`.
    pub fn new(url: Secret, timeout: Duration) -> Result<Self, SendError> {
        Ok(Slack {
            post: JsonPost::new(url, timeout)?,
        })
    }
}

impl Channel for Slack {
    fn send(&self, alert: &Alert) -> Result<(), SendError> {
        let body = serde_json::to_vec(&message(alert)).expect("plain JSON");
        self.post.post(&body, &[])
    }
}

/// The Block Kit message of `alert`: the verdict as its header, the
/// pipeline, run and outcome, the error, the failed checks with their
/// counts and one example each, the drift, the promotion decision and
/// the report's link. `text` is the notification's fallback.
pub fn message(alert: &Alert) -> Value {
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": shortened(&alert.title(), HEADER_CHARS), "emoji": true}}),
        json!({"type": "section", "fields": [
            field("Pipeline", &code(&alert.pipeline)),
            field("Run", &code(&alert.run_id)),
            field("Environment", &code(&alert.environment)),
            field("Outcome", &escape(&alert.summary)),
        ]}),
    ];
    if let Some(error) = &alert.error {
        let error = escape(&shortened(error, ERROR_CHARS)).replace("```", "'''");
        blocks.push(section(&format!("*Error*\n```{error}```")));
    }
    if !alert.failed_checks.is_empty() {
        let mut lines: Vec<String> = alert
            .failed_checks
            .iter()
            .take(CHECKS_SHOWN)
            .map(|failed| {
                let mark = match failed.severity {
                    Severity::Error => ":x:",
                    Severity::Warn => ":warning:",
                };
                let count = match (&failed.rule, failed.failing_rows) {
                    (Some(rule), _) => escape(rule),
                    (None, Some(rows)) => format!("{rows} row(s)"),
                    (None, None) => "failed".into(),
                };
                let example = failed
                    .example
                    .as_ref()
                    .and_then(|values| serde_json::to_string(values).ok())
                    .map(|values| format!(", e.g. {}", code(&values)))
                    .unwrap_or_default();
                shortened(
                    &format!(
                        "{mark} {} {} ({} gate): {count}{example}",
                        code(&failed.table),
                        code(&failed.check),
                        failed.gate
                    ),
                    LINE_CHARS,
                )
            })
            .collect();
        let more = alert.failed_checks.len().saturating_sub(CHECKS_SHOWN);
        if more > 0 {
            lines.push(format!("…and {more} more in the report"));
        }
        blocks.push(section(&format!("*Failed checks*\n{}", lines.join("\n"))));
    }
    if !alert.drift.is_empty() {
        let lines: Vec<String> = alert
            .drift
            .iter()
            .map(|drift| {
                format!(
                    "{} {} {:.3} > {} ({:?})",
                    code(&drift.column),
                    drift.statistic,
                    drift.value,
                    drift.threshold,
                    drift.severity
                )
            })
            .collect();
        blocks.push(section(&format!("*Drift*\n{}", lines.join("\n"))));
    }
    if alert.rejected_records > 0 {
        blocks.push(section(&format!(
            "*Rejected records*: {} (all of them in `rejected.ndjson` beside the report)",
            alert.rejected_records
        )));
    }
    blocks.push(section(&format!(
        "*Promotion*: {}",
        escape(&alert.promotion)
    )));
    let report = match (&alert.report.url, &alert.report.location) {
        (Some(url), _) => format!("Report: <{}|report.html>", escape(url)),
        (None, Some(location)) => format!("Report: {}", code(location)),
        (None, None) => "No report was written".into(),
    };
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": report}]}));
    json!({"text": alert.title(), "blocks": blocks})
}

fn field(name: &str, value: &str) -> Value {
    json!({"type": "mrkdwn", "text": format!("*{name}*\n{value}")})
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": shortened(text, SECTION_CHARS)}})
}

/// `text` as inline code: escaped, its backticks made quotes.
fn code(text: &str) -> String {
    format!("`{}`", escape(text).replace('`', "'"))
}

/// `text` with the three characters Slack's mrkdwn reserves escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `text` cut to at most `limit` characters, an ellipsis marking the cut.
fn shortened(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(limit - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::run_report::FailedCheck;

    #[test]
    fn the_message_escapes_what_the_data_holds_and_stays_within_slacks_limits() {
        let mut alert = Alert::test("klines");
        alert.failed_checks = (0..25)
            .map(|n| FailedCheck {
                gate: "raw".into(),
                table: "t<able>".into(),
                check: format!("c{n}`x"),
                severity: Severity::Error,
                failing_rows: Some(n),
                example: Some(
                    [(
                        "v".to_string(),
                        serde_json::json!("<!channel> & ".repeat(50)),
                    )]
                    .into(),
                ),
                rule: None,
            })
            .collect();
        alert.error = Some("```".repeat(1000));
        let message = message(&alert);
        let blocks = message["blocks"].as_array().unwrap();
        let texts: Vec<&str> = blocks
            .iter()
            .filter_map(|block| block["text"]["text"].as_str())
            .collect();
        assert!(
            texts.iter().all(|text| text.chars().count() <= 3000),
            "{texts:?}"
        );
        let checks = texts
            .iter()
            .find(|t| t.starts_with("*Failed checks*"))
            .unwrap();
        assert!(
            !checks.contains("<!channel>"),
            "no mention escapes: {checks}"
        );
        assert!(checks.contains("&lt;!channel&gt; &amp;"), "{checks}");
        assert!(
            checks.contains("`c3'x`"),
            "a backtick cannot end the code span: {checks}"
        );
        assert!(checks.ends_with("…and 15 more in the report"), "{checks}");
    }
}
