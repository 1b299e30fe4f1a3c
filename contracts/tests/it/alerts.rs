//! Alerts from `contracts run` and `contracts alert test`, sent to real
//! receivers on 127.0.0.1 (scripts/alert_receivers.py: an HTTP server that
//! checks the webhook's signature and can answer 500 or hang, and an
//! aiosmtpd SMTP server that requires STARTTLS). scripts/test.sh installs
//! aiosmtpd and the receivers' certificate (scripts/python_tools.sh); without
//! them these tests fail.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

use crate::support::runs::{contracts, text, workdir};

const WEBHOOK_KEY: &str = "whsec-alert-test-key-5c1d";
const SMTP_PASSWORD: &str = "alert-test-password";

fn variable(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run the tests with scripts/test.sh, which installs the alert receivers' Python (scripts/python_tools.sh)"
        )
    })
}

/// The receivers of one test, recording into their own folder; stopped
/// when dropped (their standard input closes).
struct Receivers {
    child: Child,
    record: PathBuf,
    http: u16,
    smtp: u16,
}

impl Receivers {
    fn start(dir: &Path) -> Self {
        let tls = PathBuf::from(variable("DATACONTRACT_ALERT_TLS"));
        let record = dir.join("received");
        std::fs::create_dir_all(&record).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/alert_receivers.py");
        let mut child = Command::new(variable("DATACONTRACT_TEST_PYTHON"))
            .arg(script)
            .arg("--record")
            .arg(&record)
            .args(["--secret", WEBHOOK_KEY])
            .arg("--cert")
            .arg(tls.join("server.pem"))
            .arg("--key")
            .arg(tls.join("server.key"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the alert receivers start");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ports: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("the receivers did not start: {line:?}"));
        Receivers {
            child,
            record,
            http: ports["http"].as_u64().unwrap() as u16,
            smtp: ports["smtp"].as_u64().unwrap() as u16,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http)
    }

    fn records(&self, file: &str) -> Vec<Value> {
        std::fs::read_to_string(self.record.join(file))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// The HTTP requests to paths starting with `prefix`.
    fn requests(&self, prefix: &str) -> Vec<Value> {
        self.records("http.ndjson")
            .into_iter()
            .filter(|request| request["path"].as_str().unwrap().starts_with(prefix))
            .collect()
    }

    fn mails(&self) -> Vec<Value> {
        self.records("smtp.ndjson")
    }

    /// The settings of all three channels: Slack at `slack`, the webhook
    /// at `webhook` (paths on the HTTP receiver), e-mail through the SMTP
    /// receiver; the secrets in variables and files, as in production.
    fn env(&self, dir: &Path, slack: &str, webhook: &str) -> Vec<(String, String)> {
        let key_file = dir.join("webhook-key");
        std::fs::write(&key_file, format!("{WEBHOOK_KEY}\n")).unwrap();
        let password_file = dir.join("smtp-password");
        std::fs::write(&password_file, SMTP_PASSWORD).unwrap();
        let ca = Path::new(&variable("DATACONTRACT_ALERT_TLS")).join("ca.pem");
        [
            (
                "DATACONTRACT_ALERT_SLACK_WEBHOOK_ENV",
                "TEST_SLACK_URL".into(),
            ),
            ("TEST_SLACK_URL", self.url(slack)),
            (
                "DATACONTRACT_ALERT_WEBHOOK_URL_ENV",
                "TEST_WEBHOOK_URL".into(),
            ),
            ("TEST_WEBHOOK_URL", self.url(webhook)),
            (
                "DATACONTRACT_ALERT_WEBHOOK_SECRET_FILE",
                key_file.display().to_string(),
            ),
            ("DATACONTRACT_ALERT_SMTP_HOST", "127.0.0.1".into()),
            ("DATACONTRACT_ALERT_SMTP_PORT", self.smtp.to_string()),
            ("DATACONTRACT_ALERT_SMTP_USERNAME", "datacontract".into()),
            (
                "DATACONTRACT_ALERT_SMTP_PASSWORD_FILE",
                password_file.display().to_string(),
            ),
            ("DATACONTRACT_ALERT_SMTP_CA_FILE", ca.display().to_string()),
            (
                "DATACONTRACT_ALERT_EMAIL_FROM",
                "Pipelines <pipelines@example.com>".into(),
            ),
            (
                "DATACONTRACT_ALERT_EMAIL_TO",
                "oncall@example.com, data-team@example.com".into(),
            ),
            ("DATACONTRACT_ALERT_TIMEOUT_SECONDS", "2".into()),
            ("DATACONTRACT_ALERT_ATTEMPTS", "2".into()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_string(), value))
        .collect()
    }
}

impl Drop for Receivers {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// `env` with `extra` added or replacing.
fn with(env: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = env
        .iter()
        .filter(|(key, _)| !extra.iter().any(|(k, _)| k == key))
        .cloned()
        .collect();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

fn run(dir: &Path, args: &[&str], env: &[(String, String)]) -> Output {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    contracts(dir, args, &env)
}

/// `contracts run` on `file`.
fn run_files(dir: &Path, file: &str, env: &[(String, String)]) -> Output {
    let args = ["run", "--quiet", "--source", "files", "--files", file];
    run(dir, &args, env)
}

/// The report.json of the run whose summary is `output`'s.
fn report_of(dir: &Path, output: &Output) -> Value {
    let summary = text(&output.stdout);
    let html = summary
        .lines()
        .last()
        .and_then(|line| line.strip_prefix("report: "))
        .unwrap_or_else(|| panic!("no report line in {summary}\n{}", text(&output.stderr)));
    let json = std::fs::read(dir.join(html).with_file_name("report.json")).unwrap();
    serde_json::from_slice(&json).unwrap()
}

fn body(request: &Value) -> Value {
    serde_json::from_str(request["body"].as_str().unwrap()).unwrap()
}

/// Two raw klines as CSV, the second opening at a negative price: the raw
/// gate's `open.range` fails on it.
fn bad_klines(dir: &Path) -> PathBuf {
    let csv = dir.join("bad.csv");
    std::fs::write(
        &csv,
        "open_time,open,high,low,close,volume,close_time,quote_asset_volume,number_of_trades,taker_buy_base_asset_volume,taker_buy_quote_asset_volume,symbol,interval\n\
         2024-03-01T00:00:00Z,62000,62010,61990,62005,1.5,2024-03-01T00:00:59.999Z,93000,10,0.5,31000,BTCUSDT,1m\n\
         2024-03-01T00:01:00Z,-5,62010,61990,62005,1.5,2024-03-01T00:01:59.999Z,93000,10,0.5,31000,BTCUSDT,1m\n",
    )
    .unwrap();
    csv
}

/// Asserts no secret of the channels is in `text`.
fn assert_no_secret(text: &str, receivers: &Receivers) {
    for secret in [
        WEBHOOK_KEY,
        SMTP_PASSWORD,
        &receivers.url("/ok/slack"),
        &receivers.url("/ok/webhook"),
    ] {
        assert!(!text.contains(secret), "a secret ({secret}) leaked: {text}");
    }
}

#[test]
fn a_raw_gate_error_tells_each_channel_once_with_everything() {
    let dir = workdir("alerts-gate");
    let receivers = Receivers::start(&dir);
    let env = receivers.env(&dir, "/ok/slack", "/ok/webhook");
    let csv = bad_klines(&dir);
    let output = run_files(&dir, csv.to_str().unwrap(), &env);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report = report_of(&dir, &output);
    let run_id = report["run_id"].as_str().unwrap();
    let location = text(&output.stdout)
        .lines()
        .last()
        .unwrap()
        .strip_prefix("report: ")
        .unwrap()
        .to_string();

    // Slack: one Block Kit message.
    let slack = receivers.requests("/ok/slack");
    assert_eq!(slack.len(), 1, "{slack:?}");
    let message = body(&slack[0]);
    let blocks = message["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    let header = blocks[0]["text"]["text"].as_str().unwrap();
    assert!(
        header.starts_with("❌") && header.contains("stopped at the raw gate"),
        "{header}"
    );
    let all = message.to_string();
    assert!(all.contains(&format!("`{run_id}`")), "{all}");
    assert!(
        all.contains("`binance_btcusdt_spot`"),
        "the pipeline: {all}"
    );
    assert!(
        all.contains("`raw_binance_btcusdt_spot` `open.range` (raw gate): 1 row(s), e.g. `{"),
        "{all}"
    );
    assert!(
        all.contains(r#"e.g. `{\"open\":\"-5.000000000\"}`"#),
        "the example: {all}"
    );
    assert!(all.contains(&location), "the report's path: {all}");
    assert_eq!(message["text"], header, "the notification's fallback");

    // The webhook: the versioned run summary, signed.
    let hooks = receivers.requests("/ok/webhook");
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(hooks[0]["signature_valid"], true, "{:?}", hooks[0]);
    assert_eq!(hooks[0]["headers"]["x-datacontract-delivery"], run_id);
    let summary = body(&hooks[0]);
    assert_eq!(summary["schema_version"], 1);
    assert_eq!(summary["verdict"], "failed");
    assert_eq!(summary["outcome"], "stopped_at_raw_gate");
    assert_eq!(summary["run_id"], run_id);
    // The bar at -5 also fails a warn-severity rule: one message says all.
    assert_eq!(
        summary["triggers"],
        serde_json::json!(["gate_error", "gate_warning"])
    );
    let failed = &summary["failed_checks"][0];
    assert_eq!(failed["check"], "open.range", "{summary}");
    assert_eq!(failed["gate"], "raw");
    assert_eq!(failed["severity"], "error");
    assert_eq!(failed["failing_rows"], 1);
    assert_eq!(failed["example"]["open"], "-5.000000000", "{failed}");
    assert_eq!(summary["report"]["location"], location.as_str());

    // E-mail: over STARTTLS, logged in, the Markdown report as its body.
    let mails = receivers.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert_eq!(
        (&mail["tls"], &mail["authenticated"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
    assert_eq!(
        mail["rcpt_tos"],
        serde_json::json!(["oncall@example.com", "data-team@example.com"])
    );
    let data = mail["data"].as_str().unwrap();
    assert!(data.contains("Subject: "), "{data}");
    assert!(data.contains(&format!("# Run `{run_id}`")), "{data}");
    assert!(data.contains("open.range"), "{data}");

    // The report records each delivery.
    let alerts = report["alerts"].as_array().unwrap();
    let channels: Vec<&str> = alerts
        .iter()
        .map(|a| a["channel"].as_str().unwrap())
        .collect();
    assert_eq!(channels, ["slack", "webhook", "email"]);
    assert!(
        alerts
            .iter()
            .all(|a| a["delivered"] == true && a["attempts"] == 1),
        "{alerts:?}"
    );

    // No secret anywhere the tool writes.
    assert_no_secret(&text(&output.stdout), &receivers);
    assert_no_secret(&text(&output.stderr), &receivers);
    for file in ["report.json", "report.md", "report.html"] {
        let written = std::fs::read_to_string(dir.join(&location).with_file_name(file)).unwrap();
        assert_no_secret(&written, &receivers);
    }
}

#[test]
fn the_policy_decides_which_channel_hears_of_what() {
    let dir = workdir("alerts-policy");
    let receivers = Receivers::start(&dir);
    let env = with(
        &receivers.env(&dir, "/flaky/slack", "/ok/webhook"),
        &[
            ("DATACONTRACT_ALERT_SLACK_ON", "success"),
            ("DATACONTRACT_ALERT_EMAIL_ON", "gate_warning"),
        ],
    );

    // The bundled sample promotes with warnings (duplicates, a bar with
    // high < low): Slack hears of the success, e-mail of the warnings, the
    // webhook (gate errors and failures) of nothing.
    let output = run(&dir, &["run", "--quiet"], &env);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let slack = receivers.requests("/flaky/slack");
    assert_eq!(slack.len(), 2, "a 503 first, then delivered: {slack:?}");
    let header = body(&slack[1])["blocks"][0]["text"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        header.starts_with("⚠️") && header.contains("promoted to production"),
        "{header}"
    );
    assert!(receivers.requests("/ok/webhook").is_empty());
    let mails = receivers.mails();
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0]["data"].as_str().unwrap().contains("dedup_key"),
        "{}",
        mails[0]["data"]
    );
    let alerts = report_of(&dir, &output)["alerts"].clone();
    assert_eq!(alerts[0]["channel"], "slack");
    assert_eq!(alerts[0]["triggers"], serde_json::json!(["success"]));
    assert_eq!(alerts[0]["attempts"], 2);
    assert_eq!(alerts[1]["channel"], "email");
    assert_eq!(alerts[1]["triggers"], serde_json::json!(["gate_warning"]));

    // A run that fails inside (an input file that is not there): the
    // webhook hears of the failure, with the error.
    let output = run_files(&dir, "missing.csv", &env);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let hooks = receivers.requests("/ok/webhook");
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    let summary = body(&hooks[0]);
    assert_eq!(summary["outcome"], "failed");
    assert_eq!(summary["failure"], "input");
    assert!(
        summary["error"].as_str().unwrap().contains("missing.csv"),
        "{summary}"
    );

    // A run that cannot even open its store: no report, still an alert.
    std::fs::write(dir.join("not-a-folder"), "").unwrap();
    let output = run(
        &dir,
        &["run", "--quiet", "--data-dir", "not-a-folder/data"],
        &env,
    );
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let hooks = receivers.requests("/ok/webhook");
    assert_eq!(hooks.len(), 2, "{hooks:?}");
    let summary = body(&hooks[1]);
    assert_eq!(summary["failure"], "service");
    assert_eq!(summary["report"]["location"], Value::Null);
    assert_eq!(
        receivers.requests("/flaky/slack").len(),
        2,
        "Slack hears of success only"
    );
}

#[test]
fn a_channel_that_fails_never_fails_or_blocks_the_run() {
    let dir = workdir("alerts-failing");
    let receivers = Receivers::start(&dir);
    // Slack hangs (each attempt times out), the webhook answers 404 (final
    // at once), and e-mail's server presents a certificate nobody trusts
    // (no CA file: final at once).
    let env: Vec<(String, String)> = receivers
        .env(&dir, "/hang/slack", "/status/404/webhook")
        .into_iter()
        .filter(|(key, _)| key != "DATACONTRACT_ALERT_SMTP_CA_FILE")
        .collect();
    let env = with(
        &env,
        &[
            ("DATACONTRACT_ALERT_SLACK_ON", "success"),
            ("DATACONTRACT_ALERT_WEBHOOK_ON", "success"),
            ("DATACONTRACT_ALERT_EMAIL_ON", "success"),
            ("DATACONTRACT_ALERT_TIMEOUT_SECONDS", "1"),
        ],
    );
    let output = run(&dir, &["run", "--quiet"], &env);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let summary = text(&output.stdout);
    assert!(summary.contains("promoted to production"), "{summary}");
    assert!(summary.contains("alert: slack NOT delivered"), "{summary}");

    let report = report_of(&dir, &output);
    assert_eq!(report["outcome"], "promoted");
    let alerts = report["alerts"].as_array().unwrap();
    let by_channel = |name: &str| {
        alerts
            .iter()
            .find(|a| a["channel"] == name)
            .unwrap()
            .clone()
    };
    let slack = by_channel("slack");
    assert_eq!(
        (&slack["delivered"], &slack["attempts"]),
        (&Value::Bool(false), &Value::from(2))
    );
    assert!(
        slack["error"].as_str().unwrap().contains("timed out"),
        "{slack}"
    );
    assert_eq!(receivers.requests("/hang/slack").len(), 2);
    let webhook = by_channel("webhook");
    assert_eq!(
        (&webhook["delivered"], &webhook["attempts"]),
        (&Value::Bool(false), &Value::from(1))
    );
    assert!(
        webhook["error"].as_str().unwrap().contains("404"),
        "{webhook}"
    );
    let email = by_channel("email");
    assert_eq!(
        (&email["delivered"], &email["attempts"]),
        (&Value::Bool(false), &Value::from(1)),
        "{email}"
    );
    assert!(receivers.mails().is_empty());

    // Logged at ERROR, and nothing secret in the logs.
    let stderr = text(&output.stderr);
    assert!(stderr.contains("alert not delivered"), "{stderr}");
    assert_no_secret(&stderr, &receivers);
    assert_no_secret(&report.to_string(), &receivers);
}

#[test]
fn contracts_alert_test_checks_the_wiring_of_every_channel() {
    let dir = workdir("alerts-test");
    let receivers = Receivers::start(&dir);
    let env = receivers.env(&dir, "/ok/slack", "/ok/webhook");
    let output = run(&dir, &["alert", "test"], &env);
    let printed = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{printed}{}",
        text(&output.stderr)
    );
    for channel in ["slack", "webhook", "email"] {
        assert!(
            printed.contains(&format!("{channel}: delivered")),
            "{printed}"
        );
    }
    let slack = body(&receivers.requests("/ok/slack")[0]);
    assert!(
        slack["text"].as_str().unwrap().contains("test alert"),
        "{slack}"
    );
    let hook = &receivers.requests("/ok/webhook")[0];
    assert_eq!(hook["signature_valid"], true);
    assert_eq!(body(hook)["verdict"], "test");
    assert_eq!(receivers.mails().len(), 1);

    // A broken channel: the command says which, and fails.
    let broken = with(
        &env,
        &[("TEST_WEBHOOK_URL", &receivers.url("/status/500/webhook"))],
    );
    let output = run(&dir, &["alert", "test"], &broken);
    assert_eq!(output.status.code(), Some(3));
    let printed = text(&output.stdout);
    assert!(
        printed.contains("webhook: NOT delivered after 2 attempt(s): the endpoint answered 500"),
        "{printed}"
    );

    // No channel at all: a usage error saying what to set.
    let output = contracts(&dir, &["alert", "test"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no alert channel is configured"));

    // A variable named but not set: the configuration is refused, naming
    // the setting and the variable, never a value.
    let unset: Vec<(String, String)> = env
        .iter()
        .filter(|(key, _)| key != "TEST_SLACK_URL")
        .cloned()
        .collect();
    let output = run(&dir, &["alert", "test"], &unset);
    assert_eq!(output.status.code(), Some(2));
    let error = text(&output.stderr);
    assert!(
        error.contains("alert_slack_webhook_env") && error.contains("TEST_SLACK_URL"),
        "{error}"
    );
}

#[test]
fn drift_past_its_threshold_reaches_the_channel_told_of_drift() {
    use polars::prelude::*;
    let dir = workdir("alerts-drift");
    let receivers = Receivers::start(&dir);
    let env = with(
        &receivers.env(&dir, "/ok/slack", "/ok/webhook"),
        &[("DATACONTRACT_ALERT_SLACK_ON", "drift")],
    );
    // A first run promotes the sample: the reference drift is measured
    // against. Nothing drifted, so nobody hears of it.
    let first = run(&dir, &["run", "--quiet"], &env);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert!(receivers.requests("/ok/").is_empty());

    // The next day, a thousand times the trades: `number_of_trades`
    // drifts past its PSI threshold (a warning: the run still promotes).
    let later = crate::support::runs::shifted_klines(&dir, 1)
        .lazy()
        .with_column(col("number_of_trades") * lit(1000i64))
        .collect()
        .unwrap();
    let file = crate::support::runs::write_parquet(&later, &dir.join("busy.parquet"));
    let output = run_files(&dir, file.to_str().unwrap(), &env);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let slack = receivers.requests("/ok/slack");
    assert_eq!(slack.len(), 1, "{slack:?}");
    let message = body(&slack[0]);
    let all = message.to_string();
    assert!(
        all.contains("*Drift*") && all.contains("`number_of_trades` psi"),
        "{all}"
    );
    assert!(
        message["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap()
            .starts_with("⚠️"),
        "{all}"
    );
    assert!(
        receivers.requests("/ok/webhook").is_empty(),
        "the webhook hears of errors and failures only"
    );
    let report = report_of(&dir, &output);
    assert_eq!(
        report["alerts"][0]["triggers"],
        serde_json::json!(["drift"])
    );
}
