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
//!
//! Before timing, it measures memory: the peak resident set of one read of
//! 250,000 rows and of 1M rows (the kernel's high-water mark, reset before
//! each read through `/proc/self/clear_refs`), beside the frame's own size.
//! What the read holds beyond the frame it returns must not grow with the
//! table: that is what bounded memory means for a source whose frame is
//! the run's raw data.

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

#[path = "support/memory.rs"]
mod memory;

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
    // The test servers present a certificate from a throwaway CA.
    let ca_file = std::env::var("DATACONTRACT_DATABASES_TEST_CA")
        .expect("DATACONTRACT_DATABASES_TEST_CA: eval \"$(scripts/databases.sh env)\"");
    let folder = tempfile::tempdir().unwrap();
    let password_file = folder.path().join("password");
    std::fs::write(&password_file, &password).unwrap();
    // Layers reading `what` (`database_table` or `database_query`).
    let layers_reading = |what: &str, value: &str| {
        let catalogue = Catalogue::default().with(SOURCE.settings());
        let mut layers = Layers::load(&catalogue, folder.path(), None, &|_| None).unwrap();
        for (key, value) in [
            ("source", "postgres".to_string()),
            ("database_url", url.clone()),
            (
                "database_password_file",
                password_file.display().to_string(),
            ),
            ("database_ca_file", ca_file.clone()),
            (what, value.to_string()),
        ] {
            layers.set_flag(key, value).unwrap();
        }
        layers
    };
    let layers = layers_reading("database_table", "bench.events");
    let config = layers.resolve().unwrap();
    let store = LocalStore::new(folder.path().join("store")).unwrap();
    let contract = Event::contract();
    let extractor = SOURCE.configure(&layers).unwrap();

    for rows in [250_000, ROWS] {
        let query = format!("SELECT * FROM bench.events WHERE id <= {rows}");
        let reader = SOURCE
            .configure(&layers_reading("database_query", &query))
            .unwrap();
        let before = memory::resident();
        memory::reset_peak();
        let extract = reader
            .extract(&config, &store, &contract, &ProgressBar::hidden())
            .unwrap();
        let peak = memory::peak();
        let frame = extract.frame.estimated_size() as u64;
        let beyond = peak.saturating_sub(before).saturating_sub(frame);
        println!(
            "memory: {rows} rows: frame {} MiB, peak growth {} MiB, beyond the frame {} MiB",
            frame >> 20,
            peak.saturating_sub(before) >> 20,
            beyond >> 20
        );
    }

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
