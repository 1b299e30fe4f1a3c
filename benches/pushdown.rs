//! Validation pushed down into DuckDB against validation in Polars, on the
//! same 3M flights rows, in the same run: `validate_in_warehouse` sends one
//! aggregate query (and LIMITed example queries) to an in-memory DuckDB
//! holding the rows; `validate` evaluates the same checks in Polars on the
//! frame; the hand-written Polars query of benches/validate.rs is the
//! baseline. Loading the rows into DuckDB happens once, outside the timing.
//!
//! `DATACONTRACT_BENCH_DATA=path/to/flights-3m.parquet cargo bench --bench pushdown`

#[path = "support/flights.rs"]
mod flights;

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datacontract::DataContract;
use datacontract::sql::TableRef;
use datacontract::store::{LocalStore, write_partition};
use datacontract::validate::{Options, Rows, validate, validate_in_warehouse};
use datacontract::warehouse::{DuckDbWarehouse, LoadMode, Warehouse, landing_contract};

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
    group.bench_function("duckdb", |b| {
        b.iter(|| {
            validate_in_warehouse(
                &warehouse,
                black_box(&table),
                Rows::All,
                &contract,
                &options,
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, workload);
criterion_main!(benches);
