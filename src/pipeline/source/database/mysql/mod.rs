//! MySQL and MariaDB, through `mysql_async`: one prepared SELECT whose
//! binary-protocol rows are read one at a time off the socket and decoded
//! straight into the contract's columns, a batch at a time.

mod wire;

use mysql_async::prelude::*;
use mysql_async::{Conn, Opts, OptsBuilder, Value};

use super::{
    BatchBuilder, Cell, Connection, CursorValue, DatabaseExtractor, ReadError, ReadRequest,
    run_to_completion,
};
use crate::pipeline::source::ExtractError;
use wire::Wire;

/// `source = "mysql"`: MySQL 5.7 or later, MariaDB 10.3 or later.
pub struct Mysql;

impl DatabaseExtractor for Mysql {
    fn engine(&self) -> &'static str {
        "mysql"
    }

    fn quote(&self, identifier: &str) -> String {
        format!("`{}`", identifier.replace('`', "``"))
    }

    /// Typed literals; a TIMESTAMP's is UTC, the session's time zone.
    fn literal(&self, value: &CursorValue) -> String {
        match value {
            CursorValue::Int(_) => value.sql_text(),
            CursorValue::Timestamp(_) | CursorValue::DateTime(_) => {
                format!("TIMESTAMP '{}'", value.sql_text())
            }
            CursorValue::Date(_) => format!("DATE '{}'", value.sql_text()),
        }
    }

    fn read(
        &self,
        connection: &Connection,
        request: &ReadRequest<'_>,
        batch: &mut dyn FnMut(polars::prelude::DataFrame),
    ) -> Result<(), ReadError> {
        run_to_completion("MySQL", read(connection, request, batch))
    }
}

async fn read(
    connection: &Connection,
    request: &ReadRequest<'_>,
    batch: &mut dyn FnMut(polars::prelude::DataFrame),
) -> Result<(), ReadError> {
    let mut conn = connect(connection).await?;
    let statement = conn
        .prep(request.select.as_str())
        .await
        .map_err(|error| classify(request.origin, "reading", error))?;
    let columns = statement.columns();
    if columns.len() != request.fields.len() {
        return Err(ReadError::from(format!(
            "{}: the statement gives {} columns for the contract's {}",
            request.origin,
            columns.len(),
            request.fields.len()
        )));
    }
    let wires = columns
        .iter()
        .zip(request.fields)
        .enumerate()
        .map(|(index, (column, field))| match Wire::of(column) {
            Some(wire) if wire.fits(&field.logical_type, field.mode) => Ok(wire),
            _ => Err(request.unfit_column(index, &Wire::type_name(column))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let failed = |message: String| ReadError::Failed(ExtractError::service(message));
    let mut builder = BatchBuilder::new(request.fields).map_err(failed)?;
    let mut rows = conn
        .exec_iter(&statement, ())
        .await
        .map_err(|error| classify(request.origin, "reading", error))?;
    let mut row_number = 0u64;
    while let Some(row) = rows
        .next()
        .await
        .map_err(|error| classify(request.origin, "reading", error))?
    {
        row_number += 1;
        request.decode_row(row_number, &mut builder, |index| match row.as_ref(index) {
            None | Some(Value::NULL) => Ok(Cell::Null),
            Some(value) => wires[index].decode(value, &request.fields[index].logical_type),
        })?;
        if builder.rows() >= request.batch_rows {
            batch(builder.take().map_err(failed)?);
        }
    }
    drop(rows);
    if builder.rows() > 0 {
        batch(builder.take().map_err(failed)?);
    }
    // Every row is in; a failure to say goodbye loses nothing.
    if let Err(error) = conn.disconnect().await {
        tracing::debug!(%error, "closing the MySQL connection");
    }
    Ok(())
}

/// A connection over TCP whose session reads TIMESTAMPs in UTC.
async fn connect(connection: &Connection) -> Result<Conn, ReadError> {
    let usage = |message: String| ReadError::Failed(ExtractError::usage(message));
    let opts = Opts::from_url(&connection.url)
        .map_err(|error| usage(format!("database_url is not a MySQL URL: {error}")))?;
    let mut builder = OptsBuilder::from_opts(opts.clone())
        .pass(
            connection
                .password
                .as_ref()
                .map(|secret| secret.expose().to_string()),
        )
        .prefer_socket(false)
        .init(vec!["SET time_zone = '+00:00'"]);
    // Both of rustls' crypto providers are linked in (the Google clients
    // bring the other): name the one this reader uses, once per process,
    // or mysql_async's TLS cannot pick one.
    let _already_installed = rustls::crypto::ring::default_provider()
        .install_default()
        .is_err();
    if let Some(ca_file) = &connection.ca_file {
        let tls = opts
            .ssl_opts()
            .cloned()
            .unwrap_or_default()
            .with_root_certs(vec![ca_file.clone().into()]);
        builder = builder.ssl_opts(tls);
    }
    match tokio::time::timeout(connection.connect_timeout, Conn::new(builder)).await {
        Ok(connected) => {
            connected.map_err(|error| classify("the database", "connecting to", error))
        }
        Err(_) => Err(ReadError::ConnectionLost(format!(
            "connecting to the database took more than {} s",
            connection.connect_timeout.as_secs()
        ))),
    }
}

/// What a client error means for the read: a broken, killed or refused
/// connection is worth another attempt; a refused login, a missing table
/// or column, or a rejected statement is not.
fn classify(origin: &str, doing: &str, error: mysql_async::Error) -> ReadError {
    use mysql_async::{DriverError, Error};
    let message = format!("{doing} {origin}: {error}");
    match &error {
        Error::Io(mysql_async::IoError::Tls(_)) => ReadError::Failed(ExtractError::usage(format!(
            "{message} (trust the server's certificate authority with database_ca_file)"
        ))),
        Error::Io(_) | Error::Driver(DriverError::ConnectionClosed) => {
            ReadError::ConnectionLost(message)
        }
        Error::Url(_) => ReadError::Failed(ExtractError::usage(message)),
        Error::Server(server) => match server.code {
            // Access denied, unknown database.
            1044 | 1045 | 1049 | 1698 => ReadError::Failed(ExtractError::usage(message)),
            // Server shutdown, connection or query killed, too many
            // connections, lost or gone connections.
            1040 | 1053 | 1317 | 1927 | 2006 | 2013 => ReadError::ConnectionLost(message),
            _ if server.state.starts_with("08") => ReadError::ConnectionLost(message),
            _ if server.state.starts_with("42") || server.state.starts_with("22") => {
                ReadError::Failed(ExtractError::input(message))
            }
            _ => ReadError::Failed(ExtractError::service(message)),
        },
        Error::Driver(_) | Error::Other(_) => ReadError::Failed(ExtractError::service(message)),
    }
}
