//! Telling people how a run went: Slack, a signed webhook, e-mail.
//!
//! The policy is configuration: each channel lists the [`Trigger`]s it is
//! told of (a gate error, a gate warning, drift, a failed run, success).
//! A run that matches any of a channel's triggers sends that channel one
//! message holding everything ([`Alert`]), whatever else went wrong.
//!
//! Delivery never fails or blocks the run: each channel gets bounded
//! attempts, each bounded by a timeout, with backoff between them; the
//! channels are told in parallel; what happened is logged and recorded in
//! the run report ([`AlertDelivery`]). The webhook URLs and the SMTP
//! password are secrets ([`crate::secrets::SecretSource`]): read from a
//! file or a variable, never printed, and kept out of error messages.

mod email;
mod http;
mod message;
mod slack;
mod webhook;

use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::pipeline::config::{ConfigError, Layers, SettingSpec, is_private_url, setting};
use crate::pipeline::run_report::{Outcome, RunReport};
use crate::retry::RetryPolicy;
use crate::secrets::Secret;

pub use email::EmailSettings;
pub use message::{ALERT_SCHEMA_VERSION, Alert, ReportLink, Verdict};

/// An outcome of a run that a channel can be told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A gate failed on an error-severity check, expectation or drift, or
    /// on rejected records: nothing was promoted.
    GateError,
    /// A warn-severity check or expectation failed (the run went on).
    GateWarning,
    /// A column drifted past its threshold, whatever the severity.
    Drift,
    /// The run failed: a service, a failed promotion, unreadable input, a
    /// wrong configuration.
    Failure,
    /// The run promoted.
    Success,
}

impl Trigger {
    /// Every trigger, in the order the documentation lists them.
    pub const ALL: [Trigger; 5] = [
        Trigger::GateError,
        Trigger::GateWarning,
        Trigger::Drift,
        Trigger::Failure,
        Trigger::Success,
    ];

    /// Its name in configuration, e.g. `gate_error`.
    pub fn name(self) -> &'static str {
        match self {
            Trigger::GateError => "gate_error",
            Trigger::GateWarning => "gate_warning",
            Trigger::Drift => "drift",
            Trigger::Failure => "failure",
            Trigger::Success => "success",
        }
    }

    /// The triggers `report` matches.
    pub fn of(report: &RunReport) -> BTreeSet<Trigger> {
        let mut triggers = BTreeSet::new();
        triggers.insert(match report.outcome {
            Outcome::Promoted => Trigger::Success,
            Outcome::StoppedAtRawGate | Outcome::StoppedAtProcessedGate => Trigger::GateError,
            Outcome::Failed => Trigger::Failure,
        });
        if report
            .failed_checks()
            .iter()
            .any(|failed| failed.severity == crate::Severity::Warn)
        {
            triggers.insert(Trigger::GateWarning);
        }
        if report.drift.iter().any(|drift| drift.drifted) {
            triggers.insert(Trigger::Drift);
        }
        triggers
    }
}

impl FromStr for Trigger {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Trigger::ALL
            .into_iter()
            .find(|trigger| trigger.name() == text)
            .ok_or_else(|| {
                let names: Vec<_> = Trigger::ALL.iter().map(|t| t.name()).collect();
                format!("`{text}` is not one of {}", names.join(", "))
            })
    }
}

/// What every channel is told of unless its `alert_*_on` says otherwise.
const DEFAULT_TRIGGERS: &str = "gate_error,failure";

/// The alerts' settings, shared by every pipeline: in files and the
/// environment, with no flag.
pub const ALERT_SETTINGS: &[SettingSpec] = &[
    setting(
        "alert_slack_webhook_env",
        "DATACONTRACT_ALERT_SLACK_WEBHOOK_ENV",
        None,
        "the environment variable holding a Slack incoming-webhook URL; Slack is told when it (or the file) is set",
    )
    .without_flag(),
    setting(
        "alert_slack_webhook_file",
        "DATACONTRACT_ALERT_SLACK_WEBHOOK_FILE",
        None,
        "a file holding the Slack incoming-webhook URL (a mounted secret); wins over the variable",
    )
    .without_flag(),
    setting(
        "alert_slack_on",
        "DATACONTRACT_ALERT_SLACK_ON",
        Some(DEFAULT_TRIGGERS),
        "what Slack is told of: any of `gate_error`, `gate_warning`, `drift`, `failure`, `success`",
    )
    .without_flag(),
    setting(
        "alert_webhook_url_env",
        "DATACONTRACT_ALERT_WEBHOOK_URL_ENV",
        None,
        "the environment variable holding the URL the signed JSON run summary is POSTed to; the webhook is told when it (or the file) is set",
    )
    .without_flag(),
    setting(
        "alert_webhook_url_file",
        "DATACONTRACT_ALERT_WEBHOOK_URL_FILE",
        None,
        "a file holding the webhook's URL (a mounted secret); wins over the variable",
    )
    .without_flag(),
    setting(
        "alert_webhook_secret_env",
        "DATACONTRACT_ALERT_WEBHOOK_SECRET_ENV",
        None,
        "the environment variable holding the key the webhook's body is signed with (HMAC-SHA256)",
    )
    .without_flag(),
    setting(
        "alert_webhook_secret_file",
        "DATACONTRACT_ALERT_WEBHOOK_SECRET_FILE",
        None,
        "a file holding the webhook's signing key (a mounted secret); wins over the variable",
    )
    .without_flag(),
    setting(
        "alert_webhook_on",
        "DATACONTRACT_ALERT_WEBHOOK_ON",
        Some(DEFAULT_TRIGGERS),
        "what the webhook is told of (as `alert_slack_on`)",
    )
    .without_flag(),
    setting(
        "alert_smtp_host",
        "DATACONTRACT_ALERT_SMTP_HOST",
        None,
        "the SMTP server e-mail alerts go through, always with STARTTLS; e-mail is sent when it is set",
    )
    .without_flag(),
    setting(
        "alert_smtp_port",
        "DATACONTRACT_ALERT_SMTP_PORT",
        Some("587"),
        "the SMTP server's submission port",
    )
    .without_flag(),
    setting(
        "alert_smtp_username",
        "DATACONTRACT_ALERT_SMTP_USERNAME",
        None,
        "the SMTP user, when the server asks for a login",
    )
    .without_flag(),
    setting(
        "alert_smtp_password_env",
        "DATACONTRACT_ALERT_SMTP_PASSWORD_ENV",
        None,
        "the environment variable holding the SMTP password",
    )
    .without_flag(),
    setting(
        "alert_smtp_password_file",
        "DATACONTRACT_ALERT_SMTP_PASSWORD_FILE",
        None,
        "a file holding the SMTP password (a mounted secret); wins over the variable",
    )
    .without_flag(),
    setting(
        "alert_smtp_ca_file",
        "DATACONTRACT_ALERT_SMTP_CA_FILE",
        None,
        "PEM certificates to trust for the SMTP server's TLS, besides the system's",
    )
    .without_flag(),
    setting(
        "alert_email_from",
        "DATACONTRACT_ALERT_EMAIL_FROM",
        None,
        "the sender, e.g. `Pipelines <pipelines@example.com>`",
    )
    .without_flag(),
    setting(
        "alert_email_to",
        "DATACONTRACT_ALERT_EMAIL_TO",
        None,
        "the recipients, comma-separated",
    )
    .without_flag(),
    setting(
        "alert_email_on",
        "DATACONTRACT_ALERT_EMAIL_ON",
        Some(DEFAULT_TRIGGERS),
        "what e-mail is told of (as `alert_slack_on`)",
    )
    .without_flag(),
    setting(
        "alert_report_url",
        "DATACONTRACT_ALERT_REPORT_URL",
        None,
        "a URL the store's folders are served under: alerts link `{url}/runs/{run_id}/report.html` (otherwise a `gs://` report links to the Cloud console, a local one gives its path)",
    )
    .without_flag(),
    setting(
        "alert_timeout_seconds",
        "DATACONTRACT_ALERT_TIMEOUT_SECONDS",
        Some("10"),
        "how long one delivery attempt may take",
    )
    .without_flag(),
    setting(
        "alert_attempts",
        "DATACONTRACT_ALERT_ATTEMPTS",
        Some("3"),
        "attempts per channel, the first included, with backoff between them",
    )
    .without_flag(),
];

/// The alerts' configuration: the channels, and how delivery behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSettings {
    /// The configured channels, each with what it is told of.
    pub channels: Vec<ChannelSettings>,
    /// The URL reports are served under, if any.
    pub report_url: Option<String>,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// Attempts per channel, the first included.
    pub attempts: u32,
}

impl Default for AlertSettings {
    /// No channel.
    fn default() -> Self {
        AlertSettings {
            channels: Vec::new(),
            report_url: None,
            timeout: Duration::from_secs(10),
            attempts: 3,
        }
    }
}

/// One channel and the triggers it is told of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSettings {
    /// Where the message goes.
    pub channel: ChannelKind,
    /// What it is told of.
    pub triggers: BTreeSet<Trigger>,
}

/// A channel and its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind {
    /// A Slack incoming webhook.
    Slack {
        /// The webhook's URL (a secret: whoever has it can post).
        url: Secret,
    },
    /// An HTTP endpoint that receives the signed JSON run summary.
    Webhook {
        /// The endpoint.
        url: Secret,
        /// The HMAC-SHA256 key.
        key: Secret,
    },
    /// E-mail over SMTP with STARTTLS.
    Email(EmailSettings),
}

impl ChannelKind {
    /// The channel's name in reports and logs.
    pub fn name(&self) -> &'static str {
        match self {
            ChannelKind::Slack { .. } => "slack",
            ChannelKind::Webhook { .. } => "webhook",
            ChannelKind::Email(_) => "email",
        }
    }
}

impl AlertSettings {
    /// The alerts `layers` configure; a channel is configured by its
    /// address (a webhook URL's file or variable, an SMTP host). A secret
    /// the settings point to must be there now, not at the first alert.
    pub fn from_layers(layers: &Layers) -> Result<Self, ConfigError> {
        let mut channels = Vec::new();
        let slack = layers.secret("alert_slack_webhook");
        if slack.is_set() {
            let url = secret_url(layers, &slack)?;
            channels.push(ChannelSettings {
                channel: ChannelKind::Slack { url },
                triggers: triggers(layers, "alert_slack_on")?,
            });
        }
        let webhook = layers.secret("alert_webhook_url");
        if webhook.is_set() {
            let url = secret_url(layers, &webhook)?;
            let key = required_secret(layers, &layers.secret("alert_webhook_secret"))?;
            channels.push(ChannelSettings {
                channel: ChannelKind::Webhook { url, key },
                triggers: triggers(layers, "alert_webhook_on")?,
            });
        }
        if let Some(email) = EmailSettings::from_layers(layers)? {
            channels.push(ChannelSettings {
                channel: ChannelKind::Email(email),
                triggers: triggers(layers, "alert_email_on")?,
            });
        }
        let report_url = match layers.get("alert_report_url") {
            Some(setting)
                if !(setting.value.starts_with("https://")
                    || setting.value.starts_with("http://")) =>
            {
                return Err(layers.invalid("alert_report_url", "not an http:// or https:// URL"));
            }
            Some(setting) => Some(setting.value.trim_end_matches('/').to_string()),
            None => None,
        };
        Ok(AlertSettings {
            channels,
            report_url,
            timeout: Duration::from_secs(bounded(layers, "alert_timeout_seconds", 1..=300)?),
            attempts: bounded(layers, "alert_attempts", 1..=10)? as u32,
        })
    }

    fn retry(&self) -> RetryPolicy {
        RetryPolicy {
            attempts: self.attempts,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(5),
        }
    }
}

/// The secret `source` points to, which must be there.
fn required_secret(
    layers: &Layers,
    source: &crate::secrets::SecretSource,
) -> Result<Secret, ConfigError> {
    source
        .require()
        .map_err(|message| layers.invalid(&source.setting(), message))
}

/// The URL `source` points to, which must be there and keep its secret
/// path private on the way. The URL itself is never quoted: it is the
/// secret.
fn secret_url(
    layers: &Layers,
    source: &crate::secrets::SecretSource,
) -> Result<Secret, ConfigError> {
    let url = required_secret(layers, source)?;
    if !is_private_url(url.expose()) {
        return Err(layers.invalid(
            &source.setting(),
            "the URL it holds is not https:// (http:// only to this machine): the URL is a secret, and must not cross a network in the clear",
        ));
    }
    Ok(url)
}

/// The triggers `key` lists.
fn triggers(layers: &Layers, key: &str) -> Result<BTreeSet<Trigger>, ConfigError> {
    layers
        .list(key)?
        .iter()
        .map(|name| name.parse().map_err(|message| layers.invalid(key, message)))
        .collect()
}

/// The whole number `key` holds, within `range`.
fn bounded(
    layers: &Layers,
    key: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    layers
        .required(key)?
        .value
        .parse::<u64>()
        .ok()
        .filter(|value| range.contains(value))
        .ok_or_else(|| {
            layers.invalid(
                key,
                format!(
                    "not a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })
}

/// What became of one channel's alert: recorded in the run report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertDelivery {
    /// `slack`, `webhook` or `email`.
    pub channel: String,
    /// The triggers it was told of.
    pub triggers: Vec<Trigger>,
    /// Whether the channel took the message.
    pub delivered: bool,
    /// Attempts made.
    pub attempts: u32,
    /// Why the last attempt failed, when the alert did not arrive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl AlertDelivery {
    /// The triggers, comma-separated, e.g. `gate_error, drift`.
    pub fn told_of(&self) -> String {
        let names: Vec<&str> = self.triggers.iter().map(|trigger| trigger.name()).collect();
        names.join(", ")
    }
}

/// Why one attempt to send failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// What went wrong (never with a secret in it).
    pub message: String,
    /// Whether another attempt may succeed (a timeout, a lost connection,
    /// HTTP 429 or 5xx, an SMTP 4xx).
    pub transient: bool,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A place alerts go: one implementation per kind of channel.
pub trait Channel: Send + Sync {
    /// Sends `alert` once; the caller retries what is transient.
    fn send(&self, alert: &Alert) -> Result<(), SendError>;
}

impl ChannelKind {
    /// The channel, ready to send, its attempts bounded by `timeout`.
    fn open(&self, timeout: Duration) -> Result<Box<dyn Channel>, SendError> {
        Ok(match self {
            ChannelKind::Slack { url } => Box::new(slack::Slack::new(url.clone(), timeout)?),
            ChannelKind::Webhook { url, key } => {
                Box::new(webhook::Webhook::new(url.clone(), key.clone(), timeout)?)
            }
            ChannelKind::Email(settings) => Box::new(email::Email::new(settings, timeout)?),
        })
    }
}

/// Tells every channel whose triggers `report` matches, once each, in
/// parallel, and says what became of each. `location` is where the
/// report's HTML page is (`None` when the run could not write one).
pub fn notify(
    settings: &AlertSettings,
    report: &RunReport,
    location: Option<&str>,
) -> Vec<AlertDelivery> {
    let matched = Trigger::of(report);
    let due: Vec<(&ChannelSettings, Vec<Trigger>)> = settings
        .channels
        .iter()
        .filter_map(|channel| {
            let triggers: Vec<Trigger> = channel.triggers.intersection(&matched).copied().collect();
            (!triggers.is_empty()).then_some((channel, triggers))
        })
        .collect();
    if due.is_empty() {
        return Vec::new();
    }
    let link = ReportLink::new(location, settings.report_url.as_deref(), &report.run_id);
    let alert = Alert::of_run(report, matched.into_iter().collect(), link);
    deliver(settings, &due, &alert)
}

/// Sends a sample alert through every configured channel, whatever its
/// triggers: `contracts alert test`.
pub fn send_test(settings: &AlertSettings, pipeline: &str) -> Vec<AlertDelivery> {
    let alert = Alert::test(pipeline);
    let due: Vec<(&ChannelSettings, Vec<Trigger>)> = settings
        .channels
        .iter()
        .map(|channel| (channel, Vec::new()))
        .collect();
    deliver(settings, &due, &alert)
}

/// Sends `alert` to each of `due`, each channel on its own thread, with
/// retries; logs and returns what became of each.
fn deliver(
    settings: &AlertSettings,
    due: &[(&ChannelSettings, Vec<Trigger>)],
    alert: &Alert,
) -> Vec<AlertDelivery> {
    let retry = settings.retry();
    std::thread::scope(|scope| {
        let sending: Vec<_> = due
            .iter()
            .map(|(channel, triggers)| {
                scope.spawn(move || {
                    let name = channel.channel.name();
                    let (outcome, attempts) = match channel.channel.open(settings.timeout) {
                        Ok(open) => retry.run_counting(
                            &format!("alert via {name}"),
                            || open.send(alert),
                            |error| error.transient,
                        ),
                        Err(error) => (Err(error), 0),
                    };
                    let delivery = AlertDelivery {
                        channel: name.to_string(),
                        triggers: triggers.clone(),
                        delivered: outcome.is_ok(),
                        attempts,
                        error: outcome
                            .err()
                            .map(|error| crate::secrets::redact(&error.message).into_owned()),
                    };
                    match &delivery.error {
                        None => tracing::info!(channel = name, attempts, "alert delivered"),
                        Some(error) => tracing::error!(
                            channel = name,
                            attempts,
                            %error,
                            "alert not delivered; the run goes on"
                        ),
                    }
                    delivery
                })
            })
            .collect();
        sending
            .into_iter()
            .zip(due)
            .map(|(thread, (channel, triggers))| {
                thread.join().unwrap_or_else(|_| AlertDelivery {
                    channel: channel.channel.name().to_string(),
                    triggers: triggers.clone(),
                    delivered: false,
                    attempts: 0,
                    error: Some("the sending thread panicked".into()),
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::RunId;
    use crate::pipeline::config::{Catalogue, Origin};
    use crate::pipeline::profile::DriftResult;
    use crate::pipeline::reconcile::ReconciliationResult;

    fn report(outcome: Outcome) -> RunReport {
        let at = chrono::Utc::now();
        let mut report = RunReport::new(RunId::new(at), "klines", at, "test", Default::default());
        report.outcome = outcome;
        report
    }

    fn drift(drifted: bool) -> DriftResult {
        DriftResult {
            column: "close".into(),
            statistic: "psi".into(),
            value: if drifted { 0.4 } else { 0.01 },
            threshold: 0.2,
            severity: crate::Severity::Warn,
            drifted,
        }
    }

    #[test]
    fn the_readme_lists_every_alert_setting_as_declared() {
        let readme = include_str!("../../README.md");
        let table = crate::pipeline::config::settings_table(ALERT_SETTINGS);
        assert!(
            readme.contains(&table),
            "README.md's alert settings table differs from ALERT_SETTINGS; it should read:\n{table}"
        );
    }

    #[test]
    fn a_run_matches_its_outcome_and_what_it_warned_of() {
        let names = |report: &RunReport| -> Vec<&str> {
            Trigger::of(report).into_iter().map(Trigger::name).collect()
        };
        assert_eq!(names(&report(Outcome::Promoted)), ["success"]);
        assert_eq!(names(&report(Outcome::Failed)), ["failure"]);
        assert_eq!(names(&report(Outcome::StoppedAtRawGate)), ["gate_error"]);

        let mut warned = report(Outcome::Promoted);
        warned.drift = vec![drift(false)];
        assert_eq!(names(&warned), ["success"], "drift within its threshold");
        warned.drift.push(drift(true));
        warned.reconciliation.push(ReconciliationResult {
            name: "hours_preserved".into(),
            description: String::new(),
            input: 24.0,
            output: 23.0,
            rule: "output = input (23 ≠ 24)".into(),
            severity: crate::Severity::Warn,
            passed: false,
        });
        assert_eq!(names(&warned), ["gate_warning", "drift", "success"]);
        let alert = Alert::of_run(
            &warned,
            Trigger::of(&warned).into_iter().collect(),
            ReportLink::default(),
        );
        assert_eq!(alert.verdict, Verdict::Warning);
        assert_eq!(alert.drift.len(), 1, "only what drifted");
        assert_eq!(alert.failed_checks[0].check, "expectation hours_preserved");
    }

    #[test]
    fn a_gs_report_links_to_the_console_unless_a_report_url_is_set() {
        let run = RunId::new(chrono::Utc::now());
        let gs = format!("gs://bucket/runs/{run}/report.html");
        let link = ReportLink::new(Some(&gs), None, &run);
        assert_eq!(
            link.url.unwrap(),
            format!("https://storage.cloud.google.com/bucket/runs/{run}/report.html")
        );
        let served = ReportLink::new(Some(&gs), Some("https://reports.example.com/store"), &run);
        assert_eq!(
            served.url.unwrap(),
            format!("https://reports.example.com/store/runs/{run}/report.html")
        );
        assert_eq!(
            ReportLink::new(Some("data/runs/x/report.html"), None, &run).url,
            None
        );
    }

    /// The alert settings of `local.toml` = `toml`.
    fn settings(toml: &str) -> Result<AlertSettings, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("local.toml"), toml).unwrap();
        let layers = Layers::load(&Catalogue::default(), dir.path(), None, &|_| None).unwrap();
        AlertSettings::from_layers(&layers)
    }

    /// A file holding `text`, kept as long as the folder.
    fn secret_file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    #[test]
    fn channels_come_from_their_addresses_and_their_policies() {
        assert_eq!(settings("").unwrap().channels, []);
        let secrets = tempfile::tempdir().unwrap();
        let slack = secret_file(
            &secrets,
            "slack",
            "https://hooks.slack.com/services/T/B/x\n",
        );
        let hook = secret_file(&secrets, "hook", "https://alerts.example.com/datacontract");
        let key = secret_file(&secrets, "key", "k");
        let configured = settings(&format!(
            "alert_slack_webhook_file = \"{slack}\"\nalert_slack_on = [\"drift\", \"failure\"]\n\
             alert_webhook_url_file = \"{hook}\"\nalert_webhook_secret_file = \"{key}\"\n\
             alert_smtp_host = \"smtp.example.com\"\nalert_email_from = \"p@example.com\"\n\
             alert_email_to = \"a@example.com,b@example.com\"\nalert_attempts = 4\n"
        ))
        .unwrap();
        let kinds: Vec<&str> = configured
            .channels
            .iter()
            .map(|c| c.channel.name())
            .collect();
        assert_eq!(kinds, ["slack", "webhook", "email"]);
        assert_eq!(
            configured.channels[0].triggers,
            BTreeSet::from([Trigger::Drift, Trigger::Failure])
        );
        assert_eq!(
            configured.channels[1].triggers,
            BTreeSet::from([Trigger::GateError, Trigger::Failure]),
            "the default"
        );
        let ChannelKind::Slack { url } = &configured.channels[0].channel else {
            unreachable!()
        };
        assert_eq!(url.expose(), "https://hooks.slack.com/services/T/B/x");
        assert!(
            !format!("{configured:?}").contains("hooks.slack.com"),
            "{configured:?}"
        );
        assert_eq!(configured.attempts, 4);
    }

    #[test]
    fn a_wrong_alert_setting_is_refused_by_name_without_its_secret() {
        let secrets = tempfile::tempdir().unwrap();
        let plain = secret_file(
            &secrets,
            "plain",
            "http://alerts.example.com/hook-secret-path",
        );
        let https = secret_file(&secrets, "https", "https://alerts.example.com/hook");
        for (toml, key, says) in [
            (
                format!("alert_slack_webhook_file = \"{plain}\"\n"),
                "alert_slack_webhook_file",
                "not https://",
            ),
            (
                "alert_slack_webhook_env = \"DATACONTRACT_TEST_NEVER_SET\"\n".to_string(),
                "alert_slack_webhook_env",
                "DATACONTRACT_TEST_NEVER_SET, which is not set",
            ),
            (
                format!("alert_webhook_url_file = \"{https}\"\n"),
                "alert_webhook_secret_env",
                "set `alert_webhook_secret_env`",
            ),
            (
                format!("alert_slack_webhook_file = \"{https}\"\nalert_slack_on = \"gate_eror\"\n"),
                "alert_slack_on",
                "`gate_eror` is not one of gate_error, gate_warning, drift, failure, success",
            ),
            (
                "alert_email_to = \"a@example.com\"\n".to_string(),
                "alert_email_to",
                "need `alert_smtp_host`",
            ),
            (
                "alert_smtp_host = \"smtp.example.com\"\nalert_email_from = \"p@example.com\"\nalert_email_to = \"not an address\"\n".to_string(),
                "alert_email_to",
                "is not an e-mail address",
            ),
            (
                "alert_timeout_seconds = 0\n".to_string(),
                "alert_timeout_seconds",
                "from 1 to 300",
            ),
        ] {
            let error = settings(&toml).unwrap_err();
            assert_eq!(error.key, key, "{error}");
            assert!(matches!(error.origin, Origin::File(_)) || key.ends_with("_env"), "{error}");
            assert!(error.message.contains(says), "{error}");
            assert!(!error.to_string().contains("hook-secret-path"), "{error}");
        }
    }
}
