//! No secret reaches what the tool writes, at any log level.
//!
//! A fake service-account key (a fresh RSA key, made with openssl) names a
//! token server on 127.0.0.1 that hands out a recognisable access token.
//! `contracts run` authenticates with it against the emulators (through
//! `gcs_endpoint` and `bigquery_endpoint`, as it would against a private
//! endpoint), at `RUST_LOG=trace`, with a password and a signature in the
//! Binance URL. Standard output, standard error and the three run reports
//! must hold none of: the token, the private key, the signed JWT the client
//! sent, the URL's password or signature. The emulators are started by
//! scripts/test.sh; without them this test fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use datacontract::store::{GcsStore, ObjectStore};

use crate::support::runs;

use runs::{Emulators, contracts, text, workdir};

const TOKEN: &str = "tok-SENTINEL-7d1c9e2b4a6f";
const PASSWORD: &str = "pw-SENTINEL-3e8a";
const SIGNATURE: &str = "sig-SENTINEL-5b2d";

/// A token endpoint on 127.0.0.1 answering every request with [`TOKEN`];
/// returns its URL and the request bodies it received.
fn token_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            seen.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&body).into_owned());
            let answer = format!(
                r#"{{"access_token":"{TOKEN}","expires_in":3599,"token_type":"Bearer","id_token":"{TOKEN}"}}"#
            );
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, bodies)
}

/// A service-account key file whose token endpoint is `token_uri`; returns
/// its path and the private key's base64 lines.
fn fake_key(dir: &Path, token_uri: &str) -> (std::path::PathBuf, Vec<String>) {
    let pem = dir.join("private.pem");
    let made = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&pem)
        .output()
        .expect("openssl is missing: install it (apt-get install openssl); .ci/run does");
    assert!(made.status.success(), "{}", text(&made.stderr));
    let private_key = std::fs::read_to_string(&pem).unwrap();
    let lines: Vec<String> = private_key
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .map(str::to_string)
        .collect();
    let key = serde_json::json!({
        "type": "service_account",
        "project_id": "test-proj",
        "private_key_id": "0123456789abcdef",
        "private_key": private_key,
        "client_email": "pipeline@test-proj.iam.gserviceaccount.com",
        "client_id": "100000000000000000001",
        "auth_uri": "http://127.0.0.1/auth",
        "token_uri": token_uri,
    });
    let path = dir.join("key.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&key).unwrap()).unwrap();
    (path, lines)
}

#[test]
fn no_token_key_jwt_or_password_reaches_any_output_at_trace_level() {
    let emulators = Emulators::from_env();
    let dir = workdir("secrets");
    let (token_uri, requests) = token_server();
    let (key, private_lines) = fake_key(&dir, &token_uri);
    let suffix = std::process::id();
    let bucket = format!("secrets-{suffix}");
    GcsStore::emulator(&bucket, &emulators.gcs)
        .unwrap()
        .create_bucket()
        .unwrap();
    let binance_url = format!("http://pipeline:{PASSWORD}@127.0.0.1:1/?signature={SIGNATURE}");
    let gcs_endpoint = emulators.gcs.clone();
    let bigquery_endpoint = format!("http://{}", emulators.bigquery);
    let env = [
        ("RUST_LOG", "trace"),
        ("GOOGLE_APPLICATION_CREDENTIALS", key.to_str().unwrap()),
        ("DATACONTRACT_STORE", "gcs"),
        ("GCS_BUCKET_NAME", bucket.as_str()),
        ("DATACONTRACT_GCS_ENDPOINT", gcs_endpoint.as_str()),
        ("DATACONTRACT_WAREHOUSE", "bigquery"),
        ("PROJECT_ID", "test-proj"),
        ("DATACONTRACT_BIGQUERY_ENDPOINT", bigquery_endpoint.as_str()),
        (
            "DATACONTRACT_STAGING_DATASET",
            &format!("staging_secrets_{suffix}"),
        ),
        (
            "BIGQUERY_RAW_DATASET",
            &format!("production_secrets_{suffix}"),
        ),
        (
            "BIGQUERY_TRANSFORMED_DATASET",
            &format!("production_secrets_{suffix}"),
        ),
        ("DATACONTRACT_BINANCE_URL", binance_url.as_str()),
    ]
    .map(|(key, value)| (key, value.to_string()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let output = contracts(&dir, &["run", "--quiet"], &env);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{}", tail(&stderr));
    let assertions: Vec<String> = requests.lock().unwrap().clone();
    assert!(
        !assertions.is_empty(),
        "the token server was never asked: the test proves nothing"
    );
    let jwts: Vec<String> = assertions
        .iter()
        .filter_map(|body| {
            body.split('&')
                .find_map(|pair| pair.strip_prefix("assertion="))
                .map(str::to_string)
        })
        .collect();
    assert!(!jwts.is_empty(), "no signed JWT was sent: {assertions:?}");
    let store = GcsStore::emulator(&bucket, &emulators.gcs).unwrap();
    let reports: Vec<(String, String)> = store
        .list("runs/")
        .unwrap()
        .into_iter()
        .filter(|key| key.contains("/report."))
        .map(|key| {
            let body = String::from_utf8(store.get(&key).unwrap()).unwrap();
            (key, body)
        })
        .collect();
    assert_eq!(reports.len(), 3, "{reports:?}");
    let mut outputs = vec![
        ("stdout".to_string(), stdout),
        ("stderr".to_string(), stderr),
    ];
    outputs.extend(reports);
    let mut secrets: Vec<(&str, String)> = vec![
        ("the access token", TOKEN.to_string()),
        ("the URL's password", PASSWORD.to_string()),
        ("the URL's signature", SIGNATURE.to_string()),
    ];
    secrets.extend(jwts.iter().map(|jwt| ("the signed JWT", jwt.clone())));
    secrets.extend(
        private_lines
            .iter()
            .map(|line| ("the private key", line.clone())),
    );
    let shape = regex::Regex::new(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}").unwrap();
    for (name, output) in &outputs {
        for (what, secret) in &secrets {
            assert!(!output.contains(secret.as_str()), "{what} is in {name}");
        }
        assert!(!shape.is_match(output), "a JWT is in {name}");
    }
    // The trace was there to leak: the logs are long, and the HTTP
    // clients' own lines are among them.
    let stderr = &outputs[1].1;
    assert!(stderr.lines().count() > 100, "{}", tail(stderr));
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
