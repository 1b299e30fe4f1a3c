//! The reference validation workload (../shared/bench/peers.py) on the
//! flights data: (a) `datacontract::validate` against (b) a hand-written
//! Polars query computing the same counts, in the same run, at 1 and 4
//! copies of the data (3M and 12M rows).
//!
//! `DATACONTRACT_BENCH_DATA=path/to/flights-3m.parquet cargo bench --bench validate`
//! (default: `../shared/data/flights-3m.parquet`, beside the checkout).
//! pandera and dataframely run the same workload through peers.py; see the
//! README for the commands and the table.

#[path = "support/flights.rs"]
mod flights;

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use datacontract::DataContract;
use datacontract::validate::{Options, validate};

use flights::{Flight, data_path, hand_written, load};

fn workload(c: &mut Criterion) {
    let contract = Flight::contract();
    let options = Options {
        reference_time: Some(Utc.with_ymd_and_hms(2002, 1, 1, 0, 0, 0).unwrap()),
        ..Options::default()
    };
    let mut group = c.benchmark_group("flights");
    group.sample_size(10);
    for copies in [1, 4] {
        let frame = load(&data_path(), copies);
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
