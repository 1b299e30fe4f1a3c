//! `contracts suggest` on the 3M-row flights data, against two baselines
//! in the same run: the reference workload's hand-written Polars query and
//! its validation (one pass of the flights contract's checks). Before
//! timing, the suggestion is checked to pass on its own input.
//!
//! `DATACONTRACT_BENCH_DATA=path/to/flights-3m.parquet cargo bench --bench suggest`
//! (default: `../shared/data/flights-3m.parquet`, beside the checkout).

#[path = "support/flights.rs"]
mod flights;

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datacontract::DataContract;
use datacontract::report::Status;
use datacontract::suggest::{FrameProfiler, SuggestOptions, suggest};
use datacontract::validate::{Options, validate};

use flights::{Flight, data_path, hand_written, load};

fn suggest_flights(c: &mut Criterion) {
    let frame = load(&data_path(), 1);
    let data = FrameProfiler::new(frame.clone(), "flights".into(), &Default::default()).unwrap();
    let options = SuggestOptions::default();
    let suggestion = suggest(&data, "flights", &options).unwrap();
    let report = validate(frame.clone(), &suggestion.contract, &Options::default()).unwrap();
    let failing: Vec<&str> = report
        .checks
        .iter()
        .filter(|check| check.status != Status::Pass)
        .map(|check| check.id.as_str())
        .collect();
    assert!(
        failing.is_empty(),
        "the flights fail their suggestion: {failing:?}"
    );
    eprintln!(
        "suggested for the flights ({} checks, all passing), keys {:?}:\n{:#?}",
        report.checks.len(),
        suggestion.keys,
        suggestion.contract
    );

    let reference = Flight::contract();
    let reference_options = Options {
        reference_time: Some(Utc.with_ymd_and_hms(2002, 1, 1, 0, 0, 0).unwrap()),
        ..Options::default()
    };
    let mut group = c.benchmark_group("suggest");
    group.sample_size(10);
    group.throughput(Throughput::Elements(frame.height() as u64));
    group.bench_function("hand_written_reference_query", |b| {
        b.iter(|| hand_written(black_box(&frame)))
    });
    group.bench_function("validate_reference_contract", |b| {
        b.iter(|| validate(black_box(frame.clone()), &reference, &reference_options).unwrap())
    });
    group.bench_function("suggest", |b| {
        b.iter(|| suggest(black_box(&data), "flights", &options).unwrap())
    });
    group.finish();
}

criterion_group!(benches, suggest_flights);
criterion_main!(benches);
