//! The Binance extractor against an HTTP server on 127.0.0.1 that answers
//! in Binance's documented klines format, with a script of faults.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use datacontract::DataContract;
use datacontract::pipeline::config::{Layers, Origin};
use datacontract::pipeline::http::HttpPolicy;
use datacontract::pipeline::{Extract, Source};
use datacontract_contracts::RawKline;
use datacontract_contracts::binance::BinanceSource;
use indicatif::ProgressBar;

/// 2024-03-01T00:00:00Z.
const T0: i64 = 1_709_251_200_000;
/// The minutes the server has klines for.
const AVAILABLE: i64 = 2500;
/// The minute whose kline the server sends with 11 values, not 12.
const MALFORMED_MINUTE: i64 = 2100;

/// What the server does for one request, in order; `Data` afterwards.
#[derive(Clone, Debug)]
enum Answer {
    Data,
    TooManyRequests,
    ServerError,
    Banned,
    Garbage,
}

struct Server {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

fn serve(script: Vec<Answer>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        let mut script = script.into_iter();
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            reader.read_line(&mut line).unwrap();
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
            }
            let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
            seen.lock().unwrap().push(target.clone());
            let (status, extra, body) = match script.next().unwrap_or(Answer::Data) {
                Answer::Data => ("200 OK", "", page(&target)),
                Answer::TooManyRequests => (
                    "429 Too Many Requests",
                    "Retry-After: 1\r\n",
                    "{\"code\":-1003}".into(),
                ),
                Answer::ServerError => ("503 Service Unavailable", "", "busy".into()),
                Answer::Banned => (
                    "418 I'm a teapot",
                    "Retry-After: 120\r\n",
                    "{\"code\":-1003}".into(),
                ),
                Answer::Garbage => ("200 OK", "", "<html>maintenance</html>".into()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\n{extra}Content-Type: application/json\r\nX-MBX-USED-WEIGHT-1M: 10\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Server { url, requests }
}

fn query_value(target: &str, key: &str) -> Option<i64> {
    target
        .split_once('?')?
        .1
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{key}=")))
        .and_then(|value| value.parse().ok())
}

/// The klines from startTime to endTime, at most `limit`, as Binance sends them.
fn page(target: &str) -> String {
    let start = query_value(target, "startTime").unwrap();
    let end = query_value(target, "endTime").unwrap();
    let limit = query_value(target, "limit").unwrap();
    let first = ((start - T0) + 59_999).div_euclid(60_000).max(0);
    let rows: Vec<String> = (first..AVAILABLE)
        .map(|minute| (minute, T0 + minute * 60_000))
        .take_while(|(_, open)| *open <= end)
        .take(limit as usize)
        .map(|(minute, open)| {
            if minute == MALFORMED_MINUTE {
                format!("[{open},\"1.0\",\"1.0\",\"1.0\",\"1.0\",\"1.0\",{},\"1.0\",1,\"0.5\",\"0.5\"]", open + 59_999)
            } else {
                format!(
                    "[{open},\"62000.00\",\"62010.50\",\"61990.00\",\"62005.25\",\"1.25000\",{},\"77506.56\",42,\"0.62500\",\"38753.28\",\"0\"]",
                    open + 59_999
                )
            }
        })
        .collect();
    format!("[{}]", rows.join(","))
}

/// The klines pipeline's settings, asking `url` for `minutes` from T0.
fn layers(url: &str, minutes: i64) -> Layers {
    let dir = tempfile::tempdir().unwrap();
    let catalogue = datacontract_contracts::pipeline().catalogue();
    let mut layers = Layers::load(&catalogue, dir.path(), None, &|_| None).unwrap();
    let end = chrono::DateTime::from_timestamp_millis(T0 + minutes * 60_000).unwrap();
    layers.set_flag("source", "binance").unwrap();
    layers.set_flag("binance_url", url).unwrap();
    layers.set_flag("start", "2024-03-01").unwrap();
    layers.set_flag("end", end.to_rfc3339()).unwrap();
    layers
}

/// What `source`, configured from `layers`, extracts (or why it cannot).
fn extract(source: &BinanceSource, layers: &Layers) -> Result<Extract, String> {
    let extractor = source
        .configure(layers)
        .map_err(|error| error.to_string())?;
    let scratch = tempfile::tempdir().unwrap();
    let store = datacontract::store::LocalStore::new(scratch.path()).unwrap();
    extractor
        .extract(
            &layers.resolve().unwrap(),
            &store,
            &RawKline::contract(),
            &ProgressBar::hidden(),
        )
        .map_err(|error| error.to_string())
}

/// Why extracting ten minutes from `url` failed.
fn failure(source: &BinanceSource, url: &str) -> String {
    extract(source, &layers(url, 10)).unwrap_err()
}

fn source() -> BinanceSource {
    BinanceSource {
        policy: HttpPolicy {
            base_backoff: Duration::from_millis(10),
            ..HttpPolicy::default()
        },
    }
}

#[test]
fn pages_through_time_waits_out_429_and_retries_5xx() {
    let server = serve(vec![
        Answer::TooManyRequests,
        Answer::Data,
        Answer::ServerError,
    ]);
    let extract = extract(&source(), &layers(&server.url, 3000)).unwrap();
    assert_eq!(
        extract.frame.height(),
        2499,
        "2500 klines less the malformed one"
    );
    assert_eq!(extract.rejected.len(), 1);
    let rejected = &extract.rejected[0];
    assert!(rejected.location.starts_with("page 3"), "{rejected:?}");
    assert!(
        rejected.reason.contains("not a kline array"),
        "{rejected:?}"
    );
    let http = &extract.details["http"];
    assert_eq!(http["rate_limited"], 1);
    assert_eq!(http["retries"], 1);
    assert_eq!(http["requests"], 5, "429, page 1, 503, page 2, page 3");
    let starts: Vec<i64> = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|target| query_value(target, "startTime").unwrap())
        .collect();
    assert_eq!(
        starts,
        // Each page starts a millisecond after the newest open time seen.
        [
            T0,
            T0,
            T0 + 999 * 60_000 + 1,
            T0 + 999 * 60_000 + 1,
            T0 + 1999 * 60_000 + 1
        ]
    );
    assert_eq!(
        extract.frame.schema().len(),
        RawKline::contract().fields.len()
    );
}

#[test]
fn an_empty_page_ends_the_range() {
    let server = serve(vec![]);
    let mut layers = layers(&server.url, 10);
    let end = chrono::DateTime::from_timestamp_millis(T0 + 10 * 60_000).unwrap();
    layers.set_flag("start", "2024-03-31").unwrap();
    layers
        .set_flag("end", (end + chrono::Duration::days(30)).to_rfc3339())
        .unwrap();
    let extract = extract(&source(), &layers).unwrap();
    assert_eq!(extract.frame.height(), 0);
    assert_eq!(extract.details["pages"], 1);
}

#[test]
fn a_malformed_body_and_a_ban_stop_the_extract_with_their_reason() {
    let server = serve(vec![Answer::Garbage]);
    let error = failure(&source(), &server.url);
    assert!(
        error.contains("page 1")
            && error.contains("not a JSON array of klines")
            && error.contains("<html>"),
        "{error}"
    );

    let server = serve(vec![Answer::Banned]);
    let error = failure(&source(), &server.url);
    assert!(error.contains("418") && error.contains("120 s"), "{error}");
    assert_eq!(
        server.requests.lock().unwrap().len(),
        1,
        "a ban is not retried"
    );
}

#[test]
fn endless_429s_give_up_after_the_policy_s_waits() {
    let server = serve(vec![Answer::TooManyRequests; 3]);
    let source = BinanceSource {
        policy: HttpPolicy {
            max_rate_limited: 2,
            ..source().policy
        },
    };
    let error = failure(&source, &server.url);
    assert!(
        error.contains("HTTP 429") && error.contains("still rate-limited after 2 waits"),
        "{error}"
    );
}

#[test]
fn only_one_minute_klines_are_extracted() {
    let server = serve(vec![]);
    let mut layers = layers(&server.url, 10);
    layers.set_flag("interval", "5m").unwrap();
    let error = extract(&source(), &layers).unwrap_err();
    assert!(error.contains("aggregates 1m klines"), "{error}");
    assert!(
        server.requests.lock().unwrap().is_empty(),
        "nothing was requested"
    );
}

#[test]
fn an_answer_larger_than_the_policy_allows_is_refused_unread() {
    let server = serve(vec![]);
    let source = BinanceSource {
        policy: HttpPolicy {
            max_body_bytes: 1024,
            ..source().policy
        },
    };
    let error = failure(&source, &server.url);
    assert!(
        error.contains("larger than 1024 bytes; refusing to read it"),
        "{error}"
    );
    assert_eq!(
        server.requests.lock().unwrap().len(),
        1,
        "a body too large is not retried"
    );
}

#[test]
fn a_binance_range_must_be_ordered_and_a_symbol_well_formed() {
    let mut layers = layers("http://127.0.0.1:1", 10);
    layers.set_flag("start", "2024-01-02").unwrap();
    layers.set_flag("end", "2024-01-01").unwrap();
    let error = source().configure(&layers).err().unwrap();
    assert_eq!(error.key, "end");
    assert_eq!(error.origin, Origin::Flag("end".into()));

    let mut layers = self::layers("http://127.0.0.1:1", 10);
    layers.set_flag("symbol", "btc; DROP").unwrap();
    let error = source().configure(&layers).err().unwrap();
    assert_eq!(error.key, "symbol");
    assert!(error.message.contains("not a Binance symbol"), "{error}");
}

#[test]
fn the_binance_settings_are_the_pipeline_s_and_the_readme_lists_them() {
    let pipeline = datacontract_contracts::pipeline();
    let catalogue = pipeline.catalogue();
    for source in pipeline.sources() {
        for spec in source.settings() {
            assert_eq!(catalogue.get(spec.key), Some(spec), "{}", spec.key);
        }
    }
    let readme = include_str!("../../../README.md");
    let table = datacontract::pipeline::config::settings_table(catalogue.source_specs());
    assert!(
        readme.contains(&table),
        "README.md's table of the klines pipeline's source settings differs from their declarations; it should read:\n{table}"
    );
}
