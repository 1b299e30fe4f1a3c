//! How long each generator takes on a contract of every type, next to a
//! baseline measured in the same run: serializing the same contract to JSON
//! with serde (one plain walk over the same description).
//!
//! `cargo bench --bench generate`; report the ratio of each generator to
//! `baseline/serde_json`, not absolute times (these machines are shared).

use std::hint::black_box;

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use datacontract::DataContract;
use datacontract::schema::DdlOptions;

#[derive(DataContract)]
#[allow(dead_code)]
struct Address {
    street: String,
    zip: Option<String>,
}

/// A customer with a bit of everything.
#[derive(DataContract)]
#[contract(dedup_key(id), partition_by(day(seen_at)), cluster_by(country))]
#[allow(dead_code)]
struct Customer {
    /// The id.
    #[contract(min = 1)]
    id: i64,
    #[contract(regex = "^[A-Z]{2}$")]
    country: String,
    born: Option<NaiveDate>,
    seen_at: DateTime<Utc>,
    balance: rust_decimal::Decimal,
    tags: Vec<String>,
    address: Address,
    previous: Vec<Address>,
}

fn generators(c: &mut Criterion) {
    let contract = Customer::contract();
    let options = DdlOptions::default();
    let mut group = c.benchmark_group("generate");
    group.bench_function("baseline/serde_json", |b| {
        b.iter(|| serde_json::to_string(black_box(&contract)).unwrap())
    });
    group.bench_function("derive/contract", |b| b.iter(Customer::contract));
    group.bench_function("ddl", |b| {
        b.iter(|| black_box(&contract).ddl(&options).unwrap())
    });
    group.bench_function("bigquery_json", |b| {
        b.iter(|| black_box(&contract).bigquery_schema_json())
    });
    group.bench_function("json_schema", |b| {
        b.iter(|| black_box(&contract).json_schema())
    });
    group.bench_function("arrow", |b| b.iter(|| black_box(&contract).arrow_schema()));
    group.bench_function("polars", |b| {
        b.iter(|| black_box(&contract).polars_schema())
    });
    group.finish();
}

criterion_group!(benches, generators);
criterion_main!(benches);
