//! The reference validation workload (../shared/bench/peers.py) on the
//! flights data: (a) `datacontract::validate` against (b) a hand-written
//! Polars query computing the same counts, in the same run, at 1 and 4
//! copies of the data (3M and 12M rows).
//!
//! `DATACONTRACT_BENCH_DATA=path/to/flights-3m.parquet cargo bench --bench validate`
//! (default: `../shared/data/flights-3m.parquet`, beside the checkout).
//! pandera and dataframely run the same workload through peers.py; see the
//! README for the commands and the table.

use std::hint::black_box;
use std::path::PathBuf;

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use datacontract::DataContract;
use datacontract::validate::{Options, validate};
use polars::prelude::*;

/// The workload of peers.py as a contract: every check has severity error.
#[derive(DataContract)]
#[contract(
    name = "flights",
    dedup_key(date, delay, distance, origin, destination),
    rule("origin != destination")
)]
#[allow(dead_code)]
struct Flight {
    #[contract(min = "2001-01-01T00:00:00", max_exclusive = "2002-01-01T00:00:00")]
    date: chrono::NaiveDateTime,
    #[contract(min = -720, max = 1440)]
    delay: i64,
    #[contract(min_exclusive = 0, max = 5000)]
    distance: i64,
    #[contract(regex = "^[A-Z]{3}$")]
    origin: String,
    #[contract(regex = "^[A-Z]{3}$")]
    destination: String,
}

/// The data stacked `copies` times, copy i shifted by i seconds (as peers.py).
fn load(copies: i64) -> DataFrame {
    let path = std::env::var_os("DATACONTRACT_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/flights-3m.parquet")
        });
    assert!(
        path.exists(),
        "no benchmark data at {}: set DATACONTRACT_BENCH_DATA",
        path.display()
    );
    let scan = LazyFrame::scan_parquet(
        PlRefPath::from(path.to_string_lossy().as_ref()),
        Default::default(),
    )
    .expect("a Parquet file");
    let copies: Vec<LazyFrame> = (0..copies)
        .map(|i| {
            scan.clone()
                .with_column(col("date") + lit(Duration::parse(&format!("{i}s"))))
        })
        .collect();
    concat(
        copies,
        UnionArgs {
            rechunk: true,
            ..Default::default()
        },
    )
    .and_then(LazyFrame::collect)
    .expect("the flights data loads")
}

/// The same counts, written by hand: one select of failure sums.
fn hand_written(frame: &DataFrame) -> DataFrame {
    let start = lit(NaiveDate::from_ymd_opt(2001, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap());
    let end = lit(NaiveDate::from_ymd_opt(2002, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap());
    let code = |name: &str| col(name).str().contains(lit("^[A-Z]{3}$"), true).not();
    let key = as_struct(
        ["date", "delay", "distance", "origin", "destination"]
            .map(col)
            .to_vec(),
    );
    frame
        .clone()
        .lazy()
        .select([
            len(),
            col("date")
                .lt(start)
                .or(col("date").gt_eq(end))
                .sum()
                .alias("date"),
            col("delay")
                .lt(lit(-720))
                .or(col("delay").gt(lit(1440)))
                .sum()
                .alias("delay"),
            col("distance")
                .lt_eq(lit(0))
                .or(col("distance").gt(lit(5000)))
                .sum()
                .alias("distance"),
            code("origin").sum().alias("origin"),
            code("destination").sum().alias("destination"),
            col("origin").eq(col("destination")).sum().alias("rule"),
            key.is_duplicated().sum().alias("dedup"),
        ])
        .collect()
        .expect("the hand-written query runs")
}

fn workload(c: &mut Criterion) {
    let contract = Flight::contract();
    let options = Options {
        reference_time: Some(Utc.with_ymd_and_hms(2002, 1, 1, 0, 0, 0).unwrap()),
        ..Options::default()
    };
    let mut group = c.benchmark_group("flights");
    group.sample_size(10);
    for copies in [1, 4] {
        let frame = load(copies);
        let rows = frame.height() as u64;
        group.throughput(Throughput::Elements(rows));
        group.bench_with_input(
            BenchmarkId::new("hand_written", rows),
            &frame,
            |b, frame| b.iter(|| hand_written(black_box(frame))),
        );
        group.bench_with_input(
            BenchmarkId::new("datacontract", rows),
            &frame,
            |b, frame| b.iter(|| validate(black_box(frame.clone()), &contract, &options).unwrap()),
        );
    }
    group.finish();
}

criterion_group!(benches, workload);
criterion_main!(benches);
