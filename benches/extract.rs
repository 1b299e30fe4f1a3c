//! Reading a PostgreSQL table into the raw contract's frame: the
//! PostgreSQL source (binary COPY, decoded into the contract's columns) on
//! 1M rows of four columns (bigint, numeric, timestamptz, text). The floor
//! (`psql \copy … to /dev/null`) and connectorx are timed on the same
//! table by `benches/extract_peers.py`.
//!
//! ```sh
//! scripts/databases.sh start && eval "$(scripts/databases.sh env)"
//! cargo bench --bench extract --no-default-features
//! ```
//!
//! (Without the default features the release build leaves DuckDB's C++
//! out: the source does not need a warehouse.)

use std::hint::black_box;
use std::process::Command;

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datacontract::DataContract;
use datacontract::pipeline::config::{Catalogue, Layers};
use datacontract::pipeline::source::database::Postgres;
use datacontract::pipeline::{DatabaseSource, Source};
use datacontract::store::LocalStore;
use indicatif::ProgressBar;
use rust_decimal::Decimal;

static SOURCE: DatabaseSource = DatabaseSource::new(&Postgres);
const ROWS: u64 = 1_000_000;

/// The benchmark table's rows.
#[derive(DataContract)]
#[contract(name = "events", dedup_key(id))]
#[allow(dead_code)]
struct Event {
    id: i64,
    #[contract(bigquery_type = "NUMERIC(12, 2)")]
    amount: Decimal,
    at: DateTime<Utc>,
    label: String,
}

fn psql(url: &str, password: &str, sql: &str) {
    let status = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .env("PGPASSWORD", password)
        .status()
        .expect("psql runs");
    assert!(status.success(), "psql failed on {sql}");
}

fn extract(c: &mut Criterion) {
    let url = std::env::var("DATACONTRACT_POSTGRES_URL")
        .expect("DATACONTRACT_POSTGRES_URL: start PostgreSQL with scripts/databases.sh");
    let password = std::env::var("DATACONTRACT_DATABASES_TEST_PASSWORD")
        .expect("DATACONTRACT_DATABASES_TEST_PASSWORD: eval \"$(scripts/databases.sh env)\"");
    psql(
        &url,
        &password,
        &format!(
            "CREATE SCHEMA IF NOT EXISTS bench;
             CREATE TABLE IF NOT EXISTS bench.events AS
               SELECT g AS id, (g % 100000) / 100.0 AS amount,
                      TIMESTAMPTZ '2024-01-01 00:00:00+00' + g * INTERVAL '1 second' AS at,
                      'event ' || g AS label
               FROM generate_series(1, {ROWS}) AS g"
        ),
    );
    let folder = tempfile::tempdir().unwrap();
    let password_file = folder.path().join("password");
    std::fs::write(&password_file, &password).unwrap();
    let catalogue = Catalogue::default().with(SOURCE.settings());
    let mut layers = Layers::load(&catalogue, folder.path(), None, &|_| None).unwrap();
    for (key, value) in [
        ("source", "postgres".to_string()),
        ("database_url", url),
        (
            "database_password_file",
            password_file.display().to_string(),
        ),
        ("database_table", "bench.events".into()),
    ] {
        layers.set_flag(key, value).unwrap();
    }
    let config = layers.resolve().unwrap();
    let store = LocalStore::new(folder.path().join("store")).unwrap();
    let contract = Event::contract();
    let extractor = SOURCE.configure(&layers).unwrap();

    let mut group = c.benchmark_group("extract");
    group.sample_size(10).throughput(Throughput::Elements(ROWS));
    group.bench_function("postgres_1m_rows", |b| {
        b.iter(|| {
            let extract = extractor
                .extract(&config, &store, &contract, &ProgressBar::hidden())
                .unwrap();
            assert_eq!(extract.frame.height() as u64, ROWS);
            black_box(extract)
        })
    });
    group.finish();
}

criterion_group!(benches, extract);
criterion_main!(benches);
