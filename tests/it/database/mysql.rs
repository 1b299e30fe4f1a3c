//! The MySQL source against MariaDB: the scenarios every engine runs, and
//! what is MySQL's own (its types, its errors).

use std::process::{Command, Output};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use datacontract::DataContract;
use datacontract::pipeline::DatabaseSource;
use datacontract::pipeline::source::database::Mysql;
use rust_decimal::Decimal;

use super::{Price, Server, password, scratch_store};

static SOURCE: DatabaseSource = DatabaseSource::new(&Mysql);

static SERVER: Server = Server {
    source: &SOURCE,
    engine: "mysql",
    url_variable: "DATACONTRACT_MYSQL_URL",
    run: mariadb,
    timestamp_type: "timestamp(6) NULL",
    utc: |at| format!("'{at}'"),
};

/// Runs `sql` with the mariadb client in a UTC session.
fn mariadb_output(sql: &str) -> Output {
    let url = SERVER.url();
    let address = url
        .trim_start_matches("mysql://")
        .split_once('@')
        .and_then(|(_, rest)| rest.split('/').next())
        .expect("mysql://user@host:port/db");
    let (host, port) = address.split_once(':').unwrap_or((address, "3306"));
    Command::new("mariadb")
        .args([
            "-h",
            host,
            "-P",
            port,
            "-u",
            "datacontract",
            "--batch",
            "-N",
            "-e",
        ])
        .arg(format!("SET time_zone = '+00:00'; {sql}"))
        .env("MYSQL_PWD", password())
        .output()
        .expect("the mariadb client runs")
}

/// Runs `sql`, stopping at the first error.
fn mariadb(sql: &str) {
    super::assert_ran("mariadb", sql, &mariadb_output(sql));
}

/// A fresh database for one test.
fn schema(name: &str) -> String {
    mariadb(&format!(
        "DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}"
    ));
    name.to_string()
}

/// Every column type the MySQL source maps.
#[derive(DataContract)]
#[contract(name = "everything", dedup_key(id))]
#[allow(dead_code)]
struct Everything {
    id: i64,
    flag: Option<bool>,
    tiny: Option<i64>,
    small: Option<i64>,
    medium: Option<i64>,
    normal: Option<i64>,
    #[contract(bigquery_type = "NUMERIC(20, 0)")]
    huge: Option<Decimal>,
    ratio: Option<f64>,
    single: Option<f64>,
    #[contract(bigquery_type = "NUMERIC(12, 3)")]
    amount: Option<Decimal>,
    #[contract(bigquery_type = "BIGNUMERIC(40, 20)")]
    big: Option<Decimal>,
    label: Option<String>,
    fixed: Option<String>,
    body: Option<String>,
    mood: Option<String>,
    tags: Option<String>,
    payload: Option<Vec<u8>>,
    day: Option<NaiveDate>,
    clock: Option<NaiveTime>,
    civil: Option<NaiveDateTime>,
    seen_at: Option<DateTime<Utc>>,
    doc: Option<serde_json::Value>,
    bit: Option<bool>,
    made: Option<i64>,
}

#[test]
fn every_mapped_type_and_null_arrive_in_the_contracts_dtypes() {
    let schema = schema("my_every_type");
    mariadb(&format!(
        "CREATE TABLE {schema}.everything (
           id bigint PRIMARY KEY, flag boolean, tiny tinyint, small smallint, medium mediumint,
           normal int, huge bigint unsigned, ratio double, single float, amount decimal(12, 3),
           big decimal(40, 20), label varchar(32), fixed char(3), body text,
           mood enum('calm', 'busy'), tags set('a', 'b'), payload varbinary(8), day date,
           clock time(6), civil datetime(6), seen_at timestamp(6) NULL, doc json, bit bit(1),
           made year);
         SET time_zone = '+01:00';
         INSERT INTO {schema}.everything VALUES
           (1, true, -128, -32768, 8388607, 2147483647, 18446744073709551615, 0.1, 1.5,
            -123456789.125, 12345678901234567890.00000000000000000001, 'héllo \"world\"', 'AB',
            'long text', 'busy', 'a,b', X'00FF10', '2024-02-29', '23:59:59.999999',
            '2024-03-01 12:34:56.789012', '2024-03-01 13:00:00', '{{\"a\": [1, 2]}}', b'1', 2024),
           (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
           (3, false, 0, 0, 0, 0, 0, 0, 0, 0, 0, '', '', '', 'calm', '', X'', '1000-01-01',
            '00:00:00', '9999-12-31 23:59:59.999999', '1970-01-01 01:00:01', '[]', b'0', 1901);"
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
        ("tiny", "-128"),
        ("small", "-32768"),
        ("medium", "8388607"),
        ("normal", "2147483647"),
        ("huge", "18446744073709551615"),
        ("ratio", "0.1"),
        ("single", "1.5"),
        ("amount", "-123456789.125"),
        ("big", "12345678901234567890.00000000000000000001"),
        ("label", "héllo \"world\""),
        ("fixed", "AB"),
        ("body", "long text"),
        ("mood", "busy"),
        ("tags", "a,b"),
        ("day", "2024-02-29"),
        ("clock", "23:59:59.999999"),
        ("civil", "2024-03-01 12:34:56.789012"),
        ("seen_at", "2024-03-01 12:00:00 UTC"),
        ("doc", "{\"a\": [1, 2]}"),
        ("bit", "true"),
        ("made", "2024"),
    ];
    let expected_third = [
        ("day", "1000-01-01"),
        ("clock", "00:00:00"),
        ("civil", "9999-12-31 23:59:59.999999"),
        ("seen_at", "1970-01-01 00:00:01 UTC"),
        ("big", "0"),
        ("amount", "0.000"),
        ("bit", "false"),
        ("made", "1901"),
        ("tags", ""),
    ];
    super::assert_every_type(&extract, &contract, &expected_first, &expected_third);
}

/// A counter table.
#[derive(DataContract)]
#[contract(name = "counters", dedup_key(id))]
#[allow(dead_code)]
struct Counter {
    id: i64,
    n: i64,
    day: Option<NaiveDate>,
}

#[test]
fn a_value_that_does_not_fit_names_the_table_the_row_and_the_column() {
    let schema = schema("my_no_fit");
    mariadb(&format!(
        "CREATE TABLE {schema}.prices (id bigint, amount decimal(14, 4));
         INSERT INTO {schema}.prices VALUES (1, 1.5), (42, 1.2345), (3, 2);
         CREATE TABLE {schema}.texts (id bigint, amount varchar(8));
         CREATE TABLE {schema}.counters (id bigint PRIMARY KEY, n bigint unsigned, day date);
         INSERT INTO {schema}.counters VALUES (1, 5, '2024-01-01'), (2, 18446744073709551615, NULL);
         CREATE TABLE {schema}.dates (id bigint PRIMARY KEY, n bigint, day date);
         INSERT INTO {schema}.dates VALUES (7, 1, '0000-00-00');"
    ));
    let (_folder, store) = scratch_store();
    let failure = |table: &str, contract: &datacontract::Contract| {
        let settings = SERVER.settings(&[("database_table", &format!("{schema}.{table}"))]);
        SERVER.extract(&settings, &store, contract).unwrap_err()
    };
    let error = failure("prices", &Price::contract());
    assert!(
        error.contains(&format!(
            "table {schema}.prices, row 2 (key id = 42): column `amount`"
        )) && error.contains("1.2345 has 4 digits after the point; NUMERIC(12, 3) keeps 3"),
        "{error}"
    );
    let error = failure("texts", &Price::contract());
    assert!(
        error.contains("column `amount` is a string in the database, which does not fit the contract's REQUIRED NUMERIC"),
        "{error}"
    );
    let error = failure("counters", &Counter::contract());
    assert!(
        error.contains(
            "row 2 (key id = 2): column `n`: 18446744073709551615 is above INT64's largest value"
        ),
        "{error}"
    );
    let error = failure("dates", &Counter::contract());
    assert!(
        error.contains("row 1 (key id = 7): column `day`: 0000-00-00 is not a calendar date"),
        "{error}"
    );
    let error = failure("missing", &Price::contract());
    assert!(error.contains("doesn't exist"), "{error}");
}

#[test]
fn tls_is_used_with_a_ca_or_when_required_and_the_servers_certificate_verified() {
    let query = "SELECT VARIABLE_VALUE AS tls FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_VERSION'";
    let tls = |pairs: &[(&str, &str)], trusted| super::tls_session(&SERVER, query, pairs, trusted);
    assert!(
        tls(&[], true).unwrap().starts_with("TLSv1."),
        "a CA file asks for TLS"
    );
    assert_eq!(
        tls(&[], false).unwrap(),
        "",
        "no CA, no require_ssl: no TLS"
    );
    let required = format!("{}?require_ssl=true", SERVER.url());
    let error = tls(&[("database_url", &required)], false).unwrap_err();
    assert!(
        error.to_lowercase().contains("certificate"),
        "an unknown issuer is refused: {error}"
    );
}

#[test]
fn a_wrong_password_is_a_clear_error_that_keeps_the_secret() {
    super::a_wrong_password_is_refused(
        &SERVER,
        "mysql.user",
        "Access denied for user 'datacontract'",
    );
}

#[test]
fn a_million_rows_arrive_batch_by_batch() {
    let schema = schema("my_million");
    mariadb(&format!(
        "CREATE TABLE {schema}.events (id bigint PRIMARY KEY, amount decimal(12, 2),
           at timestamp(6) NULL, label varchar(32));
         INSERT INTO {schema}.events
           SELECT seq, (seq % 100000) / 100, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND,
                  CONCAT('event ', seq)
           FROM {schema}.seq_1_to_1000000"
    ));
    super::a_million_rows(&SERVER, &schema);
}

#[test]
fn incremental_reads_take_the_rows_from_the_committed_high_water_mark_on() {
    super::incremental_reads(&SERVER, &schema("my_incremental"));
}

#[test]
fn a_cursor_must_be_a_required_growing_column_of_a_keyed_contract() {
    super::cursor_rules(&SERVER);
}

#[test]
fn a_connection_killed_mid_read_is_read_again_from_the_start() {
    let schema = schema("my_killed");
    mariadb(&format!(
        "CREATE TABLE {schema}.lines (id bigint PRIMARY KEY, label varchar(16));
         INSERT INTO {schema}.lines SELECT seq, CONCAT('row ', seq) FROM {schema}.seq_1_to_200000"
    ));
    // The query sleeps at row 100000, after the first rows went out, and
    // the connection is killed while it sleeps.
    let query = format!("SELECT id, label FROM {schema}.lines WHERE id <> 100000 OR SLEEP(2) = 0");
    super::killed_connection(&SERVER, &query, || {
        super::poll_for_a_minute(|| {
            let output = mariadb_output(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE STATE = 'User sleep' AND INFO LIKE '%SLEEP(2)%'",
            );
            let id = String::from_utf8_lossy(&output.stdout).trim().to_string();
            !id.is_empty()
                && mariadb_output(&format!("KILL CONNECTION {id}"))
                    .status
                    .success()
        })
    });
}

#[test]
fn a_database_table_runs_through_the_pipeline_to_production() {
    super::through_the_pipeline(&SERVER, &schema("my_pipeline"));
}
