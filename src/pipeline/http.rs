//! A polite HTTP client for extractors: it retries what is worth retrying
//! and stops where a server says stop.
//!
//! - 429 Too Many Requests: waits out `Retry-After` (seconds), then retries.
//! - 418 (Binance's "this IP is banned"): stops at once, with the wait the
//!   server asked for.
//! - 5xx, timeouts and broken connections: retried with exponential,
//!   jittered backoff, up to a number of attempts.
//! - A request-weight header (Binance's `X-MBX-USED-WEIGHT-1M`): when the
//!   weight used in the current minute nears the limit, the next request
//!   waits for the minute to roll over.

use crate::retry::RetryPolicy;
use std::time::Duration;

use reqwest::StatusCode;

/// How the client retries and paces its requests.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// The first backoff; each retry doubles it, with jitter.
    pub base_backoff: Duration,
    /// The longest backoff between two attempts.
    pub max_backoff: Duration,
    /// The longest `Retry-After` the client waits out before giving up.
    pub max_retry_after: Duration,
    /// How many 429 answers one request waits out before giving up.
    pub max_rate_limited: u32,
    /// How long one request may take.
    pub timeout: Duration,
    /// The header that reports the request weight used this minute.
    pub weight_header: &'static str,
    /// The weight allowed per minute; requests pause above 90% of it.
    pub weight_limit: u32,
    /// The largest answer body read; a larger one is an error, not a
    /// process out of memory.
    pub max_body_bytes: usize,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            max_attempts: 5,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
            max_rate_limited: 20,
            timeout: Duration::from_secs(30),
            weight_header: "x-mbx-used-weight-1m",
            weight_limit: 6000,
            max_body_bytes: 64 << 20,
        }
    }
}

/// Why a request failed for good.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The server banned this client (HTTP 418); the run must stop.
    #[error("{url}: the server answered 418 (this IP is banned{}); stopping", retry_after.map(|s| format!(" for {s} s")).unwrap_or_default())]
    Banned {
        /// The request.
        url: String,
        /// How long the ban lasts, when the server said.
        retry_after: Option<u64>,
    },
    /// The server asked to wait longer than the policy allows.
    #[error(
        "{url}: the server asked to wait {seconds} s (Retry-After), more than the {limit} s allowed"
    )]
    WaitTooLong {
        /// The request.
        url: String,
        /// The wait asked for.
        seconds: u64,
        /// The policy's limit.
        limit: u64,
    },
    /// A status that is not worth retrying, or the last of the retries.
    #[error("{url}: HTTP {status} after {attempts} attempt(s): {body}")]
    Status {
        /// The request.
        url: String,
        /// The last status.
        status: u16,
        /// The start of the last body.
        body: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The answer is larger than the policy allows.
    #[error("{url}: the answer is larger than {limit} bytes; refusing to read it")]
    TooLarge {
        /// The request.
        url: String,
        /// The policy's limit.
        limit: usize,
    },
    /// The connection failed or timed out on every attempt.
    #[error("{url}: {message} (after {attempts} attempt(s))")]
    Transport {
        /// The request.
        url: String,
        /// What went wrong the last time.
        message: String,
        /// How many attempts were made.
        attempts: u32,
    },
}

/// What the client did besides the answer: for the run report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct HttpStats {
    /// Requests sent, retries included.
    pub requests: u32,
    /// Retries after a 5xx, a timeout or a broken connection.
    pub retries: u32,
    /// Waits for a 429's `Retry-After`.
    pub rate_limited: u32,
    /// Pauses because the used weight neared the limit.
    pub weight_pauses: u32,
}

/// A blocking HTTP GET client with the retry rules above.
pub struct HttpClient {
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    policy: HttpPolicy,
    stats: std::cell::Cell<HttpStats>,
    pause_before_next: std::cell::Cell<Option<Duration>>,
}

impl HttpClient {
    /// A client with `policy`.
    pub fn new(policy: HttpPolicy) -> Result<Self, HttpError> {
        let transport = |message: String| HttpError::Transport {
            url: String::new(),
            message,
            attempts: 0,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| transport(format!("cannot start the I/O runtime: {error}")))?;
        let client = reqwest::Client::builder()
            .timeout(policy.timeout)
            .user_agent(concat!("datacontract/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| transport(format!("cannot build the HTTP client: {error}")))?;
        Ok(HttpClient {
            client,
            runtime,
            policy,
            stats: Default::default(),
            pause_before_next: Default::default(),
        })
    }

    /// What the client has done so far.
    pub fn stats(&self) -> HttpStats {
        self.stats.get()
    }

    /// GETs `url` with `query` and returns the body of a 2xx answer.
    pub fn get(&self, url: &str, query: &[(&str, String)]) -> Result<Vec<u8>, HttpError> {
        self.runtime.block_on(self.get_async(url, query))
    }

    async fn get_async(&self, url: &str, query: &[(&str, String)]) -> Result<Vec<u8>, HttpError> {
        let shown = describe(url, query);
        let (mut attempt, mut waits) = (0, 0);
        loop {
            attempt += 1;
            if let Some(pause) = self.pause_before_next.take() {
                tracing::info!(
                    seconds = pause.as_secs_f64(),
                    "request weight near the limit; pausing"
                );
                self.count(|stats| stats.weight_pauses += 1);
                tokio::time::sleep(pause).await;
            }
            self.count(|stats| stats.requests += 1);
            let sent = self.client.get(url).query(query).send().await;
            let wait = match sent {
                Ok(response) => {
                    let status = response.status();
                    self.note_weight(&response);
                    let retry_after = retry_after(&response);
                    if status.is_success() {
                        match read_bounded(response, self.policy.max_body_bytes).await {
                            Ok(body) => return Ok(body),
                            Err(Body::TooLarge) => {
                                return Err(HttpError::TooLarge {
                                    url: shown,
                                    limit: self.policy.max_body_bytes,
                                });
                            }
                            Err(Body::Broken(error)) if attempt < self.policy.max_attempts => {
                                tracing::warn!(url = %shown, attempt, %error, "reading the body failed; retrying");
                                self.count(|stats| stats.retries += 1);
                                tokio::time::sleep(self.backoff(attempt)).await;
                                continue;
                            }
                            Err(Body::Broken(error)) => {
                                return Err(HttpError::Transport {
                                    url: shown,
                                    message: format!("reading the body: {error}"),
                                    attempts: attempt,
                                });
                            }
                        }
                    }
                    // An error's body is shown, in part: no more is read.
                    let body = match read_bounded(response, ERROR_BODY_BYTES).await {
                        Ok(body) => String::from_utf8_lossy(&body).into_owned(),
                        Err(Body::TooLarge) => "(a body too long to show)".into(),
                        Err(Body::Broken(_)) => String::new(),
                    };
                    match status {
                        StatusCode::IM_A_TEAPOT => {
                            return Err(HttpError::Banned {
                                url: shown,
                                retry_after,
                            });
                        }
                        StatusCode::TOO_MANY_REQUESTS => {
                            let seconds = retry_after.unwrap_or(60);
                            if seconds > self.policy.max_retry_after.as_secs() {
                                return Err(HttpError::WaitTooLong {
                                    url: shown,
                                    seconds,
                                    limit: self.policy.max_retry_after.as_secs(),
                                });
                            }
                            waits += 1;
                            if waits > self.policy.max_rate_limited {
                                return Err(HttpError::Status {
                                    url: shown,
                                    status: 429,
                                    body: format!("still rate-limited after {} waits", waits - 1),
                                    attempts: attempt,
                                });
                            }
                            tracing::warn!(url = %shown, seconds, "HTTP 429: waiting out Retry-After");
                            self.count(|stats| stats.rate_limited += 1);
                            // A 429 is the server pacing us, not a failure:
                            // it does not use up an attempt (its own cap is
                            // max_rate_limited).
                            attempt -= 1;
                            Duration::from_secs(seconds)
                        }
                        status
                            if status.is_server_error() && attempt < self.policy.max_attempts =>
                        {
                            tracing::warn!(url = %shown, status = status.as_u16(), attempt, "server error; retrying");
                            self.count(|stats| stats.retries += 1);
                            self.backoff(attempt)
                        }
                        status => {
                            return Err(HttpError::Status {
                                url: shown,
                                status: status.as_u16(),
                                body: body.chars().take(300).collect(),
                                attempts: attempt,
                            });
                        }
                    }
                }
                Err(error) if attempt < self.policy.max_attempts => {
                    tracing::warn!(url = %shown, attempt, %error, "request failed; retrying");
                    self.count(|stats| stats.retries += 1);
                    self.backoff(attempt)
                }
                Err(error) => {
                    return Err(HttpError::Transport {
                        url: shown,
                        message: error.to_string(),
                        attempts: attempt,
                    });
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    fn count(&self, change: impl FnOnce(&mut HttpStats)) {
        let mut stats = self.stats.get();
        change(&mut stats);
        self.stats.set(stats);
    }

    /// Pauses the next request until the minute rolls over when the
    /// weight used this minute passed 90% of the limit.
    fn note_weight(&self, response: &reqwest::Response) {
        let used = response
            .headers()
            .get(self.policy.weight_header)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u32>().ok());
        if let Some(used) = used
            && used.saturating_mul(10) >= self.policy.weight_limit.saturating_mul(9)
        {
            let into_minute = chrono::Utc::now().timestamp_millis().rem_euclid(60_000) as u64;
            self.pause_before_next
                .set(Some(Duration::from_millis(60_000 - into_minute + 100)));
        }
    }

    /// The wait before retry `attempt` (1-based): base × 2^(attempt−1),
    /// capped, times a random factor in [0.5, 1).
    fn backoff(&self, attempt: u32) -> Duration {
        RetryPolicy {
            attempts: self.policy.max_attempts,
            first_delay: self.policy.base_backoff,
            max_delay: self.policy.max_backoff,
        }
        .delay(attempt)
    }
}

/// The `Retry-After` header in seconds (the HTTP-date form is not used by
/// the APIs this serves).
/// The most of an error answer's body that is read.
const ERROR_BODY_BYTES: usize = 16 << 10;

/// Why a body was not read.
enum Body {
    /// It is longer than the limit (by its Content-Length, or as read).
    TooLarge,
    /// The connection broke while reading it.
    Broken(reqwest::Error),
}

/// The body of `response`, chunk by chunk, never more than `limit` bytes.
async fn read_bounded(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, Body> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(Body::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Body::Broken)? {
        if body.len() + chunk.len() > limit {
            return Err(Body::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn retry_after(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `url?key=value&…`, for messages.
fn describe(url: &str, query: &[(&str, String)]) -> String {
    if query.is_empty() {
        return url.to_string();
    }
    let pairs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{url}?{}", pairs.join("&"))
}
