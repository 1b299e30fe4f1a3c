//! The BigQuery warehouse under transient faults: a proxy on 127.0.0.1
//! stands between the client and bqemulator and, following a script,
//! answers 503 before a call reaches BigQuery, passes a call on and loses
//! its answer, or ends a query with a temporary job error. The same proxy
//! counts what a pushed-down validation sends: one dry run per query.
//!
//! The emulators are started by scripts/test.sh, which sets
//! DATACONTRACT_GCS_EMULATOR and BIGQUERY_EMULATOR_HOST; without them these
//! tests fail, naming the script.

use std::time::Duration;

use crate::support::fault_proxy;
use crate::support::trades;

use datacontract::DataContract;
use datacontract::retry::RetryPolicy;
use datacontract::sql::{Dialect, Query, TableRef};
use datacontract::store::{GcsStore, write_partition};
use datacontract::validate::{Options, Rows, validate_in_warehouse};
use datacontract::warehouse::{BigQueryWarehouse, Blame, LoadMode, Warehouse, WarehouseError};
use fault_proxy::{Fault, Proxy, Rule, Seen, rule};
use trades::{Trade, at, prices_by_id, trades};

/// A warehouse through a proxy applying `rules`, retrying quickly; a GCS
/// bucket; a fresh dataset.
struct Setup {
    proxy: Proxy,
    warehouse: BigQueryWarehouse,
    store: GcsStore,
    dataset: String,
}

fn setup(name: &str, attempts: u32, rules: Vec<Rule>) -> Setup {
    let gcs = std::env::var("DATACONTRACT_GCS_EMULATOR").expect(
        "DATACONTRACT_GCS_EMULATOR is not set: run the tests with scripts/test.sh, which starts fake-gcs-server",
    );
    let bigquery = std::env::var("BIGQUERY_EMULATOR_HOST").expect(
        "BIGQUERY_EMULATOR_HOST is not set: run the tests with scripts/test.sh, which starts bqemulator",
    );
    let dataset = format!("faults{}_{name}", std::process::id());
    let store = GcsStore::emulator(&dataset.replace('_', "-"), &gcs).unwrap();
    store.create_bucket().unwrap();
    let proxy = Proxy::start(&bigquery, rules);
    let warehouse = BigQueryWarehouse::emulator("test-proj", &proxy.url)
        .unwrap()
        .with_page_size(2)
        .with_retry(RetryPolicy {
            attempts,
            first_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        });
    Setup {
        proxy,
        warehouse,
        store,
        dataset,
    }
}

impl Setup {
    fn table(&self) -> TableRef {
        TableRef::new(&self.dataset, "trades").unwrap()
    }

    /// Creates the table and loads trades `ids` at `price` into it, from
    /// a partition created on January `day`.
    fn load(&self, day: u32, ids: &[i64], price: f64) {
        let contract = Trade::contract();
        self.warehouse.ensure_dataset(&self.dataset).unwrap();
        self.warehouse
            .create_table(&self.table(), &contract)
            .unwrap();
        let partition = write_partition(
            &self.store,
            &self.dataset,
            "trades",
            at(day),
            &trades(ids, price),
        )
        .unwrap();
        self.warehouse
            .load_partition(
                &self.table(),
                &contract,
                &self.store,
                &partition,
                LoadMode::Append,
            )
            .unwrap();
    }

    /// `(trade_id, price)` of every row, by id.
    fn rows(&self) -> Vec<(i64, f64)> {
        prices_by_id(&self.warehouse, &self.table())
    }
}

/// The `requestId` or `jobId` a request body carries.
fn id_in(body: &str, key: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).unwrap();
    let id = match key {
        "jobId" => &value["jobReference"]["jobId"],
        _ => &value[key],
    };
    id.as_str()
        .unwrap_or_else(|| panic!("no {key} in {body}"))
        .to_string()
}

#[test]
fn every_call_survives_a_503_before_it_reaches_bigquery() {
    let rules = vec![
        rule("GET", "/datasets/", Fault::Unavailable),
        rule("POST", "/datasets", Fault::Unavailable),
        rule("GET", "/tables/", Fault::Unavailable),
        rule("POST", "/tables", Fault::Unavailable),
        rule("POST", "/jobs", Fault::Unavailable),
        rule("POST", "/queries", Fault::Unavailable),
        rule("GET", "/queries/", Fault::Unavailable),
        rule("DELETE", "/tables/", Fault::Unavailable),
    ];
    let setup = setup("unavailable", 5, rules);
    setup.load(1, &[1, 2, 3, 4, 5], 1.5);
    assert_eq!(
        setup.rows(),
        (1..=5).map(|id| (id, 1.5)).collect::<Vec<_>>()
    );
    let met: Vec<(String, String)> = setup
        .proxy
        .seen()
        .into_iter()
        .filter(|seen| seen.fault.is_some())
        .map(|seen| (seen.method, seen.path))
        .collect();
    assert_eq!(
        met.len(),
        8,
        "not every kind of call met its fault: {met:#?}"
    );
}

#[test]
fn a_lost_answer_is_retried_under_the_same_job_id_and_request_id() {
    let rules = vec![
        rule("POST", "/jobs", Fault::AnswerLost),
        Rule {
            body: "MERGE",
            ..rule("POST", "/queries", Fault::AnswerLost)
        },
    ];
    let setup = setup("lost", 5, rules);
    setup.load(1, &[1, 2, 3], 2.5);
    setup.load(2, &[2, 3, 4], 3.5);
    assert_eq!(
        setup.rows(),
        vec![(1, 2.5), (2, 3.5), (3, 3.5), (4, 3.5)],
        "one row per key, whatever ran twice"
    );
    let inserts = setup.proxy.requests("POST", "/jobs");
    assert_eq!(inserts[0].fault, Some(Fault::AnswerLost));
    assert_eq!(
        id_in(&inserts[0].body, "jobId"),
        id_in(&inserts[1].body, "jobId"),
        "the retried insert must carry the lost one's job id"
    );
    let merges: Vec<Seen> = setup
        .proxy
        .requests("POST", "/queries")
        .into_iter()
        .filter(|seen| seen.body.contains("MERGE"))
        .collect();
    assert_eq!(merges[0].fault, Some(Fault::AnswerLost));
    assert_eq!(
        id_in(&merges[0].body, "requestId"),
        id_in(&merges[1].body, "requestId"),
        "the retried MERGE must carry the lost one's requestId"
    );
    assert_ne!(
        id_in(&merges[1].body, "requestId"),
        id_in(&merges[2].body, "requestId"),
        "another statement needs another requestId"
    );
}

#[test]
fn a_query_ended_by_a_temporary_error_runs_again_under_a_new_request_id() {
    let rules = vec![Rule {
        body: "ORDER BY trade_id",
        ..rule("POST", "/queries", Fault::TemporaryJobError)
    }];
    let setup = setup("temporary", 5, rules);
    setup.load(1, &[7], 1.0);
    assert_eq!(setup.rows(), vec![(7, 1.0)]);
    let runs: Vec<Seen> = setup
        .proxy
        .requests("POST", "/queries")
        .into_iter()
        .filter(|seen| seen.body.contains("ORDER BY trade_id"))
        .collect();
    assert_eq!(runs.len(), 2, "{runs:#?}");
    assert_eq!(runs[0].fault, Some(Fault::TemporaryJobError));
    assert_ne!(
        id_in(&runs[0].body, "requestId"),
        id_in(&runs[1].body, "requestId")
    );
}

#[test]
fn a_lasting_failure_ends_after_the_policy_s_attempts_and_a_bad_query_at_once() {
    let rules = vec![Rule {
        times: usize::MAX,
        ..rule("GET", "/tables/", Fault::Unavailable)
    }];
    let setup = setup("lasting", 3, rules);
    setup.warehouse.ensure_dataset(&setup.dataset).unwrap();
    let error = setup
        .warehouse
        .create_table(&setup.table(), &Trade::contract())
        .unwrap_err();
    match &error {
        WarehouseError::Engine {
            operation, message, ..
        } => {
            assert!(operation.contains("get table"), "{error}");
            assert!(message.contains("HTTP 503"), "{error}");
        }
        other => panic!("expected an engine error, got {other:?}"),
    }
    assert_eq!(setup.proxy.requests("GET", "/tables/").len(), 3);

    let mut bad = Query::new(Dialect::BigQuery);
    bad.sql = "SELECT no_such_column FROM `nowhere`.`nothing`".into();
    assert!(setup.warehouse.query(&bad).is_err());
    assert_eq!(
        setup.proxy.requests("POST", "/queries").len(),
        1,
        "a query BigQuery rejects is not worth another try"
    );
}

#[test]
fn a_warehouse_that_keeps_failing_is_blamed_on_the_service() {
    let rules = vec![Rule {
        times: usize::MAX,
        ..rule("POST", "/queries", Fault::Unavailable)
    }];
    let setup = setup("blamed", 2, rules);
    let mut query = Query::new(Dialect::BigQuery);
    query.sql = "SELECT 1 AS one".into();
    match setup.warehouse.query(&query) {
        Err(WarehouseError::Engine { blame, message, .. }) => {
            assert_eq!(blame, Blame::Service, "{message}");
            assert!(message.contains("HTTP 503"), "{message}");
        }
        other => panic!("expected an engine error, got {other:?}"),
    }
}

#[test]
fn a_validation_dry_runs_each_query_once_on_a_warehouse_that_dry_runs_every_query() {
    let setup = setup("dry_runs", 1, Vec::new());
    setup.load(1, &[1, 2, 3], 2.5);
    let table = setup.table();
    let Setup {
        proxy, warehouse, ..
    } = setup;
    // As a pipeline opens it: every query dry-run first, for its price.
    let warehouse = warehouse.with_dry_runs();
    let before = proxy.seen().len();
    let report = validate_in_warehouse(
        &warehouse,
        &table,
        Rows::All,
        &Trade::contract(),
        &Options::default(),
    )
    .unwrap();
    assert!(report.input.scanned_bytes.is_some(), "{report:?}");
    let sent = &proxy.seen()[before..];
    let count = |path: &str| {
        sent.iter()
            .filter(|seen| seen.method == "POST" && seen.path.contains(path))
            .count()
    };
    let (queries, dry_runs) = (count("/queries"), count("/jobs"));
    assert!(queries > 0);
    assert_eq!(
        dry_runs, queries,
        "one dry run per query, not one for the price and one for the report"
    );
    assert_eq!(warehouse.usage().unwrap().dry_runs, dry_runs as u64);
}
