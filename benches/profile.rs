//! Where validation time goes: each check kind of the reference workload
//! (../shared/bench/peers.py) alone, on the flights data at 4 copies (12M
//! rows), beside the schema step alone, the examples query, the whole plan
//! and the hand-written Polars query, all in one run so their ratios hold
//! on a noisy machine.
//!
//! `cargo bench --no-default-features --bench profile`
//! (`DATACONTRACT_BENCH_DATA` and `DATACONTRACT_BENCH_COPIES` choose the
//! data and the copies; defaults `../shared/data/flights-3m.parquet`, 4).
//! Each case is the whole contract with every check removed but its own,
//! every column nullable unless the case is `not_null`; `schema` keeps no
//! check at all, so every other case costs its own time minus `schema`'s.
//! The cases a native kernel covers run twice: with the native kernels
//! (the default) and with Polars' own expressions (`…_polars`).

#[path = "support/flights.rs"]
mod flights;

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use datacontract::validate::{Kernels, Options, validate};
use datacontract::{
    Bound, Constraint, ConstraintKind, Contract, DataContract, Expectation, Literal, Mode,
    Severity, Statistic,
};

use flights::{Flight, data_path, hand_written, load};

/// The contract with no check: conformance and the row count only.
fn bare() -> Contract {
    let mut contract = Flight::contract();
    contract.dedup_key = None;
    contract.rules.clear();
    for field in &mut contract.fields {
        field.constraints.clear();
        field.expectations.clear();
        field.mode = Mode::Nullable;
    }
    contract
}

/// The bare contract with `constraint` on `column` alone.
fn constrained(column: &str, constraint: ConstraintKind) -> Contract {
    let mut contract = bare();
    let field = contract
        .fields
        .iter_mut()
        .find(|field| field.name == column)
        .expect("a flights column");
    field.constraints.push(Constraint {
        kind: constraint,
        severity: Severity::Error,
    });
    contract
}

/// The bare contract with `statistics` expected of `delay`, with bounds
/// every value passes.
fn expecting(statistics: &[Statistic]) -> Contract {
    let mut contract = bare();
    let delay = contract
        .fields
        .iter_mut()
        .find(|field| field.name == "delay")
        .expect("a delay column");
    for statistic in statistics {
        delay.expectations.push(Expectation {
            statistic: statistic.clone(),
            min: Some(Literal::Float(-1e12)),
            max: None,
            severity: Severity::Error,
            approximate: false,
        });
    }
    contract
}

/// The cases a native kernel covers, timed with Polars' expressions too.
const KERNEL_CASES: &[&str] = &[
    "regex_origin",
    "regex_destination",
    "dedup_key",
    "whole_plan",
];

fn bound(value: Literal, inclusive: bool) -> Option<Bound> {
    Some(Bound { value, inclusive })
}

/// Every case: its name, its contract, and whether examples are fetched.
fn cases() -> Vec<(&'static str, Contract, usize)> {
    let whole = Flight::contract();
    let mut not_null = bare();
    for field in &mut not_null.fields {
        field.mode = Mode::Required;
    }
    let mut rule = bare();
    rule.rules = whole.rules.clone();
    let mut key = bare();
    key.dedup_key = whole.dedup_key.clone();
    let regex = || ConstraintKind::Regex {
        pattern: "^[A-Z]{3}$".into(),
    };
    // Half the delays fail: the examples query has rows to fetch.
    let half_failing = || ConstraintKind::Range {
        min: None,
        max: bound(Literal::Int(0), true),
    };
    vec![
        ("schema", bare(), 0),
        ("not_null", not_null, 0),
        (
            "range_int",
            constrained(
                "delay",
                ConstraintKind::Range {
                    min: bound(Literal::Int(-720), true),
                    max: bound(Literal::Int(1440), true),
                },
            ),
            0,
        ),
        (
            "range_timestamp",
            constrained(
                "date",
                ConstraintKind::Range {
                    min: bound(Literal::String("2001-01-01T00:00:00".into()), true),
                    max: bound(Literal::String("2002-01-01T00:00:00".into()), false),
                },
            ),
            0,
        ),
        ("regex_origin", constrained("origin", regex()), 0),
        ("regex_destination", constrained("destination", regex()), 0),
        ("row_rule", rule, 0),
        ("dedup_key", key, 0),
        (
            "statistics_moments",
            expecting(&[
                Statistic::Mean,
                Statistic::Stddev,
                Statistic::Min,
                Statistic::Max,
                Statistic::Sum,
                Statistic::NullFraction,
            ]),
            0,
        ),
        (
            "statistic_quantile",
            expecting(&[Statistic::Quantile { q: 0.5 }]),
            0,
        ),
        (
            "statistic_distinct_count",
            expecting(&[Statistic::DistinctCount]),
            0,
        ),
        ("failing_half", constrained("delay", half_failing()), 0),
        (
            "failing_half_examples",
            constrained("delay", half_failing()),
            10,
        ),
        ("whole_plan", whole, 10),
    ]
}

fn profile(c: &mut Criterion) {
    let copies = std::env::var("DATACONTRACT_BENCH_COPIES")
        .ok()
        .and_then(|copies| copies.parse().ok())
        .unwrap_or(4);
    let frame = load(&data_path(), copies);
    let rows = frame.height() as u64;
    let mut group = c.benchmark_group("profile");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rows));
    group.bench_with_input(
        BenchmarkId::new("hand_written", rows),
        &frame,
        |b, frame| b.iter(|| hand_written(black_box(frame))),
    );
    for (name, contract, max_examples) in cases() {
        let mut variants = vec![(name.to_string(), Kernels::Native)];
        if KERNEL_CASES.contains(&name) {
            variants.push((format!("{name}_polars"), Kernels::Polars));
        }
        for (variant, kernels) in variants {
            let options = Options {
                reference_time: Some(Utc.with_ymd_and_hms(2002, 1, 1, 0, 0, 0).unwrap()),
                max_examples,
                kernels,
                ..Options::default()
            };
            group.bench_with_input(BenchmarkId::new(variant, rows), &frame, |b, frame| {
                b.iter(|| validate(black_box(frame.clone()), &contract, &options).unwrap())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, profile);
criterion_main!(benches);
