//! A PostgreSQL table as the klines pipeline's source, through the
//! `contracts` binary (`--source postgres`, read incrementally by
//! `open_time`): on the local setup with the gates in Polars and pushed
//! down into DuckDB, and on the emulators with the gates pushed down into
//! BigQuery. PostgreSQL comes from scripts/databases.sh (run by
//! scripts/test.sh, which sets DATACONTRACT_POSTGRES_URL); without it these
//! tests fail.

use std::process::Command;

use crate::support::runs::{Emulators, RAW, borrowed, contracts, succeed, text, workdir};

fn variable(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with scripts/test.sh, which starts PostgreSQL")
    })
}

fn psql(sql: &str) {
    let output = Command::new("psql")
        .arg(variable("DATACONTRACT_POSTGRES_URL"))
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .env(
            "PGPASSWORD",
            variable("DATACONTRACT_DATABASES_TEST_PASSWORD"),
        )
        .output()
        .expect("psql runs");
    assert!(output.status.success(), "{sql}: {}", text(&output.stderr));
}

/// One kline of BTCUSDT 1m opening at `minute` past midnight, 2024-03-01.
fn kline(minute: u32) -> String {
    format!(
        "('2024-03-01 00:{minute:02}:00+00', 62000, 62010, 61990, 62005, 1.5,
          '2024-03-01 00:{minute:02}:59.999+00', 93000, 10, 0.5, 31000, 'BTCUSDT', '1m')"
    )
}

/// Runs the pipeline twice from a fresh `schema.klines`: two klines, then
/// a third; each run promotes, the second reads from the mark on. Returns
/// the row count of the production raw table as `count` reads it.
fn two_runs(schema: &str, env: &[(&str, &str)], count: impl Fn(&std::path::Path) -> String) {
    psql(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};
         CREATE TABLE {schema}.klines (
           open_time timestamptz, open numeric, high numeric, low numeric, close numeric,
           volume numeric, close_time timestamptz, quote_asset_volume numeric,
           number_of_trades bigint, taker_buy_base_asset_volume numeric,
           taker_buy_quote_asset_volume numeric, symbol text, interval text);
         INSERT INTO {schema}.klines VALUES {}, {}",
        kline(0),
        kline(1)
    ));
    let dir = workdir(schema);
    let password = dir.join("database-password");
    std::fs::write(&password, variable("DATACONTRACT_DATABASES_TEST_PASSWORD")).unwrap();
    let (table, ca) = (
        format!("{schema}.klines"),
        variable("DATACONTRACT_DATABASES_TEST_CA"),
    );
    let args = [
        "run",
        "--source",
        "postgres",
        "--database-url",
        &variable("DATACONTRACT_POSTGRES_URL"),
        "--database-password-file",
        password.to_str().unwrap(),
        "--database-ca-file",
        &ca,
        "--database-table",
        &table,
        "--database-cursor",
        "open_time",
    ];
    let first = succeed(&dir, &args, env);
    assert!(first.contains("promoted"), "{first}");
    assert_eq!(count(&dir), "{\"n\":2}");
    psql(&format!("INSERT INTO {schema}.klines VALUES {}", kline(2)));
    let second = succeed(&dir, &args, env);
    assert!(
        second.contains("open_time up to"),
        "the mark moved: {second}"
    );
    assert_eq!(
        count(&dir),
        "{\"n\":3}",
        "the kline at the mark, read again, is merged on the key"
    );
}

fn local_count(dir: &std::path::Path) -> String {
    let sql = format!("SELECT COUNT(*) AS n FROM production.{RAW}");
    let output = contracts(dir, &["query", &sql, "--format", "json"], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout).trim().to_string()
}

#[test]
fn a_postgres_table_reaches_local_production_with_the_gates_in_polars() {
    two_runs("klines_polars", &[], local_count);
}

#[test]
fn a_postgres_table_reaches_local_production_with_the_gates_pushed_down() {
    two_runs(
        "klines_pushed_down",
        &[("DATACONTRACT_VALIDATION", "warehouse")],
        local_count,
    );
}

#[test]
fn a_postgres_table_reaches_production_on_the_emulators() {
    let emulators = Emulators::from_env();
    let suffix = std::process::id().to_string();
    let (staging, production) = (
        format!("staging_db_{suffix}"),
        format!("production_db_{suffix}"),
    );
    let mut env = emulators.env(&format!("database-{suffix}"), &staging, &production);
    env.push(("DATACONTRACT_VALIDATION".into(), "warehouse".into()));
    let env = borrowed(&env);
    let sql = format!("SELECT COUNT(*) AS n FROM `test-proj`.`{production}`.`{RAW}`");
    two_runs("klines_emulators", &env, |dir| {
        let output = contracts(dir, &["query", &sql, "--format", "json"], &env);
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout).trim().to_string()
    });
}
