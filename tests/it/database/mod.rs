//! The database sources against real servers on 127.0.0.1, which
//! `scripts/databases.sh` (run by `scripts/test.sh`) starts and announces
//! in DATACONTRACT_POSTGRES_URL and DATACONTRACT_MYSQL_URL; without them
//! these tests fail. What every engine must do is written once here, as
//! scenarios each engine's module runs with its own SQL; each test works
//! in a schema (a database, in MySQL) of its own.

mod mysql;
mod postgres;

use chrono::{DateTime, Utc};
use datacontract::pipeline::config::{Catalogue, Layers};
use datacontract::pipeline::{
    DatabaseSource, Environment, Extract, ExtractError, Outcome, Pipeline, RunOptions, Source, run,
};
use datacontract::store::{LocalStore, ObjectStore};
use datacontract::{Contract, DataContract};
use indicatif::ProgressBar;
use polars::prelude::*;

/// A database server the tests talk to, and how to speak to it.
pub struct Server {
    /// The source that reads it.
    pub source: &'static DatabaseSource,
    /// Its `source = "…"` name.
    pub engine: &'static str,
    /// The variable holding its URL (no password).
    pub url_variable: &'static str,
    /// Runs SQL statements on it, as the test user, stopping at the first
    /// error.
    pub run: fn(&str),
    /// Its type for a TIMESTAMP column.
    pub timestamp_type: &'static str,
    /// A literal for the UTC instant `YYYY-MM-DD hh:mm`.
    pub utc: fn(&str) -> String,
}

impl Server {
    /// Its URL, without a password.
    pub fn url(&self) -> String {
        std::env::var(self.url_variable).unwrap_or_else(|_| {
            panic!(
                "{} is not set: run the tests with scripts/test.sh, which starts the database servers",
                self.url_variable
            )
        })
    }

    /// The settings of a read with the test password (in a file), the
    /// test CA trusted for TLS, and `pairs`.
    pub fn settings(&self, pairs: &[(&str, &str)]) -> Settings {
        self.settings_with_password(pairs, &password())
    }

    /// The settings of a read with `password` (in a file), the test CA
    /// trusted for TLS, and `pairs`.
    pub fn settings_with_password(&self, pairs: &[(&str, &str)], password: &str) -> Settings {
        let mut settings = self.settings_without_ca(pairs, password);
        settings
            .layers
            .set_flag("database_ca_file", test_ca())
            .unwrap();
        settings
    }

    /// The settings of a read with `password` (in a file) and `pairs`,
    /// trusting only the system's certificate authorities.
    pub fn settings_without_ca(&self, pairs: &[(&str, &str)], password: &str) -> Settings {
        let folder = tempfile::tempdir().unwrap();
        let catalogue = Catalogue::default().with(self.source.settings());
        let mut layers = Layers::load(&catalogue, folder.path(), None, &|_| None).unwrap();
        let password_file = folder.path().join("password");
        std::fs::write(&password_file, format!("{password}\n")).unwrap();
        layers.set_flag("source", self.engine).unwrap();
        layers.set_flag("database_url", self.url()).unwrap();
        layers
            .set_flag(
                "database_password_file",
                password_file.display().to_string(),
            )
            .unwrap();
        for (key, value) in pairs {
            layers.set_flag(key, *value).unwrap();
        }
        Settings {
            layers,
            _folder: folder,
        }
    }

    /// Reads `contract`'s rows as `settings` say; the error as text.
    pub fn extract(
        &self,
        settings: &Settings,
        store: &dyn ObjectStore,
        contract: &Contract,
    ) -> Result<Extract, String> {
        let extractor = self
            .source
            .configure(&settings.layers)
            .map_err(|error| error.to_string())?;
        let config = settings.layers.resolve().map_err(|e| e.to_string())?;
        extractor
            .extract(&config, store, contract, &ProgressBar::hidden())
            .map_err(|error: ExtractError| error.to_string())
    }

    /// Why configuring a read with `pairs` fails.
    pub fn configuration_error(&self, pairs: &[(&str, &str)]) -> String {
        match self.source.configure(&self.settings(pairs).layers) {
            Err(error) => error.to_string(),
            Ok(_) => panic!("{pairs:?} is refused"),
        }
    }
}

/// Asserts that `client` ran `sql`, showing what it said if not.
pub fn assert_ran(client: &str, sql: &str, output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{client} failed on {sql}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The certificate authority that signed both servers' certificate.
pub fn test_ca() -> String {
    std::env::var("DATACONTRACT_DATABASES_TEST_CA")
        .expect("DATACONTRACT_DATABASES_TEST_CA is not set: run scripts/test.sh")
}

/// The password of the test user on every server.
pub fn password() -> String {
    std::env::var("DATACONTRACT_DATABASES_TEST_PASSWORD")
        .expect("DATACONTRACT_DATABASES_TEST_PASSWORD is not set: run scripts/test.sh")
}

/// A read's settings and the folder holding its password file.
pub struct Settings {
    pub layers: Layers,
    _folder: tempfile::TempDir,
}

/// An empty store in a fresh folder.
pub fn scratch_store() -> (tempfile::TempDir, LocalStore) {
    let folder = tempfile::tempdir().unwrap();
    let store = LocalStore::new(folder.path()).unwrap();
    (folder, store)
}

/// A value as text: strings bare, everything else as Polars shows it.
pub fn text_of(frame: &DataFrame, column: &str, row: usize) -> String {
    match frame.column(column).unwrap().get(row).unwrap() {
        AnyValue::String(text) => text.to_string(),
        AnyValue::StringOwned(text) => text.to_string(),
        other => other.to_string(),
    }
}

/// Asserts the three rows of an every-type table: row 1 holds
/// `first`'s values and `payload` 0x00ff10, row 2 NULL in every column
/// but `id`, row 3 `third`'s values; all in the contract's dtypes.
pub fn assert_every_type(
    extract: &Extract,
    contract: &Contract,
    first: &[(&str, &str)],
    third: &[(&str, &str)],
) {
    let frame = extract.frame.sort(["id"], Default::default()).unwrap();
    assert_eq!(frame.schema().as_ref(), &contract.polars_schema());
    assert_eq!(frame.height(), 3);
    for (row, expected) in [(0, first), (2, third)] {
        for (column, value) in expected {
            assert_eq!(
                &text_of(&frame, column, row),
                value,
                "row {}'s {column}",
                row + 1
            );
        }
    }
    assert_eq!(
        frame.column("payload").unwrap().get(0).unwrap(),
        AnyValue::Binary(&[0x00, 0xff, 0x10])
    );
    for field in contract.fields.iter().filter(|field| field.name != "id") {
        assert_eq!(
            frame.column(&field.name).unwrap().get(1).unwrap(),
            AnyValue::Null,
            "row 2's {} is NULL",
            field.name
        );
    }
    assert!(extract.checkpoint.is_none(), "no cursor, no mark");
}

/// A table read incrementally by `changed_at`.
#[derive(DataContract)]
#[contract(name = "orders", dedup_key(id))]
#[allow(dead_code)]
pub struct Order {
    id: i64,
    status: String,
    changed_at: DateTime<Utc>,
}

/// A frame's `(id, status)` pairs by id.
fn statuses(frame: &DataFrame) -> Vec<(i64, String)> {
    let frame = frame.sort(["id"], Default::default()).unwrap();
    let ids = frame.column("id").unwrap().i64().unwrap();
    let statuses = frame.column("status").unwrap().str().unwrap();
    (0..frame.height())
        .map(|row| {
            let id = ids.get(row).expect("id is REQUIRED");
            (
                id,
                statuses.get(row).expect("status is REQUIRED").to_string(),
            )
        })
        .collect()
}

fn pairs(expected: &[(i64, &str)]) -> Vec<(i64, String)> {
    expected
        .iter()
        .map(|(id, status)| (*id, status.to_string()))
        .collect()
}

/// Creates `{schema}.orders` with orders 1, 2 and 3, an hour apart.
fn create_orders(server: &Server, schema: &str) {
    let utc = server.utc;
    (server.run)(&format!(
        "CREATE TABLE {schema}.orders (id bigint, status varchar(16), changed_at {});
         INSERT INTO {schema}.orders VALUES
           (1, 'new', {}), (2, 'new', {}), (3, 'new', {})",
        server.timestamp_type,
        utc("2024-01-01 10:00"),
        utc("2024-01-01 11:00"),
        utc("2024-01-01 12:00"),
    ));
}

/// Incremental reads take the rows from the committed high-water mark on:
/// the mark moves only once it is stored, rows at the mark (late or read
/// before) come again, updated rows come with their new cursor.
pub fn incremental_reads(server: &Server, schema: &str) {
    create_orders(server, schema);
    let (_folder, store) = scratch_store();
    let settings = server.settings(&[
        ("database_table", &format!("{schema}.orders")),
        ("database_cursor", "changed_at"),
    ]);
    let contract = Order::contract();
    let first = server.extract(&settings, &store, &contract).unwrap();
    assert_eq!(statuses(&first.frame).len(), 3);
    let checkpoint = first.checkpoint.clone().expect("a cursor leaves a mark");
    let folder = format!("cursors/{}/", server.engine);
    assert!(checkpoint.key.starts_with(&folder), "{}", checkpoint.key);
    assert!(
        checkpoint
            .description
            .contains("2024-01-01T12:00:00.000000Z"),
        "{}",
        checkpoint.description
    );

    // The run stopped before its rows were promoted: the mark did not move, the
    // next read takes everything again.
    let again = server.extract(&settings, &store, &contract).unwrap();
    assert_eq!(statuses(&again.frame), statuses(&first.frame));

    // The rows were promoted, so the mark is written; meanwhile an order changed,
    // one arrived late with the mark's own time, and a new one came.
    store.put(&checkpoint.key, &checkpoint.contents).unwrap();
    let utc = server.utc;
    (server.run)(&format!(
        "UPDATE {schema}.orders SET status = 'paid', changed_at = {} WHERE id = 1;
         INSERT INTO {schema}.orders VALUES (4, 'late', {}), (5, 'new', {})",
        utc("2024-01-02 09:00"),
        utc("2024-01-01 12:00"),
        utc("2024-01-02 10:00"),
    ));
    let second = server.extract(&settings, &store, &contract).unwrap();
    assert_eq!(
        statuses(&second.frame),
        pairs(&[(1, "paid"), (3, "new"), (4, "late"), (5, "new")]),
        "the changed order, the rows at the mark (3 again, 4 late) and the new one"
    );
    assert_eq!(second.details["from"], "2024-01-01T12:00:00.000000Z");

    // Nothing new: no rows past the mark but those at it.
    let mark = second.checkpoint.as_ref().unwrap();
    store.put(&mark.key, &mark.contents).unwrap();
    let third = server.extract(&settings, &store, &contract).unwrap();
    assert_eq!(statuses(&third.frame), pairs(&[(5, "new")]));
}

/// A cursor must be a REQUIRED column that can grow, and reads only the
/// new rows, so production must append.
pub fn cursor_rules(server: &Server) {
    let (_folder, store) = scratch_store();
    let error = server
        .extract(
            &server.settings(&[("database_table", "orders"), ("database_cursor", "status")]),
            &store,
            &Order::contract(),
        )
        .unwrap_err();
    assert!(
        error.contains("database_cursor `status` is REQUIRED STRING; a cursor is a REQUIRED INT64, TIMESTAMP, DATETIME or DATE column"),
        "{error}"
    );
    let error = server.configuration_error(&[
        ("database_table", "orders"),
        ("database_cursor", "changed_at"),
        ("load_mode", "truncate"),
    ]);
    assert!(error.contains("load_mode = \"append\""), "{error}");
}

/// The session's TLS, as the server reports it.
#[derive(DataContract)]
#[contract(name = "session")]
#[allow(dead_code)]
pub struct Session {
    tls: String,
}

/// What `query` (one row, one `tls` column: the server's own account of
/// the session's TLS) reads with the test CA trusted and `pairs` set, or,
/// without the CA, why the read fails or what it reads.
pub fn tls_session(
    server: &Server,
    query: &str,
    pairs: &[(&str, &str)],
    trust_the_ca: bool,
) -> Result<String, String> {
    let (_folder, store) = scratch_store();
    let mut all = vec![("database_query", query)];
    all.extend_from_slice(pairs);
    let settings = if trust_the_ca {
        server.settings(&all)
    } else {
        server.settings_without_ca(&all, &password())
    };
    let extract = server.extract(&settings, &store, &Session::contract())?;
    Ok(text_of(&extract.frame, "tls", 0))
}

/// A price table.
#[derive(DataContract)]
#[contract(name = "prices", dedup_key(id))]
#[allow(dead_code)]
pub struct Price {
    id: i64,
    #[contract(bigquery_type = "NUMERIC(12, 3)")]
    amount: rust_decimal::Decimal,
}

/// A wrong password is refused with the server's `message`, which keeps
/// the password out; so is a password in the URL.
pub fn a_wrong_password_is_refused(server: &Server, table: &str, message: &str) {
    let (_folder, store) = scratch_store();
    let secret = "not-the-password-4711";
    let settings = server.settings_with_password(&[("database_table", table)], secret);
    let error = server
        .extract(&settings, &store, &Price::contract())
        .unwrap_err();
    assert!(error.contains(message), "{error}");
    assert!(!error.contains(secret), "{error}");
    password_in_the_url_is_refused(server);
}

/// A password in the URL is refused before anything connects, and says
/// nothing of the password.
fn password_in_the_url_is_refused(server: &Server) {
    let secret = "not-the-password-4711";
    let with_password =
        server
            .url()
            .replacen("datacontract@", &format!("datacontract:{secret}@"), 1);
    let error = server.configuration_error(&[
        ("database_table", "anything"),
        ("database_url", &with_password),
    ]);
    assert!(error.contains("the URL holds a password"), "{error}");
    assert!(!error.contains(secret), "{error}");
}

/// Rows of a query that stalls for a while in the middle of its output.
#[derive(DataContract)]
#[contract(name = "stalled", dedup_key(id))]
#[allow(dead_code)]
pub struct Stalled {
    id: i64,
    label: String,
}

/// Whether `attempt` succeeds within a minute, tried every 100 ms.
pub fn poll_for_a_minute(mut attempt: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if attempt() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

/// The read of `query` (200,000 rows that stall at row 100,000) while
/// `kill` ends its connection: it is read again from the start, and
/// keeps every row once.
pub fn killed_connection(
    server: &Server,
    query: &str,
    kill: impl FnOnce() -> bool + Send + 'static,
) {
    let killer = std::thread::spawn(kill);
    let (_folder, store) = scratch_store();
    let extract = server
        .extract(
            &server.settings(&[("database_query", query), ("database_batch_rows", "10000")]),
            &store,
            &Stalled::contract(),
        )
        .unwrap();
    assert!(killer.join().unwrap(), "the read was killed once");
    assert_eq!(extract.details["attempts"], 2, "{}", extract.details);
    let ids = extract.frame.column("id").unwrap().i64().unwrap();
    assert_eq!(extract.frame.height(), 200_000, "no row lost, none twice");
    assert_eq!(ids.n_unique().unwrap(), 200_000);
    assert_eq!(ids.sum(), Some(200_000 * 200_001 / 2));
}

/// A wide-ish table of a million rows.
#[derive(DataContract)]
#[contract(name = "events", dedup_key(id))]
#[allow(dead_code)]
pub struct Event {
    id: i64,
    #[contract(bigquery_type = "NUMERIC(12, 2)")]
    amount: rust_decimal::Decimal,
    at: DateTime<Utc>,
    label: String,
}

/// Reads `{schema}.events`, a million rows with id `g` in 1…1,000,000,
/// amount `(g % 100000) / 100`, `at` `g` seconds after 2024-01-01 UTC and
/// label `event g`, in batches of 100,000.
pub fn a_million_rows(server: &Server, schema: &str) {
    let (_folder, store) = scratch_store();
    let began = std::time::Instant::now();
    let extract = server
        .extract(
            &server.settings(&[
                ("database_table", &format!("{schema}.events")),
                ("database_batch_rows", "100000"),
            ]),
            &store,
            &Event::contract(),
        )
        .unwrap();
    eprintln!("{}: read 1M rows in {:?}", server.engine, began.elapsed());
    let id = extract.frame.column("id").unwrap().as_materialized_series();
    assert_eq!(
        id.n_chunks(),
        10,
        "ten batches of 100,000 rows, kept as they came"
    );
    let frame = extract.frame.sort(["id"], Default::default()).unwrap();
    assert_eq!(frame.height(), 1_000_000);
    assert_eq!(
        frame.column("id").unwrap().i64().unwrap().sum(),
        Some(500_000_500_000)
    );
    let last = frame.height() - 1;
    assert_eq!(text_of(&frame, "label", last), "event 1000000");
    assert_eq!(text_of(&frame, "amount", 12_344), "123.45");
    assert_eq!(text_of(&frame, "at", last), "2024-01-12 13:46:40 UTC");
}

/// A database table runs through the whole pipeline into DuckDB's
/// production table: the second run reads from the mark and production
/// merges what was read twice on the key; a run whose raw gate fails
/// leaves the mark where it was, so the next run reads its rows again.
pub fn through_the_pipeline(server: &Server, schema: &str) {
    (server.run)(&format!(
        "CREATE TABLE {schema}.orders (id bigint, status varchar(16), changed_at {});
         INSERT INTO {schema}.orders VALUES (1, 'new', {}), (2, 'new', {})",
        server.timestamp_type,
        (server.utc)("2024-01-01 10:00"),
        (server.utc)("2024-01-01 11:00"),
    ));
    let work = tempfile::tempdir().unwrap();
    let mut processed = Order::contract();
    processed.name = "orders_clean".into();
    let pipeline = Pipeline {
        name: "orders".into(),
        raw: Order::contract(),
        processed,
        sources: Vec::new(),
        transform: Box::new(Ok),
        sql_transform: None,
        reconciliations: Vec::new(),
        history: None,
    };
    let mut layers = Layers::load(&pipeline.catalogue(), work.path(), None, &|_| None).unwrap();
    let password_file = work.path().join("password");
    std::fs::write(&password_file, password()).unwrap();
    for (key, value) in [
        ("source", server.engine.to_string()),
        ("database_url", server.url()),
        (
            "database_password_file",
            password_file.display().to_string(),
        ),
        ("database_ca_file", test_ca()),
        ("database_table", format!("{schema}.orders")),
        ("database_cursor", "changed_at".into()),
        ("data_dir", work.path().join("data").display().to_string()),
        (
            "duckdb_path",
            work.path().join("warehouse.duckdb").display().to_string(),
        ),
    ] {
        layers.set_flag(key, value).unwrap();
    }
    let config = layers.resolve().unwrap();
    let environment = Environment::open(&config).unwrap();
    let production = datacontract::sql::TableRef::new(&config.raw_dataset, "orders").unwrap();
    let in_production = || {
        let dialect = environment.warehouse.dialect();
        let mut query = datacontract::sql::Query::new(dialect);
        query.sql = format!("SELECT id, status FROM {}", production.quoted(dialect));
        statuses(&environment.warehouse.query(&query).unwrap())
    };

    let run_once = || {
        run(
            &pipeline,
            &layers,
            &config,
            &environment,
            RunOptions::default(),
        )
    };
    let first = run_once();
    assert_eq!(
        first.report.outcome,
        Outcome::Promoted,
        "{:?}",
        first.report.error
    );
    assert_eq!(in_production(), pairs(&[(1, "new"), (2, "new")]));

    (server.run)(&format!(
        "UPDATE {schema}.orders SET status = 'paid', changed_at = {} WHERE id = 1;
         INSERT INTO {schema}.orders VALUES (3, 'new', {})",
        (server.utc)("2024-01-03 00:00"),
        (server.utc)("2024-01-02 00:00"),
    ));
    let second = run_once();
    assert_eq!(
        second.report.outcome,
        Outcome::Promoted,
        "{:?}",
        second.report.error
    );
    let extracted = second
        .report
        .stages
        .iter()
        .find(|s| s.name == "extract")
        .unwrap();
    assert_eq!(
        extracted.rows_out,
        Some(3),
        "row 2 at the mark, 1 changed, 3 new"
    );
    assert_eq!(
        in_production(),
        pairs(&[(1, "paid"), (2, "new"), (3, "new")]),
        "production merged the rows read twice on the key"
    );

    // Order 4 arrives twice, beside order 5: the raw gate refuses the
    // key's duplicate and nothing is promoted. The mark stays, so once the
    // source is mended (the second order 4 becomes order 40, its time
    // unchanged) the next run reads orders 4 and 40, although their time
    // is behind order 5's, the newest of the refused run.
    (server.run)(&format!(
        "INSERT INTO {schema}.orders VALUES (4, 'new', {}), (4, 'new', {}), (5, 'new', {})",
        (server.utc)("2024-01-03 01:00"),
        (server.utc)("2024-01-03 01:00"),
        (server.utc)("2024-01-04 00:00"),
    ));
    let refused = run_once();
    assert_eq!(refused.report.outcome, Outcome::StoppedAtRawGate);
    (server.run)(&format!(
        "DELETE FROM {schema}.orders WHERE id = 4;
         INSERT INTO {schema}.orders VALUES (4, 'new', {}), (40, 'new', {})",
        (server.utc)("2024-01-03 01:00"),
        (server.utc)("2024-01-03 01:00"),
    ));
    let mended = run_once();
    assert_eq!(
        mended.report.outcome,
        Outcome::Promoted,
        "{:?}",
        mended.report.error
    );
    assert_eq!(
        in_production(),
        pairs(&[
            (1, "paid"),
            (2, "new"),
            (3, "new"),
            (4, "new"),
            (5, "new"),
            (40, "new")
        ]),
        "the refused run's rows arrived with the next one"
    );
}
