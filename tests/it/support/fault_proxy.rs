//! A fault-injecting HTTP proxy on 127.0.0.1, for the tests of the Google
//! clients: it stands between a client and an emulator and, following a
//! script of rules, answers 503 before a call reaches the emulator, passes
//! a call on and loses its answer, or ends a BigQuery query with a
//! temporary job error. In front of fake-gcs-server, which ignores
//! `ifGenerationMatch` on uploads and deletes, it enforces it as Google
//! Cloud does (answering 412 when the object's generation differs).

// Each test crate that includes this file uses a part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does to a request that matches a rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    /// Answers 503 at once: the call never reached BigQuery.
    Unavailable,
    /// Passes the call on, then answers 503: it ran, its answer was lost.
    AnswerLost,
    /// Answers a query with a finished job that failed with BigQuery's
    /// temporary `backendError`.
    TemporaryJobError,
    /// Passes the call on, then closes the connection without a word: it
    /// ran, and its answer was lost on the way.
    AnswerDropped,
    /// Another writer wins the race: the proxy sends the call on with
    /// another body ([`OTHER_WRITER`]), then answers 503.
    AnotherWriterFirst,
}

/// The bytes [`Fault::AnotherWriterFirst`] writes.
pub const OTHER_WRITER: &[u8] = b"another writer's bytes";

/// Requests with this method, a path containing `path` and a body
/// containing `body` meet `fault`, `times` times.
pub struct Rule {
    pub method: &'static str,
    pub path: &'static str,
    pub body: &'static str,
    pub fault: Fault,
    pub times: usize,
}

pub fn rule(method: &'static str, path: &'static str, fault: Fault) -> Rule {
    Rule {
        method,
        path,
        body: "",
        fault,
        times: 1,
    }
}

/// One request the proxy saw, and the fault it met.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub body: String,
    pub fault: Option<Fault>,
}

pub struct Proxy {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// What the proxy does besides its rules.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Behaviour {
    /// Answer 412 to an upload or a delete whose `ifGenerationMatch` the
    /// object's generation does not match, as Google Cloud does.
    enforce_generation_match: bool,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`host:port` or `http://host:port`)
    /// applying `rules`.
    pub fn start(upstream: &str, rules: Vec<Rule>) -> Self {
        Self::start_with(
            upstream,
            rules,
            Behaviour {
                enforce_generation_match: false,
            },
        )
    }

    /// [`Proxy::start`] in front of fake-gcs-server, which ignores
    /// `ifGenerationMatch` on uploads and deletes: the proxy enforces it.
    pub fn start_for_gcs(upstream: &str, rules: Vec<Rule>) -> Self {
        Self::start_with(
            upstream,
            rules,
            Behaviour {
                enforce_generation_match: true,
            },
        )
    }

    fn start_with(upstream: &str, rules: Vec<Rule>, behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let rules = Arc::new(Mutex::new(rules));
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let (stream, upstream, rules, log) = (
                    stream.unwrap(),
                    upstream.clone(),
                    rules.clone(),
                    log.clone(),
                );
                std::thread::spawn(move || relay(stream, &upstream, &rules, &log, behaviour));
            }
        });
        Proxy { url, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The requests with this method and a path containing `path`.
    pub fn requests(&self, method: &str, path: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|seen| seen.method == method && seen.path.contains(path))
            .collect()
    }
}

/// Handles one request on `client` (the proxy answers with
/// `Connection: close`, so one is all a connection carries).
fn relay(
    mut client: TcpStream,
    upstream: &str,
    rules: &Mutex<Vec<Rule>>,
    log: &Mutex<Vec<Seen>>,
    behaviour: Behaviour,
) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        if header.trim().is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().unwrap();
        }
        if !name.eq_ignore_ascii_case("connection") {
            headers.push(header);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let mut parts = request_line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap().to_string(),
        parts.next().unwrap().to_string(),
    );
    let body_text = String::from_utf8_lossy(&body).to_string();
    let fault = rules.lock().unwrap().iter_mut().find_map(|rule| {
        let matches = rule.times > 0
            && rule.method == method
            && path.contains(rule.path)
            && body_text.contains(rule.body);
        matches.then(|| {
            rule.times -= 1;
            rule.fault
        })
    });
    let refused =
        behaviour.enforce_generation_match && precondition_fails(upstream, &method, &path);
    log.lock().unwrap().push(Seen {
        method,
        path,
        body: body_text,
        fault,
    });
    if refused {
        let _ = client.write_all(&answer(
            "412 Precondition Failed",
            r#"{"error":{"code":412,"message":"At least one of the pre-conditions you specified did not hold.","errors":[{"reason":"conditionNotMet","message":"Precondition Failed"}]}}"#,
        ));
        return;
    }
    let answer = match fault {
        Some(Fault::Unavailable) => unavailable(),
        Some(Fault::AnswerLost) => {
            forward(upstream, &request_line, &headers, &body);
            unavailable()
        }
        Some(Fault::TemporaryJobError) => answer(
            "200 OK",
            r#"{"kind":"bigquery#queryResponse","jobReference":{"projectId":"test-proj","jobId":"failed_job"},"jobComplete":true,"errors":[{"reason":"backendError","message":"injected: temporary backend error"}]}"#,
        ),
        Some(Fault::AnotherWriterFirst) => {
            let headers: Vec<String> = headers
                .iter()
                .map(|header| {
                    if header.to_ascii_lowercase().starts_with("content-length:") {
                        format!("Content-Length: {}\r\n", OTHER_WRITER.len())
                    } else {
                        header.clone()
                    }
                })
                .collect();
            forward(upstream, &request_line, &headers, OTHER_WRITER);
            unavailable()
        }
        Some(Fault::AnswerDropped) => {
            forward(upstream, &request_line, &headers, &body);
            return;
        }
        None => forward(upstream, &request_line, &headers, &body),
    };
    let _ = client.write_all(&answer);
}

/// Whether `path` is a GCS upload or delete under `ifGenerationMatch` that
/// the object's generation upstream does not match (0: the object must not
/// exist).
fn precondition_fails(upstream: &str, method: &str, path: &str) -> bool {
    let Some((route, query)) = path.split_once('?') else {
        return false;
    };
    let parameters: Vec<(&str, &str)> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .collect();
    let value = |key: &str| parameters.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let Some(expected) = value("ifGenerationMatch") else {
        return false;
    };
    let object = match method {
        "POST" => route
            .strip_prefix("/upload/storage/v1/b/")
            .and_then(|rest| rest.strip_suffix("/o"))
            .zip(value("name"))
            .map(|(bucket, name)| format!("{bucket}/o/{}", name.replace('/', "%2F"))),
        "DELETE" => route.strip_prefix("/storage/v1/b/").map(str::to_string),
        _ => None,
    };
    let Some(object) = object else {
        return false;
    };
    let stat = format!("GET /storage/v1/b/{object} HTTP/1.1\r\n");
    let headers = [format!("Host: {upstream}\r\n")];
    let answer = String::from_utf8_lossy(&forward(upstream, &stat, &headers, &[])).into_owned();
    let generation = answer
        .starts_with("HTTP/1.1 200")
        .then(|| {
            // The JSON object, whatever chunked framing is around it.
            let body = answer.split("\r\n\r\n").nth(1)?;
            let object = &body[body.find('{')?..=body.rfind('}')?];
            let metadata: serde_json::Value = serde_json::from_str(object).ok()?;
            metadata["generation"].as_str().map(str::to_string)
        })
        .flatten();
    match (expected, generation) {
        ("0", found) => found.is_some(),
        (expected, Some(found)) => expected != found,
        (_, None) => true,
    }
}

/// Sends the request to `upstream` and returns its whole answer.
fn forward(upstream: &str, request_line: &str, headers: &[String], body: &[u8]) -> Vec<u8> {
    let mut server = TcpStream::connect(upstream).unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut request = request_line.as_bytes().to_vec();
    for header in headers {
        request.extend_from_slice(header.as_bytes());
    }
    request.extend_from_slice(b"Connection: close\r\n\r\n");
    request.extend_from_slice(body);
    server.write_all(&request).unwrap();
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).unwrap();
    answer
}

fn unavailable() -> Vec<u8> {
    answer(
        "503 Service Unavailable",
        r#"{"error":{"code":503,"message":"injected: service unavailable","errors":[{"reason":"backendError","message":"injected"}],"status":"UNAVAILABLE"}}"#,
    )
}

fn answer(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
