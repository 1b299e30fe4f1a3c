//! Validation pushed down into DuckDB against validation in Polars, on the
//! same 3M flights rows, in the same run: `validate_in_warehouse` sends one
//! aggregate query (and LIMITed example queries) to an in-memory DuckDB
//! holding the rows; `validate` evaluates the same checks in Polars on the
//! frame; the hand-written Polars query of benches/validate.rs is the
//! baseline. Loading the rows into DuckDB happens once, outside the timing.
//! The DuckDB plan is also timed in parts: without the examples queries,
//! without the dedup key, and the key alone.
//!
//! `DATACONTRACT_BENCH_DATA=path/to/flights-3m.parquet cargo bench --bench pushdown`

#[path = "support/flights.rs"]
mod flights;

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datacontract::sql::TableRef;
use datacontract::store::{LocalStore, write_partition};
use datacontract::validate::{Options, Rows, validate, validate_in_warehouse};
use datacontract::warehouse::{DuckDbWarehouse, LoadMode, Warehouse, landing_contract};
use datacontract::{DataContract, Mode};

use flights::{Flight, data_path, hand_written, load};

fn workload(c: &mut Criterion) {
    let contract = Flight::contract();
    let options = Options {
        reference_time: Some(Utc.with_ymd_and_hms(2002, 1, 1, 0, 0, 0).unwrap()),
        ..Options::default()
    };
    let frame = load(&data_path(), 1);
    let rows = frame.height() as u64;

    let root = std::env::temp_dir().join(format!("datacontract-bench-{}", std::process::id()));
    let store = LocalStore::new(&root).unwrap();
    let created = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let partition = write_partition(&store, "bench", "flights", created, &frame).unwrap();
    let warehouse = DuckDbWarehouse::in_memory().unwrap();
    let table = TableRef::new("bench", "flights").unwrap();
    let as_is = landing_contract(&contract).unwrap();
    warehouse.ensure_dataset("bench").unwrap();
    warehouse.create_table(&table, &as_is).unwrap();
    warehouse
        .load_partition(&table, &as_is, &store, &partition, LoadMode::Append)
        .unwrap();
    std::fs::remove_dir_all(&root).unwrap();

    let mut group = c.benchmark_group("pushdown");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rows));
    group.bench_function("hand_written", |b| {
        b.iter(|| hand_written(black_box(&frame)))
    });
    group.bench_function("polars", |b| {
        b.iter(|| validate(black_box(frame.clone()), &contract, &options).unwrap())
    });
    // The whole plan, then its parts: where DuckDB's time goes.
    let no_examples = Options {
        max_examples: 0,
        ..options.clone()
    };
    let mut without_key = contract.clone();
    without_key.dedup_key = None;
    let mut key_alone = contract.clone();
    key_alone.rules.clear();
    for field in &mut key_alone.fields {
        field.constraints.clear();
        field.expectations.clear();
        field.mode = Mode::Nullable;
    }
    for (case, contract, options) in [
        ("duckdb", &contract, &options),
        ("duckdb_no_examples", &contract, &no_examples),
        ("duckdb_without_key", &without_key, &options),
        ("duckdb_key_alone", &key_alone, &no_examples),
    ] {
        group.bench_function(case, |b| {
            b.iter(|| {
                validate_in_warehouse(&warehouse, black_box(&table), Rows::All, contract, options)
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, workload);
criterion_main!(benches);
