//! Keeping secrets out of everything the tool writes: logs on standard
//! error, its output, and run reports.
//!
//! Secrets travel in places we do not control: OAuth libraries and HTTP
//! clients log token responses and request lines at debug level, and an
//! error message may quote a URL with a password or a signed query string.
//! So every output passes [`redact`] on its way out, which replaces, by
//! their shape and their context:
//! - values of credential fields, in JSON (`"access_token": "…"`), in Rust's
//!   debug form (`access_token: Some("…")`) and in forms and query strings
//!   (`assertion=…`, `signature=…`, `key=…`, …);
//! - `Bearer` and `Basic` credentials;
//! - Google OAuth tokens (`ya29.…`, `1//…`) and signed JWTs (`eyJ….eyJ….…`);
//! - PEM private keys, raw or JSON-escaped;
//! - the user information of URLs (`https://user:password@host`).
//!
//! [`RedactingStderr`] is the log writer that applies it.
//!
//! A secret the tool needs (a database password, a webhook URL, an SMTP
//! password) is never a configuration value: the configuration names where
//! it is, a [`SecretSource`] (a mounted file or an environment variable),
//! and the value read is a [`Secret`], which never prints itself.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::sync::LazyLock;

use regex::Regex;

/// Field names whose values are secrets, wherever they appear.
const SECRET_FIELDS: &str = r"access_token|refresh_token|id_token|private_key|private_key_id|client_secret|assertion|password|passwd|secret|signature|api_key|apikey|api-key|x-mbx-apikey|token|sig";

static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    let field = SECRET_FIELDS;
    [
        // PEM blocks, with real or JSON-escaped line breaks.
        (
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"
                .to_string(),
            "[redacted private key]",
        ),
        // "field": "value" (JSON), also with escaped quotes inside a string.
        (
            format!(r#"(?i)(\\?"(?:{field})\\?"\s*:\s*\\?")(?:[^"\\]|\\[^"])*"#),
            "${1}[redacted]",
        ),
        // field: "value" and field: Some("value") (Rust's debug form).
        (
            format!(r#"(?i)(\b(?:{field})\s*:\s*(?:Some\()?")[^"]*"#),
            "${1}[redacted]",
        ),
        // field=value in forms, query strings and headers.
        (
            format!(r#"(?i)(\b(?:{field})=)[^&\s'"]+"#),
            "${1}[redacted]",
        ),
        // Authorization headers.
        (
            r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+".to_string(),
            "${1} [redacted]",
        ),
        // Signed JWTs (and their first two parts alone).
        (
            r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?".to_string(),
            "[redacted jwt]",
        ),
        // Google OAuth access and refresh tokens, and Google API keys.
        (
            r"\bya29\.[A-Za-z0-9._-]+|\b1//[A-Za-z0-9._-]{10,}|\bAIza[0-9A-Za-z_-]{35}".to_string(),
            "[redacted token]",
        ),
        // Slack incoming-webhook paths (the path is the key).
        (
            r"(?i)\b(hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9/_-]+"
                .to_string(),
            "${1}[redacted]",
        ),
        // URL user information.
        (
            r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@".to_string(),
            "${1}[redacted]@",
        ),
    ]
    .into_iter()
    .map(|(pattern, replacement)| {
        (
            Regex::new(&pattern).expect("the secret patterns are valid"),
            replacement,
        )
    })
    .collect()
});

/// `text` with every secret it shows replaced (see the module's
/// description).
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut redacted = Cow::Borrowed(text);
    for (pattern, replacement) in PATTERNS.iter() {
        if let Cow::Owned(replaced) = pattern.replace_all(&redacted, *replacement) {
            redacted = Cow::Owned(replaced);
        }
    }
    redacted
}

/// A secret value: its `Debug` and `Display` print `[redacted]`, so it
/// cannot leak through a log line or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where a secret is kept: a file (a mounted Kubernetes or Docker secret),
/// which wins, or an environment variable. Configured by two settings,
/// `{name}_file` and `{name}_env`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretSource {
    /// The settings' common stem, e.g. `database_password`, for messages.
    pub name: String,
    /// The file holding the secret.
    pub file: Option<PathBuf>,
    /// The environment variable holding the secret.
    pub env: Option<String>,
}

impl SecretSource {
    /// The setting that says where the secret is: `{name}_file` when set
    /// (it wins), else `{name}_env`.
    pub fn setting(&self) -> String {
        match self.file {
            Some(_) => format!("{}_file", self.name),
            None => format!("{}_env", self.name),
        }
    }

    /// Whether the configuration says where the secret is.
    pub fn is_set(&self) -> bool {
        self.file.is_some() || self.env.is_some()
    }

    /// The secret: the file's content without its final line break, or the
    /// variable's value; `None` when neither is set, or the variable is
    /// unset or empty. An unreadable file is an error naming the setting
    /// and the file (never the content).
    pub fn read(&self) -> Result<Option<Secret>, String> {
        if let Some(file) = &self.file {
            let text = std::fs::read_to_string(file).map_err(|error| {
                format!("cannot read {}_file {}: {error}", self.name, file.display())
            })?;
            return Ok(Some(Secret::new(text.trim_end_matches(['\r', '\n']))));
        }
        Ok(self
            .env
            .as_deref()
            .and_then(|variable| std::env::var(variable).ok())
            .filter(|value| !value.is_empty())
            .map(Secret::new))
    }

    /// The secret, which must be there: a missing one is an error saying
    /// where it was looked for.
    pub fn require(&self) -> Result<Secret, String> {
        self.read()?.ok_or_else(|| match &self.env {
            Some(variable) => format!(
                "`{}_env` names the environment variable {variable}, which is not set (or empty)",
                self.name
            ),
            None => format!(
                "set `{0}_env` (a variable holding it) or `{0}_file` (a file holding it)",
                self.name
            ),
        })
    }
}

/// Standard error, with every write passed through [`redact`]: the writer
/// of the tool's logs, whatever their level.
#[derive(Debug, Clone, Copy, Default)]
pub struct RedactingStderr;

impl Write for RedactingStderr {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(bytes);
        std::io::stderr().write_all(redact(&text).as_bytes())?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingStderr;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingStderr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "tok-SENTINEL-9f8e7d6c5b4a";

    #[test]
    fn credentials_are_redacted_in_every_form() {
        for text in [
            format!(r#"{{"access_token":"{TOKEN}","expires_in":3599}}"#),
            format!(r#"body: "{{\"access_token\":\"{TOKEN}\"}}""#),
            format!(r#"Token {{ access_token: Some("{TOKEN}"), expires: 3 }}"#),
            format!("grant_type=jwt&assertion={TOKEN}&x=1"),
            format!("authorization: Bearer {TOKEN}"),
            format!("GET https://user:{TOKEN}@example.com/api"),
            format!("https://api.example.com/v3/klines?symbol=X&signature={TOKEN}"),
            format!("refresh_token={TOKEN}"),
            format!("posting to https://hooks.slack.com/services/T0/B1/{TOKEN} failed"),
        ] {
            let redacted = redact(&text);
            assert!(!redacted.contains(TOKEN), "{text} → {redacted}");
            assert!(redacted.contains("redacted"), "{redacted}");
        }
    }

    #[test]
    fn keys_jwts_and_google_tokens_are_redacted_by_shape() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
        let escaped = pem.replace('\n', "\\n");
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4QHkuY29tIn0.c2lnbmF0dXJl";
        for (text, secret) in [
            (pem.to_string(), "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
            (escaped.clone(), "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
            (format!("posting {jwt} now"), "c2lnbmF0dXJl"),
            ("ya29.a0AfB_byC-token".to_string(), "a0AfB_byC"),
            ("1//0gLongRefreshTokenValue".to_string(), "0gLongRefresh"),
        ] {
            assert!(!redact(&text).contains(secret), "{text}");
        }
    }

    #[test]
    fn secrets_print_redacted_and_come_from_a_file_or_a_variable() {
        let secret = Secret::new(TOKEN);
        assert_eq!(format!("{secret} {secret:?}"), "[redacted] [redacted]");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
        let from_file = SecretSource {
            name: "alert_webhook_secret".into(),
            file: Some(file),
            env: Some("DATACONTRACT_TEST_NEVER_SET".into()),
        };
        assert_eq!(from_file.require().unwrap().expose(), TOKEN);

        let unset = SecretSource {
            file: None,
            ..from_file.clone()
        };
        assert_eq!(unset.read().unwrap(), None);
        let error = unset.require().unwrap_err();
        assert!(
            error.contains("alert_webhook_secret_env")
                && error.contains("DATACONTRACT_TEST_NEVER_SET"),
            "{error}"
        );
        let missing = SecretSource {
            file: Some(dir.path().join("absent")),
            ..from_file
        };
        let error = missing.read().unwrap_err();
        assert!(error.contains("alert_webhook_secret_file"), "{error}");
    }

    #[test]
    fn ordinary_text_passes_unchanged() {
        for text in [
            "loaded 1440 rows into staging.raw_binance_btcusdt_spot",
            "https://api.binance.com/api/v3/klines?symbol=BTCUSDT&interval=1m",
            "the dedup_key check failed on 3 rows",
            "gs://bucket/staging/t/created_at=2024-01-01:00:00:00:000/part-00000.parquet",
        ] {
            assert!(matches!(redact(text), Cow::Borrowed(_)), "{text}");
        }
    }
}
