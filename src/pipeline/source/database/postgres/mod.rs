//! PostgreSQL, through `tokio-postgres` and binary `COPY … TO STDOUT`:
//! the server streams its rows in their binary forms, which are decoded
//! straight into the contract's columns, a batch at a time.

mod binary;

use std::sync::Arc;

use futures_util::StreamExt;
use tokio_postgres::Client;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{
    BatchBuilder, Cell, Connection, CursorValue, DatabaseExtractor, ReadError, ReadRequest,
    run_to_completion,
};
use crate::pipeline::source::ExtractError;
use binary::{CopyParser, Wire};

/// `source = "postgres"`: PostgreSQL 12 or later (and what speaks its
/// protocol and binary COPY).
pub struct Postgres;

impl DatabaseExtractor for Postgres {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    fn quote(&self, identifier: &str) -> String {
        format!("\"{}\"", identifier.replace('"', "\"\""))
    }

    fn literal(&self, value: &CursorValue) -> String {
        match value {
            CursorValue::Int(_) => value.sql_text(),
            CursorValue::Timestamp(_) => format!("TIMESTAMPTZ '{}+00'", value.sql_text()),
            CursorValue::DateTime(_) => format!("TIMESTAMP '{}'", value.sql_text()),
            CursorValue::Date(_) => format!("DATE '{}'", value.sql_text()),
        }
    }

    fn read(
        &self,
        connection: &Connection,
        request: &ReadRequest<'_>,
        batch: &mut dyn FnMut(polars::prelude::DataFrame),
    ) -> Result<(), ReadError> {
        run_to_completion("PostgreSQL", read(connection, request, batch))
    }
}

async fn read(
    connection: &Connection,
    request: &ReadRequest<'_>,
    batch: &mut dyn FnMut(polars::prelude::DataFrame),
) -> Result<(), ReadError> {
    let client = connect(connection).await?;
    let statement = client
        .prepare(&request.select)
        .await
        .map_err(|error| classify(request.origin, "reading", error))?;
    let wires = statement
        .columns()
        .iter()
        .zip(request.fields)
        .enumerate()
        .map(|(index, (column, field))| match Wire::of(column.type_()) {
            Some(wire) if wire.fits(&field.logical_type, field.mode) => Ok(wire),
            _ => Err(request.unfit_column(index, column.type_().name())),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let failed = |message: String| ReadError::Failed(ExtractError::service(message));
    let mut builder = BatchBuilder::new(request.fields).map_err(failed)?;
    let stream = client
        .copy_out(&format!(
            "COPY ({}) TO STDOUT (FORMAT binary)",
            request.select
        ))
        .await
        .map_err(|error| classify(request.origin, "reading", error))?;
    futures_util::pin_mut!(stream);
    let mut parser = CopyParser::default();
    let mut row_number = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| classify(request.origin, "reading", error))?;
        parser.feed(&chunk, |row| {
            row_number += 1;
            request.decode_row(row_number, &mut builder, |index| match row.field(index) {
                None => Ok(Cell::Null),
                Some(bytes) => wires[index].decode(bytes, &request.fields[index].logical_type),
            })
        })?;
        if builder.rows() >= request.batch_rows {
            batch(builder.take().map_err(failed)?);
        }
    }
    parser
        .finish()
        .map_err(|why| ReadError::ConnectionLost(format!("{}: {why}", request.origin)))?;
    if builder.rows() > 0 {
        batch(builder.take().map_err(failed)?);
    }
    Ok(())
}

/// A connected client, its connection driven on this runtime.
async fn connect(connection: &Connection) -> Result<Client, ReadError> {
    let usage = |message: String| ReadError::Failed(ExtractError::usage(message));
    let mut config: tokio_postgres::Config = connection
        .url
        .parse()
        .map_err(|error| usage(format!("database_url is not a PostgreSQL URL: {error}")))?;
    if let Some(password) = &connection.password {
        config.password(password.expose());
    }
    if config.get_application_name().is_none() {
        config.application_name("datacontract");
    }
    let tls = tls(connection)?;
    let connected = tokio::time::timeout(connection.connect_timeout, config.connect(tls)).await;
    let (client, driver) = match connected {
        Ok(connected) => {
            connected.map_err(|error| classify("the database", "connecting to", error))?
        }
        Err(_) => {
            return Err(ReadError::ConnectionLost(format!(
                "connecting to the database took more than {} s",
                connection.connect_timeout.as_secs()
            )));
        }
    };
    tokio::spawn(async move {
        if let Err(error) = driver.await {
            tracing::warn!(%error, "the PostgreSQL connection ended");
        }
    });
    Ok(client)
}

/// The system's certificate authorities, read once per process rather
/// than at every connection attempt.
static SYSTEM_ROOTS: std::sync::LazyLock<Vec<rustls::pki_types::CertificateDer<'static>>> =
    std::sync::LazyLock::new(|| rustls_native_certs::load_native_certs().certs);

/// TLS where the server offers it (as `sslmode` asks), the server's
/// certificate checked against the system's roots and `database_ca_file`.
fn tls(connection: &Connection) -> Result<MakeRustlsConnect, ReadError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let usage = |message: String| ReadError::Failed(ExtractError::usage(message));
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(SYSTEM_ROOTS.iter().cloned());
    if let Some(path) = &connection.ca_file {
        let unreadable = |error: &dyn std::fmt::Display| {
            usage(format!("database_ca_file {}: {error}", path.display()))
        };
        for certificate in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))? {
            roots
                .add(certificate.map_err(|e| unreadable(&e))?)
                .map_err(|e| unreadable(&e))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|error| usage(format!("cannot set up TLS: {error}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// What a client error means for the read: a broken or refused
/// connection is worth another attempt; a refused login, a missing table
/// or column, or a rejected statement is not.
fn classify(origin: &str, doing: &str, error: tokio_postgres::Error) -> ReadError {
    let Some(database) = error.as_db_error() else {
        let message = format!("{doing} {origin}: {}", crate::errors::chain(&error));
        // A certificate that cannot be verified fails every attempt alike:
        // it is the configuration's to mend, not the network's.
        if error.to_string().contains("TLS handshake") {
            return ReadError::Failed(ExtractError::usage(format!(
                "{message} (trust the server's certificate authority with database_ca_file, or set sslmode in database_url)"
            )));
        }
        let lost = error.is_closed()
            || std::error::Error::source(&error)
                .is_some_and(|source| source.downcast_ref::<std::io::Error>().is_some());
        return if lost {
            ReadError::ConnectionLost(message)
        } else {
            ReadError::Failed(ExtractError::usage(message))
        };
    };
    let code = database.code().code();
    let message = format!(
        "{doing} {origin}: {} ({code}){}",
        database.message(),
        database
            .hint()
            .map(|hint| format!("; hint: {hint}"))
            .unwrap_or_default()
    );
    match &code[..2] {
        "08" | "57" | "53" => ReadError::ConnectionLost(message),
        "28" => ReadError::Failed(ExtractError::usage(message)),
        "42" | "22" => ReadError::Failed(ExtractError::input(message)),
        _ => ReadError::Failed(ExtractError::service(message)),
    }
}
