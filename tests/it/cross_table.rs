//! Checks across tables, from the derive to every engine.
//!
//! Foreign keys naming a contract type (checked at compile time) and naming
//! a table (checked when the registry starts), of one column and of
//! several: orphaned keys are found in Polars against the referenced rows,
//! and in DuckDB and BigQuery (bqemulator) by an anti-join against the
//! referenced table, with the same failing rows and examples; keys with a
//! NULL pass (MATCH SIMPLE). Reconciliations (the row count and a sum of
//! the orders equal the raw orders') are measured on both tables in the
//! same pass, with the same verdict everywhere.

use datacontract::report::{Report, Status};
use datacontract::validate::validate_in_warehouse;
use datacontract::validate::{Options, References, Rows, ValidationError, validate};
use datacontract::{DataContract, ForeignKey, Registry, Severity};
use polars::prelude::*;
use serde_json::json;

use crate::support::cli::run as contracts;
use crate::support::warehouse::{Setup, emulators, local};

/// A customer, known by id and by its number within a region.
#[derive(DataContract)]
#[contract(dedup_key(id))]
#[allow(dead_code)]
struct Customer {
    id: i64,
    region: String,
    number: i64,
}

/// An order as it was extracted.
#[derive(DataContract)]
#[contract(name = "raw_orders")]
#[allow(dead_code)]
struct RawOrder {
    order_id: i64,
    amount: f64,
}

/// An order: its customer by id, again by region and number, and the
/// customer who referred it (a warning when unknown); as many orders as
/// were extracted, and the same amount.
#[derive(DataContract)]
#[contract(
    name = "orders",
    dedup_key(order_id),
    foreign_key(columns(region, customer_number), references(Customer(region, number))),
    reconcile(row_count, against = "raw_orders"),
    reconcile(
        sum(amount),
        against = "raw_orders.amount",
        tolerance = 1e-9,
        name = "amount_kept"
    )
)]
#[allow(dead_code)]
struct Order {
    order_id: i64,
    amount: f64,
    #[contract(references(Customer.id))]
    customer_id: Option<i64>,
    region: Option<String>,
    customer_number: Option<i64>,
    #[contract(warn(references = "customer.id"))]
    referrer_id: Option<i64>,
}

fn customers() -> DataFrame {
    df!(
        "id" => [1i64, 2, 3],
        "region" => ["eu", "us", "eu"],
        "number" => [10i64, 20, 30],
    )
    .unwrap()
}

/// Five orders: the second and fifth name no customer; the third's
/// region and number name none, and its referrer is unknown; NULLs in
/// keys (the third's customer, the fourth's region) pass.
fn orders() -> DataFrame {
    df!(
        "order_id" => [1i64, 2, 3, 4, 5],
        "amount" => [10.0, 20.5, 3.25, 4.0, 100.0],
        "customer_id" => [Some(1i64), Some(9), None, Some(2), Some(8)],
        "region" => [Some("eu"), Some("us"), Some("eu"), None, Some("eu")],
        "customer_number" => [Some(10i64), Some(20), Some(20), Some(10), Some(30)],
        "referrer_id" => [None, Some(1i64), Some(7), None, Some(2)],
    )
    .unwrap()
}

/// The raw orders: the same five, or `extra` more of 1.0 each.
fn raw_orders(extra: usize) -> DataFrame {
    let mut ids = vec![1i64, 2, 3, 4, 5];
    let mut amounts = vec![10.0, 20.5, 3.25, 4.0, 100.0];
    for n in 0..extra {
        ids.push(100 + n as i64);
        amounts.push(1.0);
    }
    df!("order_id" => ids, "amount" => amounts).unwrap()
}

#[test]
fn the_derive_names_the_referenced_tables_and_columns() {
    let key = |columns: &[&str], referenced: &[&str], severity| ForeignKey {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        table: "customer".into(),
        referenced: referenced.iter().map(|c| c.to_string()).collect(),
        severity,
    };
    assert_eq!(
        Order::contract().foreign_keys,
        [
            key(&["customer_id"], &["id"], Severity::Error),
            key(&["referrer_id"], &["id"], Severity::Warn),
            key(
                &["region", "customer_number"],
                &["region", "number"],
                Severity::Error
            ),
        ]
    );
    let reconciled: Vec<(String, Option<String>, String, f64)> = Order::contract()
        .reconciliations
        .into_iter()
        .map(|rule| {
            (
                rule.name.clone(),
                rule.column.clone(),
                rule.against(),
                rule.tolerance,
            )
        })
        .collect();
    assert_eq!(
        reconciled,
        [
            ("row_count".into(), None, "raw_orders".into(), 0.0),
            (
                "amount_kept".into(),
                Some("amount".into()),
                "raw_orders.amount".into(),
                1e-9
            ),
        ]
    );
    assert_eq!(Customer::TABLE, "customer");
    assert_eq!(
        Customer::KEY_COLUMNS,
        [("id", "INT64"), ("region", "STRING"), ("number", "INT64")]
    );
}

#[test]
fn the_registry_refuses_keys_to_tables_or_columns_it_does_not_hold() {
    let registry = Registry::new().with::<Order>();
    let error = registry.check_references().unwrap_err();
    assert!(
        error.contains("no contract of table `customer` is registered"),
        "{error}"
    );
    let registry = registry.with::<Customer>();
    let error = registry.check_references().unwrap_err();
    assert!(
        error.contains("reconciliation `amount_kept` against `raw_orders.amount`: no contract of table `raw_orders`"),
        "{error}"
    );
    let registry = registry.with::<RawOrder>();
    registry.check_references().unwrap();

    let mut renamed = Customer::contract();
    renamed.fields[0].name = "customer_id".into();
    let registry = Registry::new()
        .with::<Order>()
        .with::<RawOrder>()
        .with_contract(renamed);
    let error = registry.check_references().unwrap_err();
    assert!(
        error.contains("table `customer` has no column `id`"),
        "{error}"
    );
}

fn with_rows(raw_extra: usize) -> Options {
    Options {
        references: References::default()
            .with_rows("customer", customers())
            .with_rows("raw_orders", raw_orders(raw_extra)),
        ..Options::default()
    }
}

/// What every engine must find: the failing rows of each key and their
/// values, in the order the rows arrived.
fn assert_orphans_found(report: &Report, engine: &str) {
    let failing = |id: &str| {
        let check = report
            .check(id)
            .unwrap_or_else(|| panic!("{engine}: no check {id}"));
        let values: Vec<serde_json::Value> = check
            .examples
            .iter()
            .map(|example| json!(example.values))
            .collect();
        (check.status, check.failing_rows, values)
    };
    assert_eq!(
        failing("customer_id.references"),
        (
            Status::Fail,
            Some(2),
            vec![json!({"customer_id": 9}), json!({"customer_id": 8})]
        ),
        "{engine}"
    );
    assert_eq!(
        failing("references.customer"),
        (
            Status::Fail,
            Some(1),
            vec![json!({"region": "eu", "customer_number": 20})]
        ),
        "{engine}"
    );
    assert_eq!(
        failing("referrer_id.references"),
        (Status::Fail, Some(1), vec![json!({"referrer_id": 7})]),
        "{engine}"
    );
    assert!(!report.passed, "{engine}: orphaned keys are errors");
    assert_eq!(report.summary.failed_warnings, 1, "{engine}");
    for id in ["reconcile.row_count", "reconcile.amount_kept"] {
        assert_eq!(
            report.check(id).unwrap().status,
            Status::Pass,
            "{engine}: {id}"
        );
    }
}

/// What every engine must find when one raw order is lost on the way:
/// both reconciliations fail, with both sides' values.
fn assert_loss_found(report: &Report, engine: &str) {
    let observed = |id: &str| {
        let check = report.check(id).unwrap();
        (check.status, check.observed.clone())
    };
    assert_eq!(
        observed("reconcile.row_count"),
        (Status::Fail, Some(json!({"this": 5.0, "other": 6.0}))),
        "{engine}"
    );
    assert_eq!(
        observed("reconcile.amount_kept"),
        (Status::Fail, Some(json!({"this": 137.75, "other": 138.75}))),
        "{engine}"
    );
}

#[test]
fn polars_finds_orphaned_keys_in_the_referenced_rows() {
    let report = validate(orders(), &Order::contract(), &with_rows(0)).unwrap();
    assert_orphans_found(&report, "Polars");
    let rows: Vec<Option<u64>> = report
        .check("customer_id.references")
        .unwrap()
        .examples
        .iter()
        .map(|example| example.row)
        .collect();
    assert_eq!(rows, [Some(1), Some(4)]);
    // Streamed, as files are read.
    let report = validate(orders().lazy(), &Order::contract(), &with_rows(0)).unwrap();
    assert_orphans_found(&report, "Polars, streamed");
    // Two orders, each naming a customer: the keys pass, and three of the
    // raw orders are missing.
    let clean = orders()
        .lazy()
        .filter(col("order_id").eq(lit(1)).or(col("order_id").eq(lit(4))))
        .collect()
        .unwrap();
    let report = validate(clean, &Order::contract(), &with_rows(0)).unwrap();
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|check| check.status == Status::Fail)
        .map(|check| check.id.as_str())
        .collect();
    assert_eq!(failed, ["reconcile.row_count", "reconcile.amount_kept"]);
    let lost = validate(orders(), &Order::contract(), &with_rows(1)).unwrap();
    assert_loss_found(&lost, "Polars");
}

#[test]
fn a_key_is_never_passed_unchecked_in_memory() {
    let error = validate(orders(), &Order::contract(), &Options::default()).unwrap_err();
    assert!(
        matches!(&error, ValidationError::NoReferencedRows { tables, .. } if tables == &["customer", "raw_orders"]),
        "{error}"
    );
    assert!(error.to_string().contains("--reference"), "{error}");
}

/// The orders of the warehouse table `table` validated inside `setup`'s
/// warehouse, the other tables found as `options` say.
fn orders_in(
    setup: &Setup,
    table: &datacontract::sql::TableRef,
    options: &Options,
) -> Result<Report, ValidationError> {
    validate_in_warehouse(
        setup.warehouse.as_ref(),
        table,
        Rows::All,
        &Order::contract(),
        options,
    )
}

fn orphans_found_in_the_warehouse(setup: &Setup) {
    setup.load("customer", &Customer::contract(), &customers());
    setup.load("raw_orders", &RawOrder::contract(), &raw_orders(0));
    let orders_table = setup.load("orders", &Order::contract(), &orders());
    let report = orders_in(setup, &orders_table, &Options::default()).unwrap();
    assert_orphans_found(&report, setup.warehouse.dialect().name());

    // The referenced rows from another table, named explicitly: every
    // customer is known there.
    let everyone = df!(
        "id" => [1i64, 2, 7, 8, 9],
        "region" => ["eu", "us", "eu", "eu", "us"],
        "number" => [10i64, 20, 20, 30, 40],
    )
    .unwrap();
    let elsewhere = setup.load("all_customers", &Customer::contract(), &everyone);
    let lossy = setup.load("lossy_raw_orders", &RawOrder::contract(), &raw_orders(1));
    let options = Options {
        references: References::default()
            .with_table("customer", elsewhere)
            .with_table("raw_orders", lossy),
        ..Options::default()
    };
    let report = orders_in(setup, &orders_table, &options).unwrap();
    let keys_pass = report
        .checks
        .iter()
        .filter(|check| check.id.contains("references"))
        .all(|check| check.status == Status::Pass);
    assert!(keys_pass, "{}", report.render_text(false));
    assert_loss_found(&report, setup.warehouse.dialect().name());

    // A referenced table that is not there is an error, not a pass.
    let options = Options {
        references: References::default().with_table("customer", setup.table("no_such_customers")),
        ..Options::default()
    };
    let missing = orders_in(setup, &orders_table, &options);
    assert!(missing.is_err(), "{missing:?}");
}

#[test]
fn duckdb_finds_orphaned_keys_by_an_anti_join() {
    orphans_found_in_the_warehouse(&local("references"));
}

#[test]
fn bigquery_finds_orphaned_keys_by_an_anti_join() {
    orphans_found_in_the_warehouse(&emulators("references"));
}

#[test]
fn a_binary_whose_keys_do_not_hold_refuses_every_command() {
    let (code, out, err) = contracts(&Registry::new().with::<Order>(), &["list"]);
    assert_eq!(code, std::process::ExitCode::from(2));
    assert!(out.is_empty());
    assert!(
        err.contains("`orders`'s foreign key to `customer.id`: no contract of table `customer`"),
        "{err}"
    );
}

#[test]
fn contracts_validate_reads_the_referenced_tables_files() {
    let dir = std::env::temp_dir().join(format!("datacontract-cross-table-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, frame: &mut DataFrame| {
        let path = dir.join(name);
        CsvWriter::new(std::fs::File::create(&path).unwrap())
            .finish(frame)
            .unwrap();
        path.display().to_string()
    };
    let orders_csv = write("orders.csv", &mut orders());
    let customers_csv = write("customers.csv", &mut customers());
    let raw_csv = write("raw.csv", &mut raw_orders(0));
    let registry = Registry::new()
        .with::<Order>()
        .with::<Customer>()
        .with::<RawOrder>();
    let customer = format!("customer={customers_csv}");
    let raw = format!("raw_orders={raw_csv}");
    let (code, out, err) = contracts(
        &registry,
        &[
            "validate",
            "orders",
            &orders_csv,
            "--reference",
            &customer,
            "--reference",
            &raw,
            "--format",
            "json",
        ],
    );
    assert_eq!(code, std::process::ExitCode::from(1), "{err}");
    let report: Report = serde_json::from_str(&out).unwrap();
    assert_orphans_found(&report, "contracts validate");
    let examples = &report.check("customer_id.references").unwrap().examples;
    assert_eq!(examples[0].line, Some(3), "the orphan's line in orders.csv");

    let (code, _, err) = contracts(&registry, &["validate", "orders", &orders_csv]);
    assert_eq!(code, std::process::ExitCode::from(2));
    assert!(err.contains("--reference TABLE=PATH"), "{err}");
}

/// Generated customers, orders and raw orders: the number of orders each
/// cross-table check fails, computed by its definition (MATCH SIMPLE: a key
/// with a NULL passes), must be what Polars, DuckDB and BigQuery report,
/// with the same failing rows' values; the reconciliations must agree too.
#[test]
fn generated_tables_agree_with_the_definition_in_every_engine() {
    use std::cell::Cell;

    use crate::support::generated::engine_runner;
    use proptest::prelude::*;

    type OrderRow = (
        Option<i64>,
        Option<&'static str>,
        Option<i64>,
        Option<i64>,
        i64,
    );
    let customer = (0i64..4, prop::sample::select(vec!["eu", "us"]));
    let order = (
        prop::option::of(0i64..6),
        prop::option::of(prop::sample::select(vec!["eu", "us", "ap"])),
        prop::option::of(0i64..4),
        prop::option::of(0i64..6),
        0i64..100,
    );
    let strategy = (
        prop::collection::btree_map(0i64..6, customer, 1..5),
        prop::collection::vec(order, 1..12),
        0usize..2,
    );
    let (duckdb, bigquery) = (local("generated_keys"), emulators("generated_keys"));
    let (case, failures_seen) = (Cell::new(0), Cell::new(0));
    engine_runner(6)
        .run(
            &strategy,
            |(customers, rows, lost): (_, Vec<OrderRow>, usize)| {
                let case = case.replace(case.get() + 1);
                let known_ids: Vec<i64> = customers.keys().copied().collect();
                let known_pairs: Vec<(&str, i64)> = customers
                    .values()
                    .map(|(number, region)| (*region, *number))
                    .collect();
                let customer_frame = df!(
                    "id" => known_ids.clone(),
                    "region" => customers.values().map(|(_, region)| *region).collect::<Vec<_>>(),
                    "number" => customers.values().map(|(number, _)| *number).collect::<Vec<_>>(),
                )
                .unwrap();
                let amounts: Vec<f64> = rows.iter().map(|row| row.4 as f64 / 4.0).collect();
                let order_frame = df!(
                    "order_id" => (1..=rows.len() as i64).collect::<Vec<_>>(),
                    "amount" => amounts.clone(),
                    "customer_id" => rows.iter().map(|row| row.0).collect::<Vec<_>>(),
                    "region" => rows.iter().map(|row| row.1).collect::<Vec<_>>(),
                    "customer_number" => rows.iter().map(|row| row.2).collect::<Vec<_>>(),
                    "referrer_id" => rows.iter().map(|row| row.3).collect::<Vec<_>>(),
                )
                .unwrap();
                // Raw orders: all but the last `lost` orders were kept.
                let kept = rows.len().saturating_sub(lost).max(1);
                let raw_frame = order_frame
                    .select(["order_id", "amount"])
                    .unwrap()
                    .head(Some(kept));

                let orphan_id = |id: Option<i64>| id.is_some_and(|id| !known_ids.contains(&id));
                let expected = [
                    (
                        "customer_id.references",
                        rows.iter().filter(|r| orphan_id(r.0)).count(),
                    ),
                    (
                        "references.customer",
                        rows.iter()
                            .filter(|r| match (r.1, r.2) {
                                (Some(region), Some(number)) => {
                                    !known_pairs.contains(&(region, number))
                                }
                                _ => false,
                            })
                            .count(),
                    ),
                    (
                        "referrer_id.references",
                        rows.iter().filter(|r| orphan_id(r.3)).count(),
                    ),
                ];
                let rows_kept = kept == rows.len();
                let amount_kept = amounts[kept..].iter().sum::<f64>() == 0.0;

                let options = Options {
                    max_examples: 100,
                    references: References::default()
                        .with_rows("customer", customer_frame.clone())
                        .with_rows("raw_orders", raw_frame.clone()),
                    ..Options::default()
                };
                let polars = validate(order_frame.clone(), &Order::contract(), &options).unwrap();
                let mut reports = vec![("Polars", polars)];
                for setup in [&duckdb, &bigquery] {
                    let customers_table = setup.load(
                        &format!("customer_{case}"),
                        &Customer::contract(),
                        &customer_frame,
                    );
                    let raw_table = setup.load(
                        &format!("raw_orders_{case}"),
                        &RawOrder::contract(),
                        &raw_frame,
                    );
                    let orders_table =
                        setup.load(&format!("orders_{case}"), &Order::contract(), &order_frame);
                    let options = Options {
                        max_examples: 100,
                        references: References::default()
                            .with_table("customer", customers_table)
                            .with_table("raw_orders", raw_table),
                        ..Options::default()
                    };
                    let report = orders_in(setup, &orders_table, &options).unwrap();
                    reports.push((setup.warehouse.dialect().name(), report));
                }
                let verdict = |report: &Report, id: &str| {
                    let check = report.check(id).unwrap();
                    let mut values: Vec<String> = check
                        .examples
                        .iter()
                        .map(|example| json!(example.values).to_string())
                        .collect();
                    values.sort();
                    (
                        check.status,
                        check.failing_rows,
                        values,
                        check.observed.clone(),
                    )
                };
                for (engine, report) in &reports {
                    for (id, failing) in expected {
                        let (status, counted, values, _) = verdict(report, id);
                        prop_assert_eq!(counted, Some(failing as u64), "{} {}", engine, id);
                        prop_assert_eq!(status == Status::Fail, failing > 0, "{} {}", engine, id);
                        prop_assert_eq!(values.len(), failing, "{} {}", engine, id);
                        failures_seen.set(failures_seen.get() + failing);
                    }
                    for (id, holds) in [
                        ("reconcile.row_count", rows_kept),
                        ("reconcile.amount_kept", amount_kept),
                    ] {
                        let passed = report.check(id).unwrap().status == Status::Pass;
                        prop_assert_eq!(passed, holds, "{} {}", engine, id);
                    }
                    for id in expected
                        .iter()
                        .map(|(id, _)| *id)
                        .chain(["reconcile.row_count", "reconcile.amount_kept"])
                    {
                        prop_assert_eq!(
                            verdict(report, id),
                            verdict(&reports[0].1, id),
                            "{} {}",
                            engine,
                            id
                        );
                    }
                }
                Ok(())
            },
        )
        .unwrap();
    assert!(
        failures_seen.get() > 0,
        "no generated order was orphaned: the comparison proved nothing"
    );
}

/// What the review of the first version found: an empty frame passed every
/// reconciliation, two keys could read one join's mark, and a check across
/// tables that could not run was skipped. Each is now a failure or an
/// error.
#[test]
fn checks_across_tables_never_pass_what_they_did_not_measure() {
    // An empty frame against five raw orders: everything was lost.
    let empty = orders().head(Some(0));
    let report = validate(empty, &Order::contract(), &with_rows(0)).unwrap();
    let lost = report.check("reconcile.row_count").unwrap();
    assert_eq!(lost.status, Status::Fail);
    assert_eq!(lost.observed, Some(json!({"this": 0.0, "other": 5.0})));

    // Two keys whose marks were once named alike (`t` + `a_b`, and `t` +
    // `a`, `b`): each is judged on its own.
    let field = |name: &str| {
        datacontract::Field::new(
            name,
            datacontract::LogicalType::Int64,
            datacontract::Mode::Nullable,
        )
    };
    let mut contract =
        datacontract::Contract::new("keys", vec![field("a"), field("b"), field("a_b")]);
    let key = |columns: &[&str], referenced: &[&str]| ForeignKey {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        table: "t".into(),
        referenced: referenced.iter().map(|c| c.to_string()).collect(),
        severity: Severity::Error,
    };
    contract.foreign_keys = vec![key(&["a_b"], &["x"]), key(&["a", "b"], &["x", "y"])];
    let rows = df!("a" => [1i64], "b" => [2i64], "a_b" => [9i64]).unwrap();
    let t = df!("x" => [1i64], "y" => [2i64]).unwrap();
    let options = Options {
        references: References::default().with_rows("t", t),
        ..Options::default()
    };
    let report = validate(rows, &contract, &options).unwrap();
    assert_eq!(
        report.check("a_b.references").unwrap().failing_rows,
        Some(1)
    );
    assert_eq!(report.check("references.t").unwrap().failing_rows, Some(0));

    // The other table's column is missing, or of another type: an error.
    let no_amount = raw_orders(0).drop("amount").unwrap();
    let options = Options {
        references: References::default()
            .with_rows("customer", customers())
            .with_rows("raw_orders", no_amount),
        ..Options::default()
    };
    let error = validate(orders(), &Order::contract(), &options).unwrap_err();
    assert!(
        error.to_string().contains("reconcile.amount_kept"),
        "{error}"
    );
    let float_ids = df!(
        "id" => [1.9f64, 2.0, 3.0],
        "region" => ["eu", "us", "eu"],
        "number" => [10i64, 20, 30],
    )
    .unwrap();
    let options = Options {
        references: References::default()
            .with_rows("customer", float_ids)
            .with_rows("raw_orders", raw_orders(0)),
        ..Options::default()
    };
    let error = validate(orders(), &Order::contract(), &options).unwrap_err();
    assert!(
        error.to_string().contains("customer_id.references")
            && error.to_string().contains("`customer.id` is f64"),
        "{error}"
    );
}
