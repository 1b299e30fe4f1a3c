//! Approximate statistics: `approximate = true` on a quantile or a distinct
//! count lets a warehouse measure it with its sketch (DuckDB's
//! `approx_quantile` and `approx_count_distinct`, BigQuery's
//! `APPROX_QUANTILES` and `APPROX_COUNT_DISTINCT`) instead of a sort or a
//! set of every value. The report marks those values approximate, and the
//! verdict is taken on them; in memory the same contract measures exactly
//! and marks nothing.

use datacontract::report::{CheckResult, Report, Status};
use datacontract::validate::{Options, Rows, validate, validate_in_warehouse};
use datacontract::{Contract, DataContract, Literal, Statistic};
use polars::prelude::*;

use crate::support::warehouse::{Setup, emulators, local};

/// Readings of 1 500 sensors at 40 sites.
#[derive(DataContract)]
#[contract(name = "readings")]
#[allow(dead_code)]
struct Reading {
    id: i64,
    #[contract(expect(distinct_count(min = 1, approximate = true)))]
    sensor: String,
    #[contract(expect(quantile(q = 0.9, max = 1e9, approximate = true), mean(max = 1e9)))]
    value: f64,
    #[contract(expect(distinct_count(min = 1)))]
    site: String,
}

const ROWS: i64 = 20_000;
const SENSORS: i64 = 1_500;
const SITES: i64 = 40;
/// The exact 0.9 quantile (linear interpolation) of the values, a
/// permutation of 0 … 19 999.
const VALUE_P90: f64 = 17_999.1;

fn readings() -> DataFrame {
    let ids: Vec<i64> = (0..ROWS).collect();
    df!(
        "id" => &ids,
        "sensor" => ids.iter().map(|i| format!("s{}", i % SENSORS)).collect::<Vec<_>>(),
        "value" => ids.iter().map(|i| (i * 7_919 % ROWS) as f64).collect::<Vec<_>>(),
        "site" => ids.iter().map(|i| format!("site{}", i % SITES)).collect::<Vec<_>>(),
    )
    .unwrap()
}

fn check<'a>(report: &'a Report, id: &str) -> &'a CheckResult {
    report
        .checks
        .iter()
        .find(|check| check.id == id)
        .unwrap_or_else(|| panic!("no check {id} in\n{}", report.render_text(false)))
}

fn observed(check: &CheckResult) -> f64 {
    check
        .observed
        .as_ref()
        .and_then(|value| value.as_f64())
        .unwrap_or_else(|| panic!("{} observed no number: {:?}", check.id, check.observed))
}

/// The contract with the sensors' distinct count required above `min`.
fn requiring_sensors(min: i64) -> Contract {
    let mut contract = Reading::contract();
    let sensor = contract
        .fields
        .iter_mut()
        .find(|field| field.name == "sensor")
        .unwrap();
    assert_eq!(sensor.expectations[0].statistic, Statistic::DistinctCount);
    sensor.expectations[0].min = Some(Literal::Int(min));
    contract
}

#[test]
fn in_memory_approximate_statistics_are_exact_and_unmarked() {
    let report = validate(readings(), &Reading::contract(), &Options::default()).unwrap();
    let sensors = check(&report, "sensor.distinct_count");
    let p90 = check(&report, "value.quantile_0.9");
    assert_eq!(observed(sensors), SENSORS as f64);
    assert!(
        (observed(p90) - VALUE_P90).abs() < 1e-9,
        "{}",
        observed(p90)
    );
    assert!(report.checks.iter().all(|check| !check.approximate));
    assert!(!report.render_markdown().contains('≈'));
}

fn approximate_in_the_warehouse(setup: &Setup) {
    let table = setup.load("readings", &Reading::contract(), &readings());
    let validate_with = |contract: &Contract| {
        validate_in_warehouse(
            setup.warehouse.as_ref(),
            &table,
            Rows::All,
            contract,
            &Options::default(),
        )
        .unwrap()
    };
    let report = validate_with(&Reading::contract());
    let sensors = check(&report, "sensor.distinct_count");
    let p90 = check(&report, "value.quantile_0.9");
    for approximate in [sensors, p90] {
        assert!(approximate.approximate, "{approximate:?}");
        assert_eq!(approximate.status, Status::Pass, "{approximate:?}");
    }
    // Sketches, not guesses: near the exact values (DuckDB's HyperLogLog
    // finds 1 563 of the 1 500 sensors, 4 % off).
    let sensors_error = (observed(sensors) / SENSORS as f64 - 1.0).abs();
    assert!(
        sensors_error < 0.1,
        "{} distinct sensors",
        observed(sensors)
    );
    let p90_error = (observed(p90) / VALUE_P90 - 1.0).abs();
    assert!(p90_error < 0.02, "0.9 quantile {}", observed(p90));
    // What the contract did not mark stays exact.
    let sites = check(&report, "site.distinct_count");
    assert!(!sites.approximate);
    assert_eq!(observed(sites), SITES as f64);
    assert!(!check(&report, "value.mean").approximate);
    let markdown = report.render_markdown();
    assert!(
        markdown.contains(&format!("≈ {}", sensors.observed.as_ref().unwrap())),
        "{markdown}"
    );
    assert_eq!(markdown.matches('≈').count(), 2, "{markdown}");

    // The verdict is taken on the approximate value.
    let report = validate_with(&requiring_sensors(10 * SENSORS));
    let sensors = check(&report, "sensor.distinct_count");
    assert_eq!(sensors.status, Status::Fail, "{sensors:?}");
    assert!(sensors.approximate);
}

#[test]
fn duckdb_measures_marked_statistics_with_its_sketches() {
    approximate_in_the_warehouse(&local("approximate"));
}

#[test]
fn bigquery_measures_marked_statistics_with_its_sketches() {
    approximate_in_the_warehouse(&emulators("approximate"));
}
