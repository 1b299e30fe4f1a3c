//! Every warehouse operation against both setups:
//! - a local folder with DuckDB;
//! - fake-gcs-server with bqemulator, where the BigQuery load job reads the
//!   very Parquet the GCS store wrote.
//!
//! The emulators are started by scripts/test.sh, which sets
//! DATACONTRACT_GCS_EMULATOR and BIGQUERY_EMULATOR_HOST; without them the
//! emulator tests fail, naming the script.

use crate::support::trades;
use crate::support::warehouse::{Setup, emulators, local};

use datacontract::DataContract;
use datacontract::sql::{Dialect, Query, SqlValue, TableRef};
use datacontract::store::write_partition;
use datacontract::validate::{Options, Rows, validate_in_warehouse};
use datacontract::warehouse::{Blame, LoadMode, WarehouseError, landing_contract};
use polars::prelude::*;
use serde_json::json;
use trades::{Trade, at, prices_by_id, trades};

fn datasets_and_tables_are_created_idempotently(setup: &Setup) {
    let contract = Trade::contract();
    let table = setup.table("trades");
    setup.warehouse.ensure_dataset(&setup.dataset).unwrap();
    setup.warehouse.ensure_dataset(&setup.dataset).unwrap();
    let drift = setup.warehouse.drift(&table, &contract).unwrap();
    assert!(!drift.table_exists);
    assert_eq!(drift.missing.len(), 7, "{drift:?}");
    setup.warehouse.create_table(&table, &contract).unwrap();
    setup.warehouse.create_table(&table, &contract).unwrap();
    let drift = setup.warehouse.drift(&table, &contract).unwrap();
    assert!(drift.is_empty(), "{drift:?}");
    assert!(setup.warehouse.ensure_dataset("no spaces allowed").is_err());
}

/// A landing table made before partitions numbered their rows gets the
/// column, and then loads rows as they arrived into it.
fn an_old_landing_table_gains_source_row_and_loads(setup: &Setup) {
    let contract = Trade::contract();
    let table = setup.table("old_landing");
    setup.warehouse.ensure_dataset(&setup.dataset).unwrap();
    // What an earlier version made: the landing columns without source_row.
    let mut old = landing_contract(&contract).unwrap();
    old.fields.pop();
    setup.warehouse.create_table(&table, &old).unwrap();
    let live = setup.warehouse.live_columns(&table).unwrap().unwrap();
    assert!(!live.iter().any(|column| column.name == "source_row"));
    setup.warehouse.ensure_source_row(&table).unwrap();
    setup.warehouse.ensure_source_row(&table).unwrap();
    let landing = landing_contract(&contract).unwrap();
    let rows = trades(&[1, 1, 2], 3.0);
    setup.load_partition(&table, &landing, at(1), &rows, LoadMode::Append);
    assert_eq!(
        setup.warehouse.row_count(&table).unwrap(),
        3,
        "every row, as it arrived"
    );
}

fn drift_lists_missing_extra_and_changed_columns(setup: &Setup) {
    let dialect = setup.warehouse.dialect();
    setup.warehouse.ensure_dataset(&setup.dataset).unwrap();
    let table = setup.table("drifted");
    let (text, int) = match dialect {
        Dialect::BigQuery => ("STRING", "INT64"),
        Dialect::DuckDb => ("VARCHAR", "BIGINT"),
    };
    let mut create = Query::new(dialect);
    create.sql = format!(
        "CREATE TABLE {} (trade_id {text}, symbol {text}, price {int}, surprise {int})",
        table.quoted(dialect)
    );
    setup.warehouse.execute(&create).unwrap();
    let drift = setup.warehouse.drift(&table, &Trade::contract()).unwrap();
    let columns = |changes: &[datacontract::warehouse::ColumnChange]| -> Vec<String> {
        changes.iter().map(|c| c.column.clone()).collect()
    };
    assert_eq!(
        columns(&drift.missing),
        ["traded_at", "note", "created_at", "updated_at"]
    );
    assert_eq!(columns(&drift.extra), ["surprise"]);
    assert_eq!(columns(&drift.changed_type), ["trade_id", "price"]);
    assert_eq!(
        columns(&drift.changed_mode),
        ["trade_id", "symbol", "price"]
    );
    assert_eq!(
        drift.changed_type[0].expected.as_deref(),
        Some("INT64 REQUIRED")
    );
    assert_eq!(
        drift.changed_type[0].actual.as_deref(),
        Some("STRING NULLABLE")
    );
}

fn loads_keep_one_row_per_key_and_truncate_replaces(setup: &Setup) {
    let contract = Trade::contract();
    let table = setup.table("trades");
    setup.warehouse.ensure_dataset(&setup.dataset).unwrap();
    setup.warehouse.create_table(&table, &contract).unwrap();
    let store = setup.store.as_ref();
    // The first partition repeats key 2.
    let first = write_partition(
        store,
        &setup.dataset,
        "trades",
        at(1),
        &trades(&[1, 2, 2], 10.0),
    )
    .unwrap();
    let loaded = setup
        .warehouse
        .load_partition(&table, &contract, store, &first, LoadMode::Append)
        .unwrap();
    assert_eq!((loaded.partition_rows, loaded.table_rows), (3, 2));
    // The same partition again changes nothing.
    let again = setup
        .warehouse
        .load_partition(&table, &contract, store, &first, LoadMode::Append)
        .unwrap();
    assert_eq!(again.table_rows, 2);
    // An overlapping, newer partition updates key 2 and adds key 3.
    let second = write_partition(
        store,
        &setup.dataset,
        "trades",
        at(2),
        &trades(&[2, 3], 20.0),
    )
    .unwrap();
    setup
        .warehouse
        .load_partition(&table, &contract, store, &second, LoadMode::Append)
        .unwrap();
    assert_eq!(
        prices_by_id(setup.warehouse.as_ref(), &table),
        [(1, 10.0), (2, 20.0), (3, 20.0)]
    );
    let created = setup.query(&format!(
        "SELECT created_at, updated_at FROM {} ORDER BY trade_id",
        table.quoted(setup.warehouse.dialect())
    ));
    let created_at = created.column("created_at").unwrap();
    assert_eq!(
        created_at.dtype(),
        &DataType::Datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC))
    );
    let micros: Vec<i64> = created_at
        .datetime()
        .unwrap()
        .physical()
        .into_no_null_iter()
        .collect();
    assert_eq!(micros, [at(1), at(2), at(2)].map(|t| t.timestamp_micros()));
    assert_eq!(created.column("updated_at").unwrap().null_count(), 0);
    // Truncate replaces every row with the partition's.
    let replaced = setup
        .warehouse
        .load_partition(&table, &contract, store, &first, LoadMode::Truncate)
        .unwrap();
    assert_eq!(replaced.table_rows, 2);
    assert_eq!(
        prices_by_id(setup.warehouse.as_ref(), &table),
        [(1, 10.0), (2, 10.0)]
    );
}

/// A reading of a sensor: its key holds the column it is partitioned by,
/// which may be NULL.
#[derive(DataContract)]
#[contract(
    version = "1.0.0",
    dedup_key(sensor, taken_at),
    partition_by(day(taken_at))
)]
#[allow(dead_code)]
struct Reading {
    sensor: i64,
    taken_at: Option<chrono::DateTime<chrono::Utc>>,
    value: f64,
}

/// Readings `(sensor, day of January or NULL, value)`.
fn readings(rows: &[(i64, Option<u32>, f64)]) -> DataFrame {
    let micros: Vec<Option<i64>> = rows
        .iter()
        .map(|(_, day, _)| day.map(|day| at(day).timestamp_micros()))
        .collect();
    df!(
        "sensor" => rows.iter().map(|row| row.0).collect::<Vec<_>>(),
        "taken_at" => micros,
        "value" => rows.iter().map(|row| row.2).collect::<Vec<_>>(),
    )
    .unwrap()
    .lazy()
    .with_column(col("taken_at").cast(DataType::Datetime(
        TimeUnit::Microseconds,
        Some(polars::prelude::TimeZone::UTC),
    )))
    .collect()
    .unwrap()
}

/// A merge into a table partitioned by a column of its key is bounded to
/// the partitions its rows fall in (and the NULL one): it must still find
/// every row it updates, NULL keys included, and add the others.
fn merges_scoped_to_their_partitions_keep_one_row_per_key(setup: &Setup) {
    let contract = Reading::contract();
    let table = setup.table("readings");
    setup.warehouse.ensure_dataset(&setup.dataset).unwrap();
    setup.warehouse.create_table(&table, &contract).unwrap();
    let store = setup.store.as_ref();
    let load = |day: u32, rows: &[(i64, Option<u32>, f64)]| {
        let partition =
            write_partition(store, &setup.dataset, "readings", at(day), &readings(rows)).unwrap();
        setup
            .warehouse
            .load_partition(&table, &contract, store, &partition, LoadMode::Append)
            .unwrap()
    };
    load(
        10,
        &[
            (1, Some(1), 1.0),
            (1, Some(2), 1.0),
            (2, Some(3), 1.0),
            (1, None, 1.0),
        ],
    );
    // Day 2's reading and the NULL one change; day 5's is new.
    load(11, &[(1, Some(2), 2.0), (1, None, 2.0), (9, Some(5), 2.0)]);
    // Only the NULL partition: its reading changes again.
    let last = load(12, &[(1, None, 3.0)]);
    assert_eq!(last.table_rows, 5);
    let rows = setup.query(&format!(
        "SELECT sensor, taken_at, value FROM {}",
        table.quoted(setup.warehouse.dialect())
    ));
    let column = |name: &str| rows.column(name).unwrap().as_materialized_series().clone();
    let taken_at = column("taken_at");
    let micros = taken_at.datetime().unwrap().physical();
    let listed: Vec<(i64, Option<u32>, f64)> = (0..rows.height())
        .map(|row| {
            let day = micros.get(row).map(|micros| {
                let time = chrono::DateTime::from_timestamp_micros(micros).unwrap();
                chrono::Datelike::day(&time)
            });
            (
                column("sensor").i64().unwrap().get(row).unwrap(),
                day,
                column("value").f64().unwrap().get(row).unwrap(),
            )
        })
        .collect();
    let mut expected = vec![
        (1, Some(1), 1.0),
        (1, Some(2), 2.0),
        (1, None, 3.0),
        (2, Some(3), 1.0),
        (9, Some(5), 2.0),
    ];
    let mut listed = listed;
    listed.sort_by_key(|(sensor, day, _)| (*sensor, *day));
    expected.sort_by_key(|(sensor, day, _)| (*sensor, *day));
    assert_eq!(listed, expected);
}

fn copies_replace_the_target_as_a_whole(setup: &Setup) {
    let contract = Trade::contract();
    let staging = setup.table("staging_trades");
    let production = setup.table("production_trades");
    setup.warehouse.ensure_dataset(&setup.dataset).unwrap();
    setup.warehouse.create_table(&staging, &contract).unwrap();
    let store = setup.store.as_ref();
    let partition = write_partition(
        store,
        &setup.dataset,
        "staging_trades",
        at(1),
        &trades(&[1, 2, 3], 5.0),
    )
    .unwrap();
    setup
        .warehouse
        .load_partition(&staging, &contract, store, &partition, LoadMode::Append)
        .unwrap();
    setup.warehouse.copy_table(&staging, &production).unwrap();
    assert_eq!(prices_by_id(setup.warehouse.as_ref(), &production).len(), 3);
    let newer = write_partition(
        store,
        &setup.dataset,
        "staging_trades",
        at(2),
        &trades(&[7], 9.0),
    )
    .unwrap();
    setup
        .warehouse
        .load_partition(&staging, &contract, store, &newer, LoadMode::Truncate)
        .unwrap();
    setup.warehouse.copy_table(&staging, &production).unwrap();
    assert_eq!(
        prices_by_id(setup.warehouse.as_ref(), &production),
        [(7, 9.0)]
    );
    assert!(
        setup
            .warehouse
            .drift(&production, &contract)
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        setup
            .warehouse
            .copy_table(&setup.table("absent"), &production),
        Err(WarehouseError::NoTable(_))
    ));
}

fn queries_bind_parameters_and_page_through_results(setup: &Setup) {
    let contract = Trade::contract();
    let table = setup.table("trades");
    setup.warehouse.ensure_dataset(&setup.dataset).unwrap();
    setup.warehouse.create_table(&table, &contract).unwrap();
    let store = setup.store.as_ref();
    let partition = write_partition(
        store,
        &setup.dataset,
        "trades",
        at(1),
        &trades(&[1, 2, 3, 4, 5], 1.5),
    )
    .unwrap();
    setup
        .warehouse
        .load_partition(&table, &contract, store, &partition, LoadMode::Append)
        .unwrap();
    let dialect = setup.warehouse.dialect();
    let mut query = Query::new(dialect);
    let symbol = query.bind(SqlValue::String("BTCUSDT' OR '1'='1".into()));
    query.sql = format!(
        "SELECT COUNT(*) AS n FROM {} WHERE symbol = {symbol}",
        table.quoted(dialect)
    );
    let injected = setup.warehouse.query(&query).unwrap();
    assert_eq!(
        injected
            .column("n")
            .unwrap()
            .get(0)
            .unwrap()
            .extract::<i64>(),
        Some(0)
    );

    let mut query = Query::new(dialect);
    let from = query.bind(SqlValue::Int(2));
    query.sql = format!(
        "SELECT trade_id, traded_at, note FROM {} WHERE trade_id >= {from} ORDER BY trade_id",
        table.quoted(dialect)
    );
    let frame = setup.warehouse.query(&query).unwrap();
    assert_eq!(frame.height(), 4);
    assert_eq!(
        frame.column("traded_at").unwrap().dtype(),
        &DataType::Datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC))
    );
    let expected = trades(&[2, 3, 4, 5], 1.5)
        .select(["trade_id", "traded_at", "note"])
        .unwrap();
    assert!(frame.equals_missing(&expected), "{frame}\n{expected}");

    let mut broken = Query::new(dialect);
    broken.sql = format!("SELECT no_such_column FROM {}", table.quoted(dialect));
    let error = setup.warehouse.query(&broken).unwrap_err().to_string();
    assert!(error.contains("no_such_column"), "{error}");
}

/// A statement the engine rejects is the statement's fault, so a CronJob
/// can tell a bad query (exit 2) from a warehouse that is down (exit 3).
fn rejected_statements_are_blamed_on_the_statement(setup: &Setup) {
    let table = setup.table("trades");
    setup.warehouse.ensure_dataset(&setup.dataset).unwrap();
    setup
        .warehouse
        .create_table(&table, &Trade::contract())
        .unwrap();
    let dialect = setup.warehouse.dialect();
    for sql in [
        format!("SELECT FROM WHERE {}", table.quoted(dialect)),
        format!("SELECT no_such_column FROM {}", table.quoted(dialect)),
    ] {
        let mut query = Query::new(dialect);
        query.sql = sql.clone();
        match setup.warehouse.query(&query) {
            Err(WarehouseError::Engine { blame, message, .. }) => {
                assert_eq!(blame, Blame::Statement, "{sql}: {message}")
            }
            other => panic!("{sql}: expected an engine error, got {other:?}"),
        }
    }
}

/// The examples of a repeated key are its first failing rows in the order
/// the rows arrived (partition by partition, row by row, rows without a
/// number last in their partition), over the whole table and over one
/// partition, however the engine finds them: here with more repeated keys
/// than examples, and a key first seen on a row loaded before rows were
/// numbered.
fn key_examples_come_in_arrival_order(setup: &Setup) {
    let contract = Trade::contract();
    let landing = landing_contract(&contract).unwrap();
    let table = setup.table("arrived");
    setup.warehouse.ensure_dataset(&setup.dataset).unwrap();
    setup.warehouse.create_table(&table, &landing).unwrap();
    for (day, ids) in [(1, vec![12, 20]), (2, vec![3, 4, 3, 5, 4, 6, 7, 6, 12, 1])] {
        let rows = trades(&ids, 1.0);
        setup.load_partition(&table, &landing, at(day), &rows, LoadMode::Append);
    }
    // The first day's rows as an earlier version loaded them, unnumbered.
    let mut forget = Query::new(setup.warehouse.dialect());
    let at_day_one = forget.bind(SqlValue::Timestamp(at(1)));
    forget.sql = format!(
        "UPDATE {} SET source_row = NULL WHERE created_at = {at_day_one}",
        table.quoted(setup.warehouse.dialect())
    );
    setup.warehouse.query(&forget).unwrap();

    let options = Options {
        max_examples: 3,
        ..Options::default()
    };
    let key_examples = |rows: Rows| {
        let report =
            validate_in_warehouse(setup.warehouse.as_ref(), &table, rows, &contract, &options)
                .unwrap();
        let key = report
            .checks
            .iter()
            .find(|check| check.id == "dedup_key")
            .expect("a dedup_key check");
        let shown: Vec<(Option<u64>, serde_json::Value)> = key
            .examples
            .iter()
            .map(|example| (example.row, example.values["trade_id"].clone()))
            .collect();
        (key.failing_rows, shown)
    };
    // 12 repeats across days, 3, 4 and 6 within the second.
    let over_both_days = (
        Some(8),
        vec![(None, json!(12)), (None, json!(3)), (None, json!(4))],
    );
    assert_eq!(key_examples(Rows::All), over_both_days);
    // The same once every row is numbered again.
    let mut number = Query::new(setup.warehouse.dialect());
    let at_day_one = number.bind(SqlValue::Timestamp(at(1)));
    number.sql = format!(
        "UPDATE {} SET source_row = CASE WHEN trade_id = 12 THEN 0 ELSE 1 END \
         WHERE created_at = {at_day_one}",
        table.quoted(setup.warehouse.dialect())
    );
    setup.warehouse.query(&number).unwrap();
    assert_eq!(key_examples(Rows::All), over_both_days);
    assert_eq!(
        key_examples(Rows::Partition(at(2))),
        (
            Some(6),
            vec![
                (Some(0), json!(3)),
                (Some(1), json!(4)),
                (Some(2), json!(3))
            ]
        )
    );
}

/// One test per operation and setup.
macro_rules! on_both_setups {
    ($($case:ident),*) => {
        mod duckdb_local {
            $(#[test]
            fn $case() {
                super::$case(&super::local(stringify!($case)));
            })*
        }
        mod bigquery_emulator {
            $(#[test]
            fn $case() {
                super::$case(&super::emulators(stringify!($case)));
            })*
        }
    };
}

on_both_setups!(
    datasets_and_tables_are_created_idempotently,
    an_old_landing_table_gains_source_row_and_loads,
    drift_lists_missing_extra_and_changed_columns,
    loads_keep_one_row_per_key_and_truncate_replaces,
    merges_scoped_to_their_partitions_keep_one_row_per_key,
    copies_replace_the_target_as_a_whole,
    queries_bind_parameters_and_page_through_results,
    rejected_statements_are_blamed_on_the_statement,
    key_examples_come_in_arrival_order
);

#[test]
fn bigquery_errors_carry_the_job_id_and_the_servers_message() {
    let setup = emulators("errors");
    let mut broken = Query::new(Dialect::BigQuery);
    broken.sql = "SELECT * FROM `nowhere`.`nothing`".into();
    match setup.warehouse.query(&broken) {
        Err(WarehouseError::Engine {
            job_id, message, ..
        }) => {
            assert!(job_id.is_some(), "no job id: {message}");
            assert!(message.contains("nowhere"), "{message}");
        }
        other => panic!("expected an engine error, got {other:?}"),
    }
}

#[test]
fn bigquery_dry_runs_refuse_every_statement_but_select() {
    let setup = emulators("dry_run");
    setup.warehouse.ensure_dataset(&setup.dataset).unwrap();
    setup
        .warehouse
        .create_table(&setup.table("trades"), &Trade::contract())
        .unwrap();
    let statement = |sql: String| {
        let mut query = Query::new(Dialect::BigQuery);
        query.sql = sql;
        query
    };
    let table = format!("`{}`.`trades`", setup.dataset);
    setup
        .warehouse
        .check_reads_only(&statement(format!("SELECT COUNT(*) AS n FROM {table}")))
        .unwrap();
    for (sql, kind) in [
        (format!("DELETE FROM {table} WHERE TRUE"), "DELETE"),
        (format!("DROP TABLE {table}"), "DROP_TABLE"),
        (
            format!("INSERT INTO {table} (trade_id) VALUES (1)"),
            "INSERT",
        ),
    ] {
        let refused = setup
            .warehouse
            .check_reads_only(&statement(sql.clone()))
            .unwrap_err()
            .to_string();
        assert!(refused.contains(kind), "{sql}: {refused}");
    }
    // The dry runs ran nothing.
    assert!(
        setup
            .warehouse
            .table_exists(&setup.table("trades"))
            .unwrap()
    );
}

#[test]
fn hostile_table_names_never_reach_sql() {
    assert!(TableRef::new("staging", "trades; DROP TABLE x").is_err());
    assert!(TableRef::new("staging`", "trades").is_err());
    assert!(
        TableRef::new("staging", "trades")
            .unwrap()
            .in_project("evil`project")
            .is_err()
    );
}
