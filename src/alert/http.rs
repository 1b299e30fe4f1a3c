//! POSTing a JSON body, for the channels that are HTTP endpoints.
//!
//! A request's URL is a secret (a Slack webhook's path is its only key),
//! so no error here quotes it.

use std::time::Duration;

use super::SendError;
use crate::secrets::Secret;

/// The answer bodies read for an error message, at most.
const ANSWER_SHOWN: usize = 200;

/// A JSON POST to one secret URL, each attempt bounded by a timeout.
pub struct JsonPost {
    url: Secret,
    timeout: Duration,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl JsonPost {
    /// A poster to `url` whose attempts take at most `timeout`.
    pub fn new(url: Secret, timeout: Duration) -> Result<Self, SendError> {
        let failed = |message: String| SendError {
            message,
            transient: false,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| failed(format!("cannot start the I/O runtime: {error}")))?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("datacontract/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| failed(format!("cannot build the HTTP client: {error}")))?;
        Ok(JsonPost {
            url,
            timeout,
            client,
            runtime,
        })
    }

    /// POSTs `body` with `headers`; any 2xx answer is success. 408, 429
    /// and 5xx answers, timeouts and lost connections are transient.
    pub fn post(&self, body: &[u8], headers: &[(&str, String)]) -> Result<(), SendError> {
        self.runtime.block_on(async {
            let mut request = self
                .client
                .post(self.url.expose())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            let response = request.send().await.map_err(|error| SendError {
                transient: error.is_timeout() || error.is_connect() || error.is_request(),
                message: match error.is_timeout() {
                    true => format!(
                        "no answer within {} s (timed out)",
                        self.timeout.as_secs_f64()
                    ),
                    false => format!(
                        "the request failed: {}",
                        crate::errors::chain(&error.without_url())
                    ),
                },
            })?;
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let answer = response.text().await.unwrap_or_default();
            let answer: String = answer.chars().take(ANSWER_SHOWN).collect();
            Err(SendError {
                transient: status.is_server_error()
                    || status == reqwest::StatusCode::TOO_MANY_REQUESTS
                    || status == reqwest::StatusCode::REQUEST_TIMEOUT,
                message: format!("the endpoint answered {status}: {}", answer.trim()),
            })
        })
    }
}
