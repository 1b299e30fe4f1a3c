//! The PostgreSQL source against PostgreSQL 15: the scenarios every
//! engine runs, and what is PostgreSQL's own (its types, its errors).

use std::process::Command;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use datacontract::DataContract;
use datacontract::pipeline::DatabaseSource;
use datacontract::pipeline::source::database::Postgres;
use rust_decimal::Decimal;

use super::{Price, Server, password, scratch_store};

static SOURCE: DatabaseSource = DatabaseSource::new(&Postgres);

static SERVER: Server = Server {
    source: &SOURCE,
    engine: "postgres",
    url_variable: "DATACONTRACT_POSTGRES_URL",
    run: psql,
    timestamp_type: "timestamptz",
    utc: |at| format!("'{at}+00'"),
};

/// Runs `sql` with psql, stopping at the first error.
fn psql(sql: &str) {
    let output = Command::new("psql")
        .arg(SERVER.url())
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .env("PGPASSWORD", password())
        .output()
        .expect("psql runs");
    super::assert_ran("psql", sql, &output);
}

/// A fresh schema for one test.
fn schema(name: &str) -> String {
    psql(&format!(
        "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
    ));
    name.to_string()
}

/// Every column type the PostgreSQL source maps.
#[derive(DataContract)]
#[contract(name = "everything", dedup_key(id))]
#[allow(dead_code)]
struct Everything {
    id: i64,
    flag: Option<bool>,
    small: Option<i64>,
    medium: Option<i64>,
    ratio: Option<f64>,
    single: Option<f64>,
    #[contract(bigquery_type = "NUMERIC(12, 3)")]
    amount: Option<Decimal>,
    #[contract(bigquery_type = "BIGNUMERIC(40, 20)")]
    big: Option<Decimal>,
    label: Option<String>,
    code: Option<String>,
    letter: Option<String>,
    mood: Option<String>,
    uid: Option<String>,
    payload: Option<Vec<u8>>,
    day: Option<NaiveDate>,
    clock: Option<NaiveTime>,
    civil: Option<NaiveDateTime>,
    seen_at: Option<DateTime<Utc>>,
    doc: Option<serde_json::Value>,
    docb: Option<serde_json::Value>,
    counts: Option<Vec<i64>>,
    tags: Option<Vec<String>>,
}

#[test]
fn every_mapped_type_and_null_arrive_in_the_contracts_dtypes() {
    let schema = schema("pgsrc_every_type");
    psql(&format!(
        "CREATE TYPE {schema}.mood AS ENUM ('calm', 'busy');
         CREATE TABLE {schema}.everything (
           id bigint PRIMARY KEY, flag boolean, small smallint, medium integer,
           ratio double precision, single real, amount numeric(12, 3), big numeric(40, 20),
           label text, code varchar(8), letter char(1), mood {schema}.mood, uid uuid, payload bytea,
           day date, clock time, civil timestamp, seen_at timestamptz, doc json, docb jsonb,
           counts bigint[], tags text[]);
         SET TIME ZONE 'Europe/Paris';
         INSERT INTO {schema}.everything VALUES
           (1, true, -32768, 2147483647, 0.1, 1.5, -123456789.125, 12345678901234567890.00000000000000000001,
            'héllo \"world\"', 'AB-12', 'x', 'busy', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff10',
            '2024-02-29', '23:59:59.999999', '2024-03-01 12:34:56.789012', '2024-03-01 13:00:00+01',
            '{{\"a\": [1, 2]}}', '{{\"b\": null}}', '{{1, -2, 3}}', '{{\"x\", \"y z\"}}'),
           (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
           (3, false, 0, 0, 0, 0, 0, 0, '', '', ' ', 'calm', '00000000-0000-0000-0000-000000000000', '',
            '0001-01-01', '00:00:00', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:00+00',
            '[]', '{{}}', '{{}}', '{{}}');"
    ));
    let (_folder, store) = scratch_store();
    let contract = Everything::contract();
    let extract = SERVER
        .extract(
            &SERVER.settings(&[("database_table", &format!("{schema}.everything"))]),
            &store,
            &contract,
        )
        .unwrap();
    let expected_first = [
        ("flag", "true"),
        ("small", "-32768"),
        ("medium", "2147483647"),
        ("ratio", "0.1"),
        ("single", "1.5"),
        ("amount", "-123456789.125"),
        ("big", "12345678901234567890.00000000000000000001"),
        ("label", "héllo \"world\""),
        ("code", "AB-12"),
        ("letter", "x"),
        ("mood", "busy"),
        ("uid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        ("day", "2024-02-29"),
        ("clock", "23:59:59.999999"),
        ("civil", "2024-03-01 12:34:56.789012"),
        ("seen_at", "2024-03-01 12:00:00 UTC"),
        ("doc", "{\"a\": [1, 2]}"),
        ("docb", "{\"b\": null}"),
        ("counts", "[1, -2, 3]"),
        ("tags", "[\"x\", \"y z\"]"),
    ];
    let expected_third = [
        ("day", "0001-01-01"),
        ("civil", "9999-12-31 23:59:59.999999"),
        ("seen_at", "1970-01-01 00:00:00 UTC"),
        ("counts", "[]"),
        ("tags", "[]"),
        ("letter", " "),
        ("big", "0"),
        ("amount", "0.000"),
    ];
    super::assert_every_type(&extract, &contract, &expected_first, &expected_third);
}

#[test]
fn a_value_that_does_not_fit_names_the_table_the_row_and_the_column() {
    let schema = schema("pgsrc_no_fit");
    psql(&format!(
        "CREATE TABLE {schema}.prices (id bigint, amount numeric(14, 4));
         INSERT INTO {schema}.prices VALUES (1, 1.5), (42, 1.2345), (3, 2);
         CREATE TABLE {schema}.texts (id bigint, amount text);"
    ));
    let (_folder, store) = scratch_store();
    let table = format!("{schema}.prices");
    let error = SERVER
        .extract(
            &SERVER.settings(&[("database_table", &table)]),
            &store,
            &Price::contract(),
        )
        .unwrap_err();
    assert!(
        error.contains(&format!(
            "table {table}, row 2 (key id = 42): column `amount`"
        )) && error.contains("1.2345 has 4 digits after the point; NUMERIC(12, 3) keeps 3"),
        "{error}"
    );
    let texts = SERVER.settings(&[("database_table", &format!("{schema}.texts"))]);
    let error = SERVER
        .extract(&texts, &store, &Price::contract())
        .unwrap_err();
    assert!(
        error.contains("column `amount` is text in the database, which does not fit the contract's REQUIRED NUMERIC"),
        "{error}"
    );
    let missing = SERVER.settings(&[("database_table", &format!("{schema}.missing"))]);
    let error = SERVER
        .extract(&missing, &store, &Price::contract())
        .unwrap_err();
    assert!(error.contains("does not exist"), "{error}");
}

#[test]
fn tls_is_used_when_offered_and_the_servers_certificate_verified() {
    let query = "SELECT ssl::text AS tls FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    let tls = |trusted| super::tls_session(&SERVER, query, &[], trusted);
    assert_eq!(
        tls(true).unwrap(),
        "true",
        "sslmode=prefer takes the offered TLS"
    );
    let error = tls(false).unwrap_err();
    assert!(
        error.contains("certificate"),
        "an unknown issuer is refused: {error}"
    );
    let plain = super::tls_session(
        &SERVER,
        query,
        &[("database_url", &format!("{}?sslmode=disable", SERVER.url()))],
        false,
    );
    assert_eq!(plain.unwrap(), "false", "sslmode=disable asks for none");
}

#[test]
fn a_wrong_password_is_a_clear_error_that_keeps_the_secret() {
    super::a_wrong_password_is_refused(
        &SERVER,
        "public.anything",
        "password authentication failed for user \"datacontract\"",
    );
}

#[test]
fn a_million_rows_arrive_batch_by_batch() {
    let schema = schema("pgsrc_million");
    psql(&format!(
        "CREATE TABLE {schema}.events AS
           SELECT g AS id, (g % 100000) / 100.0 AS amount,
                  TIMESTAMPTZ '2024-01-01 00:00:00+00' + g * INTERVAL '1 second' AS at,
                  'event ' || g AS label
           FROM generate_series(1, 1000000) AS g"
    ));
    super::a_million_rows(&SERVER, &schema);
}

#[test]
fn incremental_reads_take_the_rows_from_the_committed_high_water_mark_on() {
    super::incremental_reads(&SERVER, &schema("pgsrc_incremental"));
}

#[test]
fn a_cursor_must_be_a_required_growing_column_of_a_keyed_contract() {
    super::cursor_rules(&SERVER);
}

#[test]
fn a_connection_killed_mid_read_is_read_again_from_the_start() {
    let schema = schema("pgsrc_killed");
    psql(&format!(
        "CREATE TABLE {schema}.rows AS SELECT g AS id, 'row ' || g AS label FROM generate_series(1, 200000) AS g"
    ));
    // The query sleeps at row 100000: by then the first rows have been
    // sent, and the connection is killed while it sleeps.
    let query =
        format!("SELECT id, label FROM {schema}.rows WHERE id <> 100000 OR pg_sleep(2)::text = ''");
    super::killed_connection(&SERVER, &query, || {
        super::poll_for_a_minute(|| {
            let output = Command::new("psql")
                .arg(SERVER.url())
                .args(["-At", "-c", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE 'COPY%'"])
                .env("PGPASSWORD", password())
                .output()
                .unwrap();
            String::from_utf8_lossy(&output.stdout).trim() == "t"
        })
    });
}

#[test]
fn a_database_table_runs_through_the_pipeline_to_production() {
    super::through_the_pipeline(&SERVER, &schema("pgsrc_pipeline"));
}
