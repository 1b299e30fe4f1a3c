//! The process's log lines on standard error: human text, or one JSON
//! object a line in the shape Google Cloud Logging reads from a
//! container's output (`--log-format json`). Either way every line passes
//! the secrets redactor first.
//!
//! A JSON line carries `severity` (from the tracing level), `message`,
//! `time`, the labels `logging.googleapis.com/labels` (the run id, the
//! pipeline and the stage, from the spans the line was logged in or the
//! event's own fields of those names), the
//! logging module as `target`, and the event's other fields under
//! `fields`.

use std::collections::BTreeMap;
use std::io::Write;

use clap::ValueEnum;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

use crate::secrets::RedactingStderr;

/// The span fields that become Cloud Logging labels.
const LABELS: &[&str] = &["run_id", "pipeline", "stage"];

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// Human text.
    #[default]
    Text,
    /// One JSON object a line, as Google Cloud Logging reads it.
    Json,
}

impl LogFormat {
    /// The format a command line asks for (`--log-format json` or
    /// `--log-format=json`), else `DATACONTRACT_LOG_FORMAT`'s, else text.
    /// Read before the command line is parsed, so that parsing's own
    /// errors are logged alike; clap checks the value itself.
    pub fn requested(args: &[std::ffi::OsString], variable: Option<String>) -> LogFormat {
        let mut from_args = None;
        let mut words = args.iter().map(|arg| arg.to_string_lossy());
        while let Some(word) = words.next() {
            if word == "--" {
                break;
            }
            if word == "--log-format" {
                from_args = words.next().map(|value| value.into_owned());
            } else if let Some(value) = word.strip_prefix("--log-format=") {
                from_args = Some(value.to_string());
            }
        }
        from_args
            .or(variable)
            .and_then(|value| LogFormat::from_str(&value, true).ok())
            .unwrap_or_default()
    }
}

/// Installs the process's logger: `format` lines on standard error,
/// filtered by `RUST_LOG` (default: warnings and errors).
pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // A logger already installed (a second call) stays: hence `is_ok`.
    let _installed = match format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(RedactingStderr)
            .try_init()
            .is_ok(),
        LogFormat::Json => tracing_subscriber::registry()
            .with(filter)
            .with(CloudLogging::new(RedactingStderr))
            .try_init()
            .is_ok(),
    };
}

/// Writes events as Cloud Logging JSON lines to `W`.
pub struct CloudLogging<W> {
    writer: std::sync::Mutex<W>,
}

impl<W: Write> CloudLogging<W> {
    /// A layer writing to `writer`, one whole line per write.
    pub fn new(writer: W) -> Self {
        CloudLogging {
            writer: std::sync::Mutex::new(writer),
        }
    }
}

/// A span's fields, kept for the events inside it.
struct SpanFields(BTreeMap<String, Value>);

impl<S, W> Layer<S> for CloudLogging<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: Write + 'static,
{
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        let mut fields = Fields::default();
        attributes.record(&mut fields);
        if let Some(span) = context.span(id) {
            span.extensions_mut().insert(SpanFields(fields.0));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, context: Context<'_, S>) {
        let Some(span) = context.span(id) else {
            return;
        };
        let mut fields = Fields::default();
        values.record(&mut fields);
        let mut extensions = span.extensions_mut();
        match extensions.get_mut::<SpanFields>() {
            Some(known) => known.0.extend(fields.0),
            None => extensions.insert(SpanFields(fields.0)),
        }
    }

    fn on_event(&self, event: &Event<'_>, context: Context<'_, S>) {
        let mut labels = Map::new();
        if let Some(scope) = context.event_scope(event) {
            // Outermost first, so an inner span's label wins.
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<SpanFields>() {
                    for label in LABELS {
                        if let Some(value) = fields.0.get(*label) {
                            labels.insert((*label).into(), Value::String(plain(value)));
                        }
                    }
                }
            }
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut fields = fields.0;
        let message = fields
            .remove("message")
            .map(|m| plain(&m))
            .unwrap_or_default();
        for label in LABELS {
            if let Some(value) = fields.remove(*label) {
                labels.insert((*label).into(), Value::String(plain(&value)));
            }
        }
        let mut line = Map::new();
        line.insert("severity".into(), severity(event.metadata().level()).into());
        line.insert("message".into(), message.into());
        line.insert(
            "time".into(),
            chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .into(),
        );
        if !labels.is_empty() {
            line.insert(
                "logging.googleapis.com/labels".into(),
                Value::Object(labels),
            );
        }
        line.insert("target".into(), event.metadata().target().into());
        if !fields.is_empty() {
            line.insert("fields".into(), Value::Object(fields.into_iter().collect()));
        }
        let mut text = Value::Object(line).to_string();
        text.push('\n');
        if let Ok(mut writer) = self.writer.lock() {
            let _ = writer.write_all(text.as_bytes());
        }
    }
}

/// Cloud Logging's severity of a tracing level.
fn severity(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARNING",
        Level::INFO => "INFO",
        Level::DEBUG | Level::TRACE => "DEBUG",
    }
}

/// A value as label text: strings without their quotes.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Collects fields as JSON values: numbers and booleans as themselves,
/// everything else as its text.
#[derive(Default)]
struct Fields(BTreeMap<String, Value>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::String(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().into(), Value::String(value.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test reads back.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn lines(captured: &Captured) -> Vec<Value> {
        String::from_utf8(captured.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).expect("every line is one JSON object"))
            .collect()
    }

    #[test]
    fn lines_carry_severity_message_and_the_spans_labels() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(CloudLogging::new(captured.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let _run = tracing::info_span!("run", run_id = "r-1", pipeline = "klines").entered();
            tracing::info!("outside any stage");
            let _stage = tracing::info_span!("stage", stage = "gate_raw").entered();
            tracing::error!(
                failing_checks = "dedup_key: 2 rows",
                rows = 7u64,
                "the raw gate failed"
            );
            tracing::warn!(stage = "promote", "a stage's own label wins");
        });
        let lines = lines(&captured);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["severity"], "INFO");
        assert_eq!(lines[0]["message"], "outside any stage");
        assert_eq!(
            lines[0]["logging.googleapis.com/labels"],
            serde_json::json!({"run_id": "r-1", "pipeline": "klines"})
        );
        assert_eq!(lines[1]["severity"], "ERROR");
        assert_eq!(lines[1]["message"], "the raw gate failed");
        assert_eq!(
            lines[1]["logging.googleapis.com/labels"]["stage"],
            "gate_raw"
        );
        assert_eq!(
            lines[1]["fields"],
            serde_json::json!({"failing_checks": "dedup_key: 2 rows", "rows": 7})
        );
        assert!(lines[1]["time"].as_str().unwrap().ends_with('Z'));
        assert_eq!(lines[2]["severity"], "WARNING");
        assert_eq!(
            lines[2]["logging.googleapis.com/labels"]["stage"],
            "promote"
        );
    }

    #[test]
    fn the_format_comes_from_the_flag_then_the_variable() {
        let args =
            |words: &[&str]| -> Vec<std::ffi::OsString> { words.iter().map(Into::into).collect() };
        let requested = LogFormat::requested;
        assert_eq!(
            requested(&args(&["contracts", "run"]), None),
            LogFormat::Text
        );
        assert_eq!(
            requested(&args(&["contracts", "--log-format", "json", "run"]), None),
            LogFormat::Json
        );
        assert_eq!(
            requested(
                &args(&["contracts", "run", "--log-format=json"]),
                Some("text".into())
            ),
            LogFormat::Json
        );
        assert_eq!(
            requested(&args(&["contracts", "run"]), Some("json".into())),
            LogFormat::Json
        );
        assert_eq!(
            requested(
                &args(&["contracts", "query", "--", "--log-format", "json"]),
                None
            ),
            LogFormat::Text
        );
    }
}
