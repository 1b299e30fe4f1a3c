//! The klines transform has two forms, Polars in this process and SQL in
//! the warehouse, and they must make the same bars. On the bundled sample
//! and on proptest-chosen klines (a day and more of hourly bars, so that
//! volatilities and outliers exist; duplicates, late corrections, gaps,
//! zero-volume hours, price jumps, two symbols, shuffled arrival), the
//! Polars transform, the SQL transform on DuckDB and the SQL transform on
//! bqemulator must produce the same processed rows: integers, text,
//! booleans and times exactly, floats within a relative 1e-9 (1e-12
//! absolute near zero). Each SQL run goes the pipeline's way: the klines
//! land and load into a staging table, the transform writes the processed
//! partition in the warehouse, the warehouse exports it to the store, and
//! what is compared is the exported Parquet, read back. The two SQL
//! reconciliations must measure what their Polars forms measure. The
//! BigQuery side needs the emulators that scripts/test.sh starts; without
//! them this test fails.

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, TimeZone, Utc};
use datacontract::DataContract;
use datacontract::pipeline::in_warehouse::InWarehouse;
use datacontract::pipeline::landing::land;
use datacontract::pipeline::records_to_frame;
use datacontract::sql::TableRef;
use datacontract::store::layout::PartitionKey;
use datacontract::store::{GcsStore, LocalStore, ObjectStore, read_partition};
use datacontract::warehouse::{
    BigQueryWarehouse, DuckDbWarehouse, LoadMode, Warehouse, landing_contract,
};
use datacontract_contracts::sql_transform::sql_transform;
use datacontract_contracts::transform::transform;
use datacontract_contracts::{ProcessedKline, RawKline, pipeline};
use polars::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use rust_decimal::Decimal;

use crate::support::generated::engine_runner;
use crate::support::runs::Emulators;

/// Floats agree within this relative difference…
const RELATIVE: f64 = 1e-9;
/// …or this absolute one, near zero.
const ABSOLUTE: f64 = 1e-12;

/// A warehouse and the store it exports to.
struct Engine {
    name: &'static str,
    warehouse: Box<dyn Warehouse>,
    store: Box<dyn ObjectStore>,
}

fn engines(run: &str) -> Vec<Engine> {
    let emulators = Emulators::from_env();
    let root = std::env::temp_dir().join(format!("datacontract-{run}"));
    let _ = std::fs::remove_dir_all(&root);
    let gcs = GcsStore::emulator(&run.replace('_', "-"), &emulators.gcs).unwrap();
    gcs.create_bucket().unwrap();
    vec![
        Engine {
            name: "DuckDB",
            warehouse: Box::new(DuckDbWarehouse::in_memory().unwrap()),
            store: Box::new(LocalStore::new(root).unwrap()),
        },
        Engine {
            name: "BigQuery",
            warehouse: Box::new(
                BigQueryWarehouse::emulator("test-proj", &format!("http://{}", emulators.bigquery))
                    .unwrap(),
            ),
            store: Box::new(gcs),
        },
    ]
}

/// What one engine made of a raw frame: the exported bars and each
/// reconciliation's two numbers.
struct Made {
    bars: DataFrame,
    reconciliations: Vec<(String, f64, f64)>,
}

/// Lands and loads `raw` into `dataset`'s staging raw table, runs the SQL
/// transform (told that the raw gate judged `gated` rows), exports the
/// processed partition and reads it back.
fn in_warehouse(
    engine: &Engine,
    raw: &DataFrame,
    dataset: &str,
    gated: usize,
) -> Result<Made, String> {
    let (warehouse, store) = (engine.warehouse.as_ref(), engine.store.as_ref());
    let (raw_contract, processed) = (RawKline::contract(), ProcessedKline::contract());
    let created_at = Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap();
    let staging_raw = TableRef::new(dataset, "raw").unwrap();
    let staging_processed = TableRef::new(dataset, "processed").unwrap();
    let landed = land(store, dataset, "raw", created_at, raw).map_err(|e| e.to_string())?;
    let landing = landing_contract(&raw_contract).unwrap();
    warehouse
        .ensure_dataset(dataset)
        .map_err(|e| e.to_string())?;
    warehouse
        .create_table(&staging_raw, &landing)
        .map_err(|e| e.to_string())?;
    warehouse
        .load_partition(&staging_raw, &landing, store, &landed.key, LoadMode::Append)
        .map_err(|e| e.to_string())?;
    let run = InWarehouse {
        warehouse,
        raw: &raw_contract,
        processed: &processed,
        staging_raw: &staging_raw,
        staging_processed: &staging_processed,
        raw_partition: landed.key.created_at,
        run_rows: gated as u64,
        mode: LoadMode::Append,
        created_at,
        updated_at: created_at,
        history: None,
    };
    let rows = run.transform(&sql_transform()).map_err(|e| e.to_string())?;
    let key = PartitionKey::new(dataset, "processed", created_at, 0).unwrap();
    warehouse
        .export_partition(&staging_processed, &processed, store, &key)
        .map_err(|e| e.to_string())?;
    let bars =
        read_partition(store, dataset, "processed", Some(created_at)).map_err(|e| e.to_string())?;
    if bars.height() as u64 != rows {
        return Err(format!("{rows} rows made, {} exported", bars.height()));
    }
    let reconciliations = pipeline()
        .reconciliations
        .iter()
        .map(|reconciliation| {
            run.reconcile(reconciliation)
                .map(|r| (r.name, r.input, r.output))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    Ok(Made {
        bars,
        reconciliations,
    })
}

/// `frame` in key order, in the Polars transform's dtypes.
fn in_key_order(frame: &DataFrame, schema: &Schema) -> DataFrame {
    let casts: Vec<Expr> = schema
        .iter()
        .map(|(name, dtype)| col(name.clone()).cast(dtype.clone()))
        .collect();
    frame
        .clone()
        .lazy()
        .select(casts)
        .sort(["symbol", "bar_start"], SortMultipleOptions::default())
        .collect()
        .unwrap()
}

/// Whether two floats agree (NULLs and NaNs agree with themselves).
fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) if a.is_nan() || b.is_nan() => a.is_nan() && b.is_nan(),
        (Some(a), Some(b)) => (a - b).abs() <= ABSOLUTE.max(RELATIVE * a.abs().max(b.abs())),
        (a, b) => a.is_none() && b.is_none(),
    }
}

/// The first difference between two frames of bars, if any.
fn difference(expected: &DataFrame, actual: &DataFrame) -> Option<String> {
    if expected.height() != actual.height() {
        return Some(format!(
            "{} bars expected, {} made",
            expected.height(),
            actual.height()
        ));
    }
    for (want, have) in expected.columns().iter().zip(actual.columns()) {
        let name = want.name();
        if want.dtype() == &DataType::Float64 {
            let (want, have) = (want.f64().unwrap(), have.f64().unwrap());
            if let Some(row) = (0..want.len()).find(|&row| !close(want.get(row), have.get(row))) {
                return Some(format!(
                    "{name} of bar {row}: {:?} expected, {:?} made",
                    want.get(row),
                    have.get(row)
                ));
            }
        } else if !want
            .as_materialized_series()
            .equals_missing(have.as_materialized_series())
        {
            let row = (0..want.len())
                .find(|&row| want.get(row).ok() != have.get(row).ok())
                .unwrap_or(0);
            return Some(format!(
                "{name} of bar {row}: {:?} expected, {:?} made",
                want.get(row).ok(),
                have.get(row).ok()
            ));
        }
    }
    None
}

/// What the compared bars held, over every case: a comparison of NULL
/// volatilities and no outliers would prove little.
#[derive(Default)]
struct Seen {
    volatilities: AtomicUsize,
    outliers: AtomicUsize,
    zero_volume_hours: AtomicUsize,
}

impl Seen {
    fn count(&self, bars: &DataFrame) {
        let column = |name: &str| bars.column(name).unwrap();
        let volatilities = bars.height() - column("volatility_24h").null_count();
        let outliers = column("is_outlier").bool().unwrap().sum().unwrap_or(0) as usize;
        let volume = column("volume").f64().unwrap();
        let zero_volume = (0..volume.len())
            .filter(|&row| volume.get(row) == Some(0.0))
            .count();
        self.volatilities.fetch_add(volatilities, Ordering::SeqCst);
        self.outliers.fetch_add(outliers, Ordering::SeqCst);
        self.zero_volume_hours
            .fetch_add(zero_volume, Ordering::SeqCst);
    }
}

/// Polars and both warehouses make the same bars from `raw`, and the same
/// reconciliation numbers.
fn assert_forms_agree(
    engines: &[Engine],
    raw: &DataFrame,
    dataset: &str,
    seen: &Seen,
) -> Result<(), TestCaseError> {
    let expected = transform(raw.clone().lazy()).unwrap().collect().unwrap();
    let schema = expected.schema().clone();
    let expected = in_key_order(&expected, &schema);
    seen.count(&expected);
    let reconciled: Vec<(String, f64, f64, bool)> = pipeline()
        .reconciliations
        .iter()
        .map(|r| {
            let result = r.check(raw, &expected).unwrap();
            (result.name, result.input, result.output, result.passed)
        })
        .collect();
    // The expectations hold of the transform's own output: a failure is a
    // false alarm at gate 2 (or a transform that loses rows).
    for (name, input, output, passed) in &reconciled {
        prop_assert!(passed, "Polars: {name} failed: {input} → {output}");
    }
    for engine in engines {
        let made = in_warehouse(engine, raw, dataset, raw.height())
            .map_err(|error| TestCaseError::fail(format!("{}: {error}", engine.name)))?;
        let bars = in_key_order(&made.bars, &schema);
        if let Some(difference) = difference(&expected, &bars) {
            return Err(TestCaseError::fail(format!(
                "{} disagrees with Polars: {difference}\nPolars:\n{expected}\n{}:\n{bars}",
                engine.name, engine.name
            )));
        }
        for ((name, input, output, _), (_, sql_input, sql_output)) in
            reconciled.iter().zip(&made.reconciliations)
        {
            prop_assert!(
                close(Some(*input), Some(*sql_input)) && close(Some(*output), Some(*sql_output)),
                "{}: {name} measured {sql_input} → {sql_output}, Polars {input} → {output}",
                engine.name
            );
        }
    }
    Ok(())
}

/// The bundled sample's klines, as the sample source reads them.
fn sample() -> DataFrame {
    let pages: Vec<serde_json::Value> =
        serde_json::from_str(datacontract_contracts::sample::SAMPLE).unwrap();
    let klines: Vec<RawKline> = pages
        .iter()
        .flat_map(|page| page.as_array().unwrap().clone())
        .map(|kline| RawKline::from_binance(&kline, "BTCUSDT", "1m").unwrap())
        .collect();
    records_to_frame(&klines, &RawKline::contract()).unwrap()
}

/// One generated kline: a minute of an hour of a symbol, its prices.
#[derive(Debug, Clone)]
struct Minute {
    symbol: usize,
    hour: i64,
    minute: i64,
    open: i64,
    close: i64,
    spread: i64,
    volume: i64,
    trades: i64,
}

/// A kline, prices in cents.
fn kline(minute: &Minute) -> RawKline {
    let start = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
    let open_time: DateTime<Utc> =
        start + Duration::hours(minute.hour) + Duration::minutes(minute.minute);
    let cents = |value: i64| Decimal::new(value, 2);
    let (low, high) = (
        minute.open.min(minute.close) - minute.spread,
        minute.open.max(minute.close) + minute.spread,
    );
    RawKline {
        open_time,
        open: cents(minute.open),
        high: cents(high),
        low: cents(low.max(1)),
        close: cents(minute.close),
        volume: Decimal::new(minute.volume, 3),
        close_time: open_time + Duration::milliseconds(59_999),
        quote_asset_volume: Decimal::new(minute.volume * minute.close, 5),
        number_of_trades: minute.trades,
        taker_buy_base_asset_volume: Decimal::ZERO,
        taker_buy_quote_asset_volume: Decimal::ZERO,
        symbol: ["BTCUSDT", "ETHUSDT"][minute.symbol].to_string(),
        interval: "1m".into(),
    }
}

/// Klines of two symbols over 20 to 32 hours: one kline in every hour
/// (but for up to two missing hours), so rolling windows fill, and up to
/// 120 more anywhere; prices that drift and jump, hours with no volume,
/// exact duplicates and late corrections, in shuffled arrival order.
fn klines() -> impl Strategy<Value = Vec<RawKline>> {
    let price = || prop_oneof![8 => 5_000..5_200i64, 1 => 15_000..16_000i64];
    let minute = move |hours: i64| {
        (
            0..2usize,
            0..hours,
            0..60i64,
            price(),
            price(),
            0..50i64,
            prop_oneof![3 => Just(0i64), 7 => 0..2_000_000i64],
            0..500i64,
        )
            .prop_map(
                |(symbol, hour, minute, open, close, spread, volume, trades)| Minute {
                    symbol,
                    hour,
                    minute,
                    open,
                    close,
                    spread,
                    volume,
                    trades,
                },
            )
    };
    (20..33i64)
        .prop_flat_map(move |hours| {
            (
                proptest::collection::vec(minute(hours), (2 * hours) as usize),
                proptest::collection::vec(minute(hours), 0..120),
                proptest::collection::vec(0..hours, 0..3),
                proptest::collection::vec((any::<prop::sample::Index>(), any::<bool>()), 0..10),
            )
        })
        .prop_map(|(mut every_hour, more, missing, repeats)| {
            for (slot, minute) in every_hour.iter_mut().enumerate() {
                minute.symbol = slot % 2;
                minute.hour = slot as i64 / 2;
            }
            every_hour.retain(|minute| !missing.contains(&minute.hour));
            let mut klines: Vec<RawKline> = every_hour.iter().chain(&more).map(kline).collect();
            for (index, corrected) in repeats {
                let mut again = index.get(&klines).clone();
                if corrected {
                    again.close += Decimal::ONE;
                    again.high += Decimal::ONE;
                    again.volume += Decimal::ONE;
                }
                klines.push(again);
            }
            klines
        })
        .prop_flat_map(|klines| Just(klines).prop_shuffle())
}

/// A transform whose input no longer holds the rows the raw gate judged
/// (another run truncated staging in between) fails in the statement that
/// reads it, and writes no processed row.
#[test]
fn a_transform_that_reads_other_rows_than_were_gated_writes_nothing() {
    let run = format!("transform_guard{}", std::process::id());
    for engine in engines(&run) {
        let dataset = format!("{run}_{}", engine.name.to_lowercase());
        let raw = sample();
        let error = in_warehouse(&engine, &raw, &dataset, raw.height() + 1)
            .err()
            .unwrap_or_else(|| panic!("{}: the transform ran", engine.name));
        assert!(
            error.contains("no longer holds the rows this run gated"),
            "{}: {error}",
            engine.name
        );
        let processed = TableRef::new(&dataset, "processed").unwrap();
        assert_eq!(
            engine.warehouse.row_count(&processed).unwrap(),
            0,
            "{}",
            engine.name
        );
    }
}

#[test]
fn the_sql_transform_makes_the_polars_bars_on_duckdb_and_bigquery() {
    let run = format!("transform{}", std::process::id());
    let engines = engines(&run);
    let seen = Seen::default();
    assert_forms_agree(&engines, &sample(), &format!("{run}_sample"), &seen).unwrap();
    let counter = AtomicUsize::new(0);
    engine_runner(6)
        .run(&klines(), |klines| {
            let raw = records_to_frame(&klines, &RawKline::contract()).unwrap();
            let case = counter.fetch_add(1, Ordering::SeqCst);
            assert_forms_agree(&engines, &raw, &format!("{run}_{case}"), &seen)
        })
        .unwrap();
    for (what, count) in [
        ("volatility", &seen.volatilities),
        ("outlier", &seen.outliers),
        ("hour without volume", &seen.zero_volume_hours),
    ] {
        assert!(
            count.load(Ordering::SeqCst) > 0,
            "no compared bar had a {what}: the comparison proved little"
        );
    }
}
