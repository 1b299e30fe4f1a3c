//! Databases as sources: a table or a SELECT, read into the raw contract's
//! columns, whole or incrementally by a cursor column.
//!
//! Everything but the engine's own wire is here, once: the settings, the
//! statement (the contract's columns, quoted), the password (from the
//! environment or a mounted file, never from the configuration), the
//! cursor and its high-water mark, the retries after a lost connection,
//! and the frame. An engine is one [`DatabaseExtractor`]: it connects,
//! reads the statement's rows batch by batch and decodes each value into
//! the contract's type ([`Cell`]), or says exactly why it does not fit.
//!
//! **Incremental reads.** With `database_cursor` set, a run reads the rows
//! whose cursor is at or past the high-water mark (`>=`): rows that arrive
//! late with the mark's own value are read, and rows read twice are
//! harmless, because the raw contract's dedup key merges them in
//! production. The mark advances to the largest cursor read only once the
//! run has promoted its rows to production ([`Extract::checkpoint`]): a
//! run that stops or fails a gate before reads the same rows again.

mod columns;
mod cursor;
mod mysql;
mod postgres;
mod values;

use std::time::Duration;

use indicatif::ProgressBar;
use polars::prelude::*;

use super::{Extract, ExtractError, Extractor, Source};
use crate::Contract;
use crate::contract::naming;
use crate::pipeline::config::{Config, ConfigError, Layers, SettingSpec, setting};
use crate::retry::RetryPolicy;
use crate::secrets::{Secret, SecretSource};
use crate::store::ObjectStore;

pub use columns::{BatchBuilder, Cell, ColumnBuilder};
pub use cursor::{Cursor, CursorValue};
pub use mysql::Mysql;
pub use postgres::Postgres;

/// The settings every database source reads.
const DATABASE_SETTINGS: &[SettingSpec] = &[
    setting(
        "database_url",
        "DATACONTRACT_DATABASE_URL",
        None,
        "the database to read: `postgres://user@host:5432/db` or `mysql://user@host:3306/db` (no password here)",
    ),
    setting(
        "database_password_env",
        "DATACONTRACT_DATABASE_PASSWORD_ENV",
        Some("DATACONTRACT_DATABASE_PASSWORD"),
        "the environment variable holding the database password",
    ),
    setting(
        "database_password_file",
        "DATACONTRACT_DATABASE_PASSWORD_FILE",
        None,
        "a file holding the database password (a mounted secret); wins over the variable",
    ),
    setting(
        "database_ca_file",
        "DATACONTRACT_DATABASE_CA_FILE",
        None,
        "PEM certificates to trust for the database's TLS, besides the system's",
    ),
    setting(
        "database_table",
        "DATACONTRACT_DATABASE_TABLE",
        None,
        "the table to read, `schema.table` (or set `database_query`)",
    ),
    setting(
        "database_query",
        "DATACONTRACT_DATABASE_QUERY",
        None,
        "a SELECT to read instead of a table",
    ),
    setting(
        "database_cursor",
        "DATACONTRACT_DATABASE_CURSOR",
        None,
        "a column that only grows (`modified_at`, an id): each run reads from the last run's high-water mark on",
    ),
    setting(
        "database_batch_rows",
        "DATACONTRACT_DATABASE_BATCH_ROWS",
        Some("65536"),
        "rows decoded per batch while reading",
    ),
];

/// How long connecting may take before the attempt counts as lost.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// One database engine: everything a source needs that differs between
/// PostgreSQL, MySQL and the next one.
pub trait DatabaseExtractor: Send + Sync {
    /// Its name in `source = "…"`, e.g. `postgres`.
    fn engine(&self) -> &'static str;

    /// `identifier` quoted for this engine's SQL.
    fn quote(&self, identifier: &str) -> String;

    /// A cursor value as a literal of this engine's SQL.
    fn literal(&self, value: &CursorValue) -> String;

    /// Reads `request.select`'s rows, decoded into `request.fields`' types,
    /// handing `batch` one frame of at most `request.batch_rows` rows at a
    /// time.
    fn read(
        &self,
        connection: &Connection,
        request: &ReadRequest<'_>,
        batch: &mut dyn FnMut(DataFrame),
    ) -> Result<(), ReadError>;
}

/// Where the database is and how to prove who we are.
#[derive(Debug)]
pub struct Connection {
    /// The URL, without a password.
    pub url: String,
    /// The password, if the server asks for one.
    pub password: Option<Secret>,
    /// Extra PEM certificates to trust for TLS.
    pub ca_file: Option<std::path::PathBuf>,
    /// How long connecting may take.
    pub connect_timeout: Duration,
}

/// One read: the statement and what its rows must become.
pub struct ReadRequest<'a> {
    /// The SELECT, the contract's columns in its order.
    pub select: String,
    /// What is read, for messages: `table public.trades`, `the query`.
    pub origin: &'a str,
    /// The contract's columns.
    pub fields: &'a [crate::Field],
    /// The dedup key's columns, which name a row in messages.
    pub key: &'a [String],
    /// Rows per batch.
    pub batch_rows: usize,
}

impl ReadRequest<'_> {
    /// The error for a result column whose database type (`database_type`,
    /// as the engine names it) does not fit field `index` of the contract.
    pub fn unfit_column(&self, index: usize, database_type: &str) -> ReadError {
        let field = &self.fields[index];
        ReadError::Failed(ExtractError::input(format!(
            "{}: column `{}` is {database_type} in the database, which does not fit the contract's {} {}",
            self.origin,
            field.name,
            format!("{:?}", field.mode).to_uppercase(),
            field.logical_type.sql_name(),
        )))
    }

    /// Decodes one row into `builder`, `decode(index)` giving column
    /// `index`'s cell. A value that does not fit is an error naming the
    /// origin, the row (by its number and its dedup key) and the column.
    pub fn decode_row(
        &self,
        row_number: u64,
        builder: &mut BatchBuilder,
        decode: impl Fn(usize) -> Result<Cell, String>,
    ) -> Result<(), ReadError> {
        for (index, field) in self.fields.iter().enumerate() {
            let cell = decode(index).map_err(|why| {
                ReadError::Failed(ExtractError::input(format!(
                    "{}, row {row_number}{}: column `{}`: {why}",
                    self.origin,
                    self.row_key(&decode),
                    field.name
                )))
            })?;
            builder
                .column(index)
                .push(cell)
                .map_err(|why| ReadError::Failed(ExtractError::service(why)))?;
        }
        builder.end_row();
        Ok(())
    }

    /// ` (key id = 7, at = …)`: the row's dedup key, as far as it decodes.
    fn row_key(&self, decode: &impl Fn(usize) -> Result<Cell, String>) -> String {
        let parts: Vec<String> = self
            .key
            .iter()
            .filter_map(|column| self.fields.iter().position(|f| &f.name == column))
            .map(|index| {
                let value = decode(index)
                    .map(|cell| cell.to_string())
                    .unwrap_or_else(|_| "(undecodable)".into());
                format!("{} = {value}", self.fields[index].name)
            })
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" (key {})", parts.join(", "))
        }
    }
}

/// Runs an engine's asynchronous read on a runtime of its own, on this
/// thread: a read is one connection, and the pipeline is synchronous.
pub fn run_to_completion(
    client: &str,
    read: impl std::future::Future<Output = Result<(), ReadError>>,
) -> Result<(), ReadError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            ReadError::Failed(ExtractError::service(format!(
                "cannot start the {client} client: {error}"
            )))
        })?;
    runtime.block_on(read)
}

/// Why a read stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The connection broke or could not be made: the read starts over from
    /// the committed high-water mark.
    #[error("the connection was lost: {0}")]
    ConnectionLost(String),
    /// Anything else, final: a value that does not fit, a refused
    /// password, a statement the database rejects.
    #[error("{0}")]
    Failed(ExtractError),
}

impl From<String> for ReadError {
    /// A stream the engine cannot make sense of: a final failure of the
    /// database's side.
    fn from(message: String) -> Self {
        ReadError::Failed(ExtractError::service(message))
    }
}

/// `source = "postgres"` (and every other engine): a database table or
/// query as a pipeline's raw rows.
pub struct DatabaseSource {
    engine: &'static dyn DatabaseExtractor,
}

impl DatabaseSource {
    /// The source reading through `engine`.
    pub const fn new(engine: &'static dyn DatabaseExtractor) -> Self {
        DatabaseSource { engine }
    }
}

/// What a database source reads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    Table(Vec<String>),
    Query(String),
}

impl Source for DatabaseSource {
    fn name(&self) -> &'static str {
        self.engine.engine()
    }

    fn settings(&self) -> &'static [SettingSpec] {
        DATABASE_SETTINGS
    }

    fn configure(&self, layers: &Layers) -> Result<Box<dyn Extractor>, ConfigError> {
        let url = layers.required("database_url")?.value.clone();
        if url_has_password(&url) {
            return Err(layers.invalid(
                "database_url",
                "the URL holds a password; put it in the variable `database_password_env` names, or in `database_password_file`",
            ));
        }
        let origin = match (layers.get("database_table"), layers.get("database_query")) {
            (Some(table), None) => Origin::Table(
                table_name(&table.value)
                    .map_err(|error| layers.invalid("database_table", error))?,
            ),
            (None, Some(query)) => Origin::Query(
                select_statement(&query.value)
                    .map_err(|error| layers.invalid("database_query", error))?,
            ),
            (Some(_), Some(_)) => {
                return Err(layers.invalid(
                    "database_query",
                    "set `database_table` or `database_query`, not both",
                ));
            }
            (None, None) => {
                return Err(layers.invalid(
                    "database_table",
                    "set `database_table` (a table) or `database_query` (a SELECT)",
                ));
            }
        };
        let cursor = layers.get("database_cursor").map(|s| s.value.clone());
        if cursor.is_some()
            && layers
                .get("load_mode")
                .is_some_and(|mode| mode.value != "append")
        {
            return Err(layers.invalid(
                "load_mode",
                "an incremental read (database_cursor) lands only the new rows: production keeps the earlier ones only with load_mode = \"append\"",
            ));
        }
        let batch_rows = layers
            .required("database_batch_rows")?
            .value
            .parse::<usize>()
            .ok()
            .filter(|rows| *rows > 0)
            .ok_or_else(|| {
                layers.invalid("database_batch_rows", "not a whole number of rows above 0")
            })?;
        Ok(Box::new(DatabaseRead {
            engine: self.engine,
            url,
            password: layers.secret("database_password"),
            ca_file: layers.get("database_ca_file").map(|s| s.value.clone()),
            origin,
            cursor,
            batch_rows,
            retry: RetryPolicy::default(),
        }))
    }
}

/// A configured read of one table or query.
pub struct DatabaseRead {
    engine: &'static dyn DatabaseExtractor,
    url: String,
    password: SecretSource,
    ca_file: Option<String>,
    origin: Origin,
    cursor: Option<String>,
    batch_rows: usize,
    retry: RetryPolicy,
}

impl DatabaseRead {
    /// What is read, for messages and the high-water mark's identity.
    fn origin(&self) -> String {
        match &self.origin {
            Origin::Table(parts) => format!("table {}", parts.join(".")),
            Origin::Query(_) => "the query".into(),
        }
    }

    /// The statement: the contract's columns, from the table or the
    /// query, past the high-water mark.
    fn select(&self, contract: &Contract, mark: Option<&CursorValue>) -> String {
        let quote = |name: &str| self.engine.quote(name);
        let columns: Vec<String> = contract.fields.iter().map(|f| quote(&f.name)).collect();
        let from = match &self.origin {
            Origin::Table(parts) => parts.iter().map(|p| quote(p)).collect::<Vec<_>>().join("."),
            Origin::Query(query) => format!("({query}) AS {}", quote("source")),
        };
        let mut select = format!("SELECT {} FROM {from}", columns.join(", "));
        if let (Some(cursor), Some(mark)) = (&self.cursor, mark) {
            select.push_str(&format!(
                " WHERE {} >= {}",
                quote(cursor),
                self.engine.literal(mark)
            ));
        }
        select
    }
}

impl Extractor for DatabaseRead {
    fn extract(
        &self,
        _config: &Config,
        store: &dyn ObjectStore,
        contract: &Contract,
        progress: &ProgressBar,
    ) -> Result<Extract, ExtractError> {
        let origin = self.origin();
        let cursor = match &self.cursor {
            Some(column) => Some(Cursor::new(
                self.engine.engine(),
                &origin_identity(&self.origin),
                column,
                contract,
            )?),
            None => None,
        };
        let mark = match &cursor {
            Some(cursor) => cursor.mark(store)?,
            None => None,
        };
        let connection = Connection {
            url: self.url.clone(),
            password: self.password.read().map_err(ExtractError::usage)?,
            ca_file: self.ca_file.as_ref().map(Into::into),
            connect_timeout: CONNECT_TIMEOUT,
        };
        let key = contract
            .dedup_key
            .as_ref()
            .map(|key| key.columns.clone())
            .unwrap_or_default();
        let request = ReadRequest {
            select: self.select(contract, mark.as_ref()),
            origin: &origin,
            fields: &contract.fields,
            key: &key,
            batch_rows: self.batch_rows,
        };
        let operation = format!("reading {origin} from {}", self.engine.engine());
        let (frames, attempts) = self.retry.run_counting(
            &operation,
            || {
                // Every attempt starts over from the committed mark: the
                // batches of a broken one are dropped, none is kept twice.
                let mut frames = Vec::new();
                progress.set_position(0);
                self.engine
                    .read(&connection, &request, &mut |frame| {
                        progress.inc(frame.height() as u64);
                        frames.push(frame);
                    })
                    .map(|()| frames)
            },
            |error| matches!(error, ReadError::ConnectionLost(_)),
        );
        let frames = frames.map_err(|error| match error {
            ReadError::ConnectionLost(message) => ExtractError::service(format!(
                "{operation}: the connection was lost {attempts} time(s), the last: {message}"
            )),
            ReadError::Failed(error) => error,
        })?;
        let frame = concatenate(frames, contract)?;
        let checkpoint = match &cursor {
            Some(cursor) => cursor.advance(&frame, mark.as_ref())?,
            None => None,
        };
        Ok(Extract {
            description: format!(
                "{} rows of {origin} from {}",
                frame.height(),
                self.engine.engine()
            ),
            details: serde_json::json!({
                "engine": self.engine.engine(),
                "origin": origin,
                "attempts": attempts,
                "cursor": self.cursor,
                "from": mark.as_ref().map(CursorValue::to_json),
                "to": checkpoint.as_ref().map(|c| c.description.clone()),
            }),
            frame,
            rejected: Vec::new(),
            checkpoint,
        })
    }
}

/// The batches as one frame of the contract's columns (an empty one when
/// no row was read). The batches stay its chunks: joining them copies
/// nothing, so the read's peak memory is the frame plus one batch.
fn concatenate(frames: Vec<DataFrame>, contract: &Contract) -> Result<DataFrame, ExtractError> {
    let mut frames = frames.into_iter();
    let Some(mut frame) = frames.next() else {
        return Ok(DataFrame::empty_with_schema(&contract.polars_schema()));
    };
    for batch in frames {
        frame
            .vstack_mut(&batch)
            .map_err(|error| ExtractError::service(format!("cannot join the batches: {error}")))?;
    }
    Ok(frame)
}

/// What identifies the read for its high-water mark: the table, or the
/// query's text.
fn origin_identity(origin: &Origin) -> String {
    match origin {
        Origin::Table(parts) => format!("table:{}", parts.join(".")),
        Origin::Query(query) => format!("query:{query}"),
    }
}

/// Whether `url` carries a password: `scheme://user:password@host`, a
/// `password=` query parameter, or (a PostgreSQL key-value string rather
/// than a URL) a `password=` keyword.
fn url_has_password(url: &str) -> bool {
    match reqwest::Url::parse(url) {
        Ok(parsed) => {
            parsed.password().is_some()
                || parsed
                    .query_pairs()
                    .any(|(key, _)| key.eq_ignore_ascii_case("password"))
        }
        Err(_) => url
            .split_whitespace()
            .any(|word| word.to_ascii_lowercase().starts_with("password=")),
    }
}

/// `schema.table` or `table`, each part a plain identifier (the portable
/// names every table of this project has).
fn table_name(text: &str) -> Result<Vec<String>, String> {
    let parts: Vec<String> = text.split('.').map(str::to_string).collect();
    if parts.len() > 2 {
        return Err(format!("`{text}` is not `table` or `schema.table`"));
    }
    match parts
        .iter()
        .find_map(|part| naming::table_name_problem(part))
    {
        Some(problem) => Err(format!("`{text}`: {problem}")),
        None => Ok(parts),
    }
}

/// `text` if it is one SELECT statement (it is read as a subquery).
fn select_statement(text: &str) -> Result<String, String> {
    use sqlparser::ast::Statement;
    let statements =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::GenericDialect {}, text)
            .map_err(|error| format!("not a SELECT this tool can read: {error}"))?;
    match statements.as_slice() {
        [Statement::Query(_)] => Ok(text.trim().trim_end_matches(';').trim().to_string()),
        _ => Err("not one SELECT statement".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_url_is_found() {
        assert!(url_has_password("postgres://me:secret@db:5432/app"));
        assert!(url_has_password(
            "postgres://db/app?sslmode=require&password=x"
        ));
        assert!(!url_has_password(
            "postgres://me@db:5432/app?sslmode=prefer"
        ));
        assert!(!url_has_password("postgres://db:5432/app"));
        assert!(url_has_password("host=db user=me password=secret"));
        assert!(!url_has_password("host=db user=me"));
    }

    #[test]
    fn table_names_are_plain_identifiers() {
        assert_eq!(table_name("public.trades").unwrap(), ["public", "trades"]);
        assert_eq!(table_name("trades").unwrap(), ["trades"]);
        for bad in ["a.b.c", "trades; DROP TABLE x", "\"x\"", "", "1abc", "a..b"] {
            assert!(table_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_one_select_is_a_query() {
        assert_eq!(select_statement("SELECT 1 AS a;").unwrap(), "SELECT 1 AS a");
        assert!(select_statement("DELETE FROM t").is_err());
        assert!(select_statement("SELECT 1; DROP TABLE t").is_err());
    }
}
