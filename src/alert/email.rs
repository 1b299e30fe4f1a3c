//! E-mail over SMTP, always with STARTTLS: the run's Markdown report is
//! the body, the verdict the subject.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};

use super::{Alert, Channel, SendError};
use crate::pipeline::config::{ConfigError, Layers};
use crate::secrets::Secret;

/// Where e-mail alerts go, and through which server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    /// The SMTP server.
    pub host: String,
    /// Its submission port.
    pub port: u16,
    /// The login, when the server asks for one.
    pub username: Option<String>,
    /// Its password.
    pub password: Option<Secret>,
    /// Extra PEM certificates to trust for the server's TLS.
    pub ca_file: Option<PathBuf>,
    /// The sender.
    pub from: Mailbox,
    /// The recipients.
    pub to: Vec<Mailbox>,
}

impl EmailSettings {
    /// The e-mail settings of `layers`, if `alert_smtp_host` is set.
    pub fn from_layers(layers: &Layers) -> Result<Option<Self>, ConfigError> {
        let Some(host) = layers.get("alert_smtp_host") else {
            if let Some(key) = ["alert_email_to", "alert_email_from", "alert_smtp_username"]
                .into_iter()
                .find(|key| layers.get(key).is_some())
            {
                return Err(layers.invalid(
                    key,
                    "e-mail alerts need `alert_smtp_host`, the server they go through",
                ));
            }
            return Ok(None);
        };
        let mailbox = |key: &str, text: &str| {
            text.trim().parse::<Mailbox>().map_err(|error| {
                layers.invalid(key, format!("`{text}` is not an e-mail address: {error}"))
            })
        };
        let from = mailbox(
            "alert_email_from",
            &layers.required("alert_email_from")?.value,
        )?;
        let to = layers
            .list("alert_email_to")?
            .iter()
            .map(|address| mailbox("alert_email_to", address))
            .collect::<Result<Vec<_>, _>>()?;
        if to.is_empty() {
            return Err(layers.invalid("alert_email_to", "no recipient"));
        }
        let port = layers
            .required("alert_smtp_port")?
            .value
            .parse::<u16>()
            .ok()
            .filter(|port| *port > 0)
            .ok_or_else(|| layers.invalid("alert_smtp_port", "not a port number"))?;
        let password_source = layers.secret("alert_smtp_password");
        let password = match password_source.is_set() {
            true => Some(super::required_secret(layers, &password_source)?),
            false => None,
        };
        let username = layers.get("alert_smtp_username").map(|s| s.value.clone());
        if password.is_some() != username.is_some() {
            return Err(layers.invalid(
                "alert_smtp_username",
                "set both `alert_smtp_username` and the password (`alert_smtp_password_env` or `_file`), or neither",
            ));
        }
        Ok(Some(EmailSettings {
            host: host.value.clone(),
            port,
            username,
            password,
            ca_file: layers
                .get("alert_smtp_ca_file")
                .map(|s| PathBuf::from(&s.value)),
            from,
            to,
        }))
    }
}

/// An SMTP server, reached with STARTTLS.
pub struct Email {
    transport: SmtpTransport,
    server: String,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl Email {
    /// The server `settings` name; each attempt takes at most `timeout`
    /// per exchange.
    pub fn new(settings: &EmailSettings, timeout: Duration) -> Result<Self, SendError> {
        let failed = |message: String| SendError {
            message,
            transient: false,
        };
        let mut tls = TlsParameters::builder(settings.host.clone());
        if let Some(file) = &settings.ca_file {
            let pem = std::fs::read(file).map_err(|error| {
                failed(format!(
                    "cannot read alert_smtp_ca_file {}: {error}",
                    file.display()
                ))
            })?;
            let certificate = Certificate::from_pem(&pem).map_err(|error| {
                failed(format!("alert_smtp_ca_file {}: {error}", file.display()))
            })?;
            tls = tls.add_root_certificate(certificate);
        }
        let tls = tls
            .build_rustls()
            .map_err(|error| failed(format!("cannot set up TLS: {error}")))?;
        let mut transport = SmtpTransport::builder_dangerous(&settings.host)
            .port(settings.port)
            .tls(Tls::Required(tls))
            .timeout(Some(timeout));
        if let (Some(username), Some(password)) = (&settings.username, &settings.password) {
            transport = transport.credentials(Credentials::new(
                username.clone(),
                password.expose().to_string(),
            ));
        }
        Ok(Email {
            transport: transport.build(),
            server: format!("{}:{}", settings.host, settings.port),
            from: settings.from.clone(),
            to: settings.to.clone(),
        })
    }
}

impl Channel for Email {
    fn send(&self, alert: &Alert) -> Result<(), SendError> {
        let mut message = Message::builder()
            .from(self.from.clone())
            .subject(alert.title())
            .header(ContentType::TEXT_PLAIN);
        for recipient in &self.to {
            message = message.to(recipient.clone());
        }
        let message = message
            .body(alert.markdown.clone())
            .map_err(|error| SendError {
                message: format!("cannot build the e-mail: {error}"),
                transient: false,
            })?;
        self.transport
            .send(&message)
            .map(|_| ())
            .map_err(|error| SendError {
                // A 4xx answer, a timeout or a lost connection may pass on a
                // later attempt; a 5xx answer, a TLS failure (an unverifiable
                // certificate) or a malformed message will not.
                transient: !(error.is_permanent()
                    || error.is_tls()
                    || error.is_client()
                    || error.is_response()
                    || crate::errors::is_tls_failure(&error)),
                message: format!(
                    "SMTP server {}: {}",
                    self.server,
                    crate::errors::chain(&error)
                ),
            })
    }
}
