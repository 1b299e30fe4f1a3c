//! `contracts query` reads production and only reads it; a configuration
//! that would alias staging and production is refused; a missing drift
//! reference is a warning, repaired by the next promotion.

use std::path::{Path, PathBuf};

use crate::support::runs;

use runs::{
    Emulators, PROCESSED, borrowed, contracts, later_input, run_on, succeed, text, walk, workdir,
};

fn count(dir: &Path, table: &str) -> String {
    succeed(
        dir,
        &[
            "query",
            &format!("SELECT COUNT(*) AS n FROM {table}"),
            "--format",
            "csv",
        ],
        &[],
    )
}

#[test]
fn statements_that_write_are_refused_and_production_stays() {
    let dir = workdir("query-writes");
    succeed(&dir, &["run", "--quiet"], &[]);
    let table = format!("production.{PROCESSED}");
    let before = count(&dir, &table);
    for (sql, says) in [
        (
            format!("DROP TABLE {table}; SELECT 1"),
            "one statement only",
        ),
        (format!("DROP TABLE {table}"), "only SELECT"),
        (format!("DELETE FROM {table}"), "only SELECT"),
        (
            format!("CREATE TABLE production.copy AS SELECT * FROM {table}"),
            "only SELECT",
        ),
        (format!("COPY {table} TO 'stolen.csv'"), ""),
        ("ATTACH 'other.duckdb' AS other".to_string(), ""),
    ] {
        let output = contracts(&dir, &["query", &sql], &[]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{sql}: {}",
            text(&output.stdout)
        );
        assert!(
            text(&output.stderr).contains(says),
            "{sql}: {}",
            text(&output.stderr)
        );
    }
    assert_eq!(count(&dir, &table), before);
    assert!(!dir.join("stolen.csv").exists());
}

#[test]
fn files_are_out_of_reach_of_a_query() {
    let dir = workdir("query-files");
    succeed(&dir, &["run", "--quiet"], &[]);
    let secret = dir.join("key.json");
    std::fs::write(&secret, r#"{"private_key": "hunter2"}"#).unwrap();
    let path = secret.display().to_string();
    for sql in [
        format!("SELECT * FROM read_text('{path}')"),
        format!("SELECT * FROM read_csv('{path}')"),
        format!("SELECT * FROM read_json('{path}')"),
    ] {
        let output = contracts(&dir, &["query", &sql], &[]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{sql}: {}",
            text(&output.stdout)
        );
        assert!(
            text(&output.stderr).contains("disabled by configuration"),
            "{sql}: {}",
            text(&output.stderr)
        );
        assert!(!text(&output.stdout).contains("hunter2"), "{sql}");
    }
}

/// A folder with the shipped production configuration, and the
/// environment that points it at the GCS emulator, bucket `bucket`, and
/// the BigQuery at `bigquery`.
fn production(name: &str, bigquery: &str) -> (PathBuf, Vec<(String, String)>) {
    let emulators = Emulators::from_env();
    let dir = workdir(name);
    let conf = dir.join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../conf/production.toml");
    std::fs::copy(shipped, conf.join("production.toml")).unwrap();
    let env = [
        ("DATACONTRACT_ENV", "production".to_string()),
        ("STORAGE_EMULATOR_HOST", emulators.gcs.clone()),
        ("BIGQUERY_EMULATOR_HOST", bigquery.to_string()),
        ("GCS_BUCKET_NAME", format!("{name}-{}", std::process::id())),
        ("PROJECT_ID", "test-proj".to_string()),
    ];
    (
        dir,
        env.map(|(key, value)| (key.to_string(), value)).to_vec(),
    )
}

#[test]
fn the_production_configuration_queries_without_a_range() {
    let (dir, env) = production("query", &Emulators::from_env().bigquery);
    let rows = succeed(
        &dir,
        &["query", "SELECT 1 AS one", "--format", "csv"],
        &borrowed(&env),
    );
    assert_eq!(rows, "one\n1\n");
}

/// A CronJob tells "fix the query" from "BigQuery is down": a statement
/// the warehouse rejects is exit 2, a warehouse it cannot reach exit 3.
#[test]
fn a_rejected_query_is_usage_and_an_unreachable_warehouse_a_service_failure() {
    // A port nothing listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    for (bigquery, sql, code) in [
        (Emulators::from_env().bigquery, "SELECT no_such_column", 2),
        (closed, "SELECT 1 AS one", 3),
    ] {
        let (dir, env) = production("query-blame", &bigquery);
        let output = contracts(&dir, &["query", sql], &borrowed(&env));
        assert_eq!(
            output.status.code(),
            Some(code),
            "{sql} against {bigquery}: {}",
            text(&output.stderr)
        );
    }
}

#[test]
fn staging_that_aliases_production_is_refused() {
    let dir = workdir("aliasing");
    for (env, says) in [
        (
            vec![("DATACONTRACT_STAGING_DATASET", "Production")],
            "is the staging dataset",
        ),
        (
            vec![("BIGQUERY_RAW_DATASET", "runs")],
            "the store's own `runs/` folder",
        ),
        (
            vec![
                ("BIGQUERY_RAW_TABLE_NAME", "bars"),
                ("BIGQUERY_TRANSFORMED_TABLE_NAME", "BARS"),
            ],
            "are both",
        ),
    ] {
        let output = contracts(&dir, &["run", "--quiet"], &env);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{env:?}: {}",
            text(&output.stdout)
        );
        let said = text(&output.stdout) + &text(&output.stderr);
        assert!(said.contains(says), "{env:?}: {said}");
        assert!(
            walk(&dir.join("data/production")).is_empty(),
            "{env:?}: something reached production"
        );
    }
}

#[test]
fn a_missing_drift_reference_is_a_warning_and_the_next_promotion_repairs_it() {
    let dir = workdir("drift-reference");
    succeed(&dir, &["run", "--quiet"], &[]);
    let pointer = dir.join("data/promotion/last-promoted.json");
    let last: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&pointer).unwrap()).unwrap();
    let partition = dir.join("data").join(last["processed"].as_str().unwrap());
    std::fs::remove_file(&partition).unwrap();
    let summary = run_on(&dir, &later_input(&dir, 1), &[]);
    assert!(
        summary.contains("drift skipped: the last promoted partition is missing"),
        "{summary}"
    );
    let repaired: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&pointer).unwrap()).unwrap();
    assert_ne!(repaired["run_id"], last["run_id"]);
    assert!(
        dir.join("data")
            .join(repaired["processed"].as_str().unwrap())
            .exists()
    );
    // And the run after measures drift again.
    let summary = run_on(&dir, &later_input(&dir, 2), &[]);
    assert!(!summary.contains("drift skipped"), "{summary}");
}
