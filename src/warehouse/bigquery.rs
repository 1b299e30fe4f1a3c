//! BigQuery through `gcp-bigquery-client`, or the bqemulator that serves
//! the same v2 REST API.
//!
//! Credentials: the service-account key file named by
//! `GOOGLE_APPLICATION_CREDENTIALS`, else application default credentials.
//! With `BIGQUERY_EMULATOR_HOST` set ([`BigQueryWarehouse::from_env`]) the
//! client talks to that host without credentials.
//!
//! Transient failures are retried under a [`RetryPolicy`]: every API call
//! on HTTP 429 and 5xx, rate-limit 403s, timeouts and dropped connections;
//! a whole job or query again, under a new id, when BigQuery ends it with
//! a temporary error (`backendError`, `internalError`, `rateLimitExceeded`).
//! A retried call cannot run a statement twice: each job carries an id of
//! ours (a repeated insert answers 409, and the job is then awaited) and
//! each query a `requestId`, which BigQuery deduplicates.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use gcp_bigquery_client::Client;
use gcp_bigquery_client::auth::Authenticator;
use gcp_bigquery_client::client_builder::ClientBuilder;
use gcp_bigquery_client::error::BQError;
use gcp_bigquery_client::model::dataset::Dataset;
use gcp_bigquery_client::model::error_proto::ErrorProto;
use gcp_bigquery_client::model::get_query_results_parameters::GetQueryResultsParameters;
use gcp_bigquery_client::model::job::Job;
use gcp_bigquery_client::model::query_request::QueryRequest;
use gcp_bigquery_client::model::table::Table;
use gcp_bigquery_client::model::table_row::TableRow;
use polars::prelude::DataFrame;
use serde_json::{Value, json};

use super::bigquery_rows::rows_to_frame;
use super::load::{finish_load, merge_statement};
use super::{
    LoadMode, LoadOutcome, Warehouse, WarehouseError, abbreviate, columns_with_metadata,
    partition_parts,
};
use crate::retry::RetryPolicy;
use crate::schema::TableFieldSchema;
use crate::sql::{Dialect, Query, SqlValue, TableRef, check_dataset, check_project};
use crate::store::ObjectStore;
use crate::store::layout::PartitionKey;
use crate::{Contract, Partitioning};

const ENGINE: &str = "BigQuery";

/// The environment variable naming a BigQuery emulator (`host:port` or a
/// URL). It is this project's convention; the client does not read it.
pub const EMULATOR_HOST_VARIABLE: &str = "BIGQUERY_EMULATOR_HOST";

/// How long a job may run before the warehouse stops waiting for it.
const JOB_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// A BigQuery project as a warehouse. Calls block: the warehouse runs its
/// own small runtime.
pub struct BigQueryWarehouse {
    client: Client,
    project: String,
    runtime: tokio::runtime::Runtime,
    page_size: Option<i32>,
    retry: RetryPolicy,
}

/// Credentials for an emulator, which checks none.
#[derive(Clone)]
struct NoCredentials;

#[async_trait::async_trait]
impl Authenticator for NoCredentials {
    async fn access_token(&self) -> Result<String, BQError> {
        Ok("emulator".into())
    }
}

impl BigQueryWarehouse {
    /// The project on Google Cloud, with the service account named by
    /// `GOOGLE_APPLICATION_CREDENTIALS`, or application default credentials.
    pub fn connect(project: &str) -> Result<Self, WarehouseError> {
        Self::authenticated(project, ClientBuilder::new())
    }

    /// [`BigQueryWarehouse::connect`], at another endpoint of the REST API
    /// (`https://host`, a Private Service Connect endpoint, or a test
    /// server): the same credentials, another host.
    pub fn connect_at(project: &str, endpoint: &str) -> Result<Self, WarehouseError> {
        let base = format!("{}/bigquery/v2", endpoint.trim_end_matches('/'));
        let mut builder = ClientBuilder::new();
        builder.with_v2_base_url(base);
        Self::authenticated(project, builder)
    }

    fn authenticated(project: &str, builder: ClientBuilder) -> Result<Self, WarehouseError> {
        check_project(project)?;
        let runtime = runtime()?;
        let client = match std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS") {
            Some(path) => runtime
                .block_on(builder.build_from_service_account_key_file(&path.to_string_lossy())),
            None => runtime.block_on(builder.build_from_application_default_credentials()),
        }
        .map_err(|error| engine_error("authenticate", None, &error))?;
        Ok(Self::with_client(client, project, runtime))
    }

    /// The project on an emulator at `endpoint` (`http://127.0.0.1:9050`).
    pub fn emulator(project: &str, endpoint: &str) -> Result<Self, WarehouseError> {
        check_project(project)?;
        let runtime = runtime()?;
        let base = format!("{}/bigquery/v2", endpoint.trim_end_matches('/'));
        let client = runtime
            .block_on(
                ClientBuilder::new()
                    .with_v2_base_url(base)
                    .build_from_authenticator(Arc::new(NoCredentials)),
            )
            .map_err(|error| engine_error("connect to the emulator", None, &error))?;
        Ok(Self::with_client(client, project, runtime))
    }

    /// The emulator named by `BIGQUERY_EMULATOR_HOST` when it is set, else
    /// Google Cloud ([`BigQueryWarehouse::connect`]).
    pub fn from_env(project: &str) -> Result<Self, WarehouseError> {
        match std::env::var(EMULATOR_HOST_VARIABLE) {
            Ok(host) if !host.is_empty() => {
                let endpoint = if host.contains("://") {
                    host
                } else {
                    format!("http://{host}")
                };
                Self::emulator(project, &endpoint)
            }
            _ => Self::connect(project),
        }
    }

    fn with_client(client: Client, project: &str, runtime: tokio::runtime::Runtime) -> Self {
        BigQueryWarehouse {
            client,
            project: project.to_string(),
            runtime,
            page_size: None,
            retry: RetryPolicy::default(),
        }
    }

    /// The same warehouse retrying transient failures under `retry`.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The same warehouse reading query results `rows` rows per page
    /// (default: as many as BigQuery sends, up to 10 MB a page).
    pub fn with_page_size(mut self, rows: i32) -> Self {
        self.page_size = Some(rows);
        self
    }

    /// The project tables are in when a [`TableRef`] names none.
    pub fn project(&self) -> &str {
        &self.project
    }

    fn project_of<'a>(&'a self, table: &'a TableRef) -> &'a str {
        table.project.as_deref().unwrap_or(&self.project)
    }

    /// One API call, retried while it fails transiently.
    fn call<T, Fut>(&self, operation: &str, attempt: impl Fn() -> Fut) -> Result<T, BQError>
    where
        Fut: Future<Output = Result<T, BQError>>,
    {
        self.retry.run(
            &format!("BigQuery: {operation}"),
            || self.runtime.block_on(attempt()),
            transient,
        )
    }

    fn get_table(&self, table: &TableRef) -> Result<Option<Table>, WarehouseError> {
        let operation = format!("get table {table}");
        let result = self.call(&operation, || {
            self.client
                .table()
                .get(self.project_of(table), &table.dataset, &table.table, None)
        });
        match result {
            Ok(found) => Ok(Some(found)),
            Err(error) if status(&error) == Some(404) => Ok(None),
            Err(error) => Err(engine_error(&operation, None, &error)),
        }
    }

    fn insert_table(&self, table: Value, name: &TableRef) -> Result<(), WarehouseError> {
        let table: Table =
            serde_json::from_value(table).map_err(|error| WarehouseError::Result {
                operation: format!("describe table {name}"),
                message: error.to_string(),
            })?;
        let operation = format!("create table {name}");
        match self.call(&operation, || self.client.table().create(table.clone())) {
            Ok(_) => Ok(()),
            // There already, or created by an attempt whose answer was lost.
            Err(error) if status(&error) == Some(409) => Ok(()),
            Err(error) => Err(engine_error(&operation, None, &error)),
        }
    }

    fn table_reference(&self, table: &TableRef) -> Value {
        json!({
            "projectId": self.project_of(table),
            "datasetId": table.dataset,
            "tableId": table.table,
        })
    }

    /// Runs a job until it is done; one that BigQuery ends with a
    /// temporary error runs again under a new id.
    fn run_job(&self, operation: &str, configuration: Value) -> Result<(), WarehouseError> {
        self.retry
            .run(
                &format!("BigQuery: {operation}"),
                || self.run_job_once(operation, &configuration),
                |failure| failure.temporary,
            )
            .map_err(|failure| failure.error)
    }

    /// Inserts a job under a new id of ours and waits until it is done.
    fn run_job_once(&self, operation: &str, configuration: &Value) -> Result<(), Failure> {
        let job_id = unique_id();
        let job: Job = serde_json::from_value(json!({
            "jobReference": { "projectId": self.project, "jobId": job_id },
            "configuration": configuration,
        }))
        .map_err(|error| WarehouseError::Result {
            operation: operation.to_string(),
            message: error.to_string(),
        })?;
        let mut job = match self.call(operation, || {
            self.client.job().insert(&self.project, job.clone())
        }) {
            Ok(inserted) => inserted,
            // Inserted by an attempt whose answer was lost: await that one.
            Err(error) if status(&error) == Some(409) => self.get_job(operation, &job_id, None)?,
            Err(error) => return Err(engine_error(operation, Some(&job_id), &error).into()),
        };
        let location = job.job_reference.as_ref().and_then(|r| r.location.clone());
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            let status = job.status.clone().unwrap_or_default();
            if status.state.as_deref() == Some("DONE") {
                return match status.error_result {
                    Some(error) => Err(Failure::of_job(operation, &job_id, &[error])),
                    None => Ok(()),
                };
            }
            if started.elapsed() > JOB_TIMEOUT {
                return Err(not_done(operation, &job_id).into());
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(5));
            job = self.get_job(operation, &job_id, location.as_deref())?;
        }
    }

    fn get_job(
        &self,
        operation: &str,
        job_id: &str,
        location: Option<&str>,
    ) -> Result<Job, WarehouseError> {
        self.call(operation, || {
            self.client.job().get_job(&self.project, job_id, location)
        })
        .map_err(|error| engine_error(operation, Some(job_id), &error))
    }

    /// Runs a query, waits for it, and reads every page of its result; a
    /// query that BigQuery ends with a temporary error runs again.
    fn run_query(&self, query: &Query) -> Result<QueryOutcome, WarehouseError> {
        let operation = format!("query `{}`", abbreviate(&query.sql));
        self.retry
            .run(
                &format!("BigQuery: {operation}"),
                || self.run_query_once(&operation, query),
                |failure| failure.temporary,
            )
            .map_err(|failure| failure.error)
    }

    /// One run of a query, under a new `requestId`.
    fn run_query_once(&self, operation: &str, query: &Query) -> Result<QueryOutcome, Failure> {
        let request: QueryRequest = serde_json::from_value(json!({
            "query": query.sql,
            "useLegacySql": false,
            "parameterMode": "NAMED",
            "queryParameters": parameters(&query.params),
            "maxResults": self.page_size,
            "requestId": unique_id(),
        }))
        .map_err(|error| WarehouseError::Result {
            operation: operation.to_string(),
            message: error.to_string(),
        })?;
        let response = self
            .call(operation, || {
                self.client.job().query(&self.project, request.clone())
            })
            .map_err(|error| engine_error(operation, None, &error))?;
        let reference = response.job_reference.unwrap_or_default();
        let job_id = reference.job_id.clone();
        if let Some(errors) = response.errors.as_ref().filter(|e| !e.is_empty()) {
            return Err(Failure::of_job(
                operation,
                job_id.as_deref().unwrap_or("?"),
                errors,
            ));
        }
        let mut outcome = QueryOutcome {
            schema: response
                .schema
                .and_then(|s| s.fields)
                .map(|fields| to_our_schema(operation, fields))
                .transpose()?,
            rows: response.rows.unwrap_or_default(),
            affected: response
                .num_dml_affected_rows
                .as_deref()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
        };
        let mut complete = response.job_complete.unwrap_or(true);
        let mut page_token = response.page_token;
        let started = std::time::Instant::now();
        while !complete || page_token.is_some() {
            let Some(job_id) = job_id.as_deref() else {
                break;
            };
            if !complete {
                outcome.rows.clear();
            }
            let parameters = GetQueryResultsParameters {
                location: reference.location.clone(),
                max_results: self.page_size,
                page_token: page_token.clone().filter(|_| complete),
                timeout_ms: Some(10_000),
                ..Default::default()
            };
            let page = self
                .call(operation, || {
                    self.client
                        .job()
                        .get_query_results(&self.project, job_id, parameters.clone())
                })
                .map_err(|error| engine_error(operation, Some(job_id), &error))?;
            if let Some(errors) = page.errors.as_ref().filter(|e| !e.is_empty()) {
                return Err(Failure::of_job(operation, job_id, errors));
            }
            if !page.job_complete.unwrap_or(true) {
                if started.elapsed() > JOB_TIMEOUT {
                    return Err(not_done(operation, job_id).into());
                }
                continue;
            }
            complete = true;
            if outcome.schema.is_none() {
                outcome.schema = page
                    .schema
                    .clone()
                    .and_then(|s| s.fields)
                    .map(|fields| to_our_schema(operation, fields))
                    .transpose()?;
            }
            outcome.rows.extend(page.rows.unwrap_or_default());
            if let Some(affected) = page.num_dml_affected_rows.and_then(|n| n.parse().ok()) {
                outcome.affected = affected;
            }
            page_token = page.page_token;
        }
        Ok(outcome)
    }
}

/// What a query answered: its schema, all rows, and the rows a DML
/// statement affected.
struct QueryOutcome {
    schema: Option<Vec<TableFieldSchema>>,
    rows: Vec<TableRow>,
    affected: u64,
}

impl Warehouse for BigQueryWarehouse {
    fn dialect(&self) -> Dialect {
        Dialect::BigQuery
    }

    fn ensure_dataset(&self, dataset: &str) -> Result<(), WarehouseError> {
        check_dataset(dataset)?;
        let operation = format!("create dataset {dataset}");
        match self.call(&operation, || {
            self.client.dataset().get(&self.project, dataset)
        }) {
            Ok(_) => return Ok(()),
            Err(error) if status(&error) == Some(404) => {}
            Err(error) => return Err(engine_error(&operation, None, &error)),
        }
        match self.call(&operation, || {
            self.client
                .dataset()
                .create(Dataset::new(&self.project, dataset))
        }) {
            Ok(_) => Ok(()),
            // There already, or created by an attempt whose answer was lost.
            Err(error) if status(&error) == Some(409) => Ok(()),
            Err(error) => Err(engine_error(&operation, None, &error)),
        }
    }

    fn create_table(&self, table: &TableRef, contract: &Contract) -> Result<(), WarehouseError> {
        if self.get_table(table)?.is_some() {
            return Ok(());
        }
        let mut definition = json!({
            "tableReference": self.table_reference(table),
            "schema": { "fields": columns_with_metadata(contract)? },
        });
        if let Some(description) = &contract.description {
            definition["description"] = json!(description);
        }
        match &contract.partitioning {
            Some(Partitioning::Time {
                column,
                granularity,
            }) => {
                definition["timePartitioning"] =
                    json!({ "type": granularity.name(), "field": column });
            }
            Some(Partitioning::IngestionTime { granularity }) => {
                definition["timePartitioning"] = json!({ "type": granularity.name() });
            }
            Some(Partitioning::IntegerRange {
                column,
                start,
                end,
                interval,
            }) => {
                definition["rangePartitioning"] = json!({
                    "field": column,
                    "range": { "start": start.to_string(), "end": end.to_string(), "interval": interval.to_string() },
                });
            }
            None => {}
        }
        if !contract.clustering.is_empty() {
            definition["clustering"] = json!({ "fields": contract.clustering });
        }
        self.insert_table(definition, table)
    }

    fn live_columns(
        &self,
        table: &TableRef,
    ) -> Result<Option<Vec<TableFieldSchema>>, WarehouseError> {
        self.get_table(table)?
            .map(|found| {
                to_our_schema(
                    &format!("the schema of {table}"),
                    found.schema.fields.unwrap_or_default(),
                )
            })
            .transpose()
    }

    fn expected_columns(
        &self,
        contract: &Contract,
    ) -> Result<Vec<TableFieldSchema>, WarehouseError> {
        columns_with_metadata(contract)
    }

    fn load_partition(
        &self,
        table: &TableRef,
        contract: &Contract,
        store: &dyn ObjectStore,
        partition: &PartitionKey,
        mode: LoadMode,
    ) -> Result<LoadOutcome, WarehouseError> {
        let uris = partition_parts(store, partition)?
            .iter()
            .map(|key| {
                store.gcs_uri(key).ok_or_else(|| WarehouseError::Contract {
                    contract: contract.name.clone(),
                    problem: format!(
                        "BigQuery loads partitions from GCS, and `{key}` is not in a GCS bucket"
                    ),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let nonce = Utc::now().timestamp_micros();
        let staging = table.sibling(&format!("__load_{}_{nonce}", table.table))?;
        self.insert_table(
            json!({
                "tableReference": self.table_reference(&staging),
                "schema": { "fields": staging_columns(contract)? },
            }),
            &staging,
        )?;
        let loaded = self
            .run_job(
                &format!("load {} into {table}", partition.folder()),
                json!({
                    "load": {
                        "sourceUris": uris,
                        "sourceFormat": "PARQUET",
                        "destinationTable": self.table_reference(&staging),
                        "writeDisposition": "WRITE_TRUNCATE",
                        "createDisposition": "CREATE_NEVER",
                    }
                }),
            )
            .and_then(|()| {
                let partition_rows = self.row_count(&staging)?;
                let merge = merge_statement(
                    Dialect::BigQuery,
                    contract,
                    &staging,
                    table,
                    partition.created_at,
                    Utc::now(),
                    mode,
                );
                self.execute(&merge)?;
                Ok(partition_rows)
            });
        finish_load(self, &staging, table, loaded)
    }

    fn drop_table(&self, table: &TableRef) -> Result<(), WarehouseError> {
        let operation = format!("drop table {table}");
        match self.call(&operation, || {
            self.client
                .table()
                .delete(self.project_of(table), &table.dataset, &table.table)
        }) {
            Ok(()) => Ok(()),
            // Not there, or dropped by an attempt whose answer was lost.
            Err(error) if status(&error) == Some(404) => Ok(()),
            Err(error) => Err(engine_error(&operation, None, &error)),
        }
    }

    fn copy_table(&self, from: &TableRef, to: &TableRef) -> Result<(), WarehouseError> {
        if self.get_table(from)?.is_none() {
            return Err(WarehouseError::NoTable(from.to_string()));
        }
        self.run_job(
            &format!("copy {from} to {to}"),
            json!({
                "copy": {
                    "sourceTable": self.table_reference(from),
                    "destinationTable": self.table_reference(to),
                    "writeDisposition": "WRITE_TRUNCATE",
                    "createDisposition": "CREATE_IF_NEEDED",
                }
            }),
        )
    }

    fn query(&self, query: &Query) -> Result<DataFrame, WarehouseError> {
        let outcome = self.run_query(query)?;
        let schema = outcome.schema.unwrap_or_default();
        let rows: Vec<Vec<Value>> = outcome
            .rows
            .into_iter()
            .map(|row| {
                row.columns
                    .into_iter()
                    .flatten()
                    .map(|cell| cell.value.unwrap_or(Value::Null))
                    .collect()
            })
            .collect();
        rows_to_frame(&schema, &rows).map_err(|message| WarehouseError::Result {
            operation: format!("query `{}`", abbreviate(&query.sql)),
            message,
        })
    }

    fn execute(&self, query: &Query) -> Result<u64, WarehouseError> {
        Ok(self.run_query(query)?.affected)
    }

    /// Dry-runs the query (nothing runs, nothing is billed) and refuses
    /// any statement type but SELECT.
    fn check_reads_only(&self, query: &Query) -> Result<(), WarehouseError> {
        let operation = format!("dry-run `{}`", abbreviate(&query.sql));
        let job_id = unique_id();
        let job: Job = serde_json::from_value(json!({
            "jobReference": { "projectId": self.project, "jobId": job_id },
            "configuration": {
                "dryRun": true,
                "query": {
                    "query": query.sql,
                    "useLegacySql": false,
                    "parameterMode": "NAMED",
                    "queryParameters": parameters(&query.params),
                },
            },
        }))
        .map_err(|error| WarehouseError::Result {
            operation: operation.clone(),
            message: error.to_string(),
        })?;
        let answered = self
            .call(&operation, || {
                self.client.job().insert(&self.project, job.clone())
            })
            .map_err(|error| engine_error(&operation, Some(&job_id), &error))?;
        if let Some(error) = answered
            .status
            .as_ref()
            .and_then(|s| s.error_result.clone())
        {
            return Err(job_error(&operation, &job_id, &[error]));
        }
        let kind = answered
            .statistics
            .as_ref()
            .and_then(|statistics| statistics.query.as_ref())
            .and_then(|query| query.statement_type.clone());
        match kind.as_deref() {
            Some("SELECT") => Ok(()),
            Some(other) => Err(WarehouseError::Refused {
                operation,
                reason: format!("a {other} statement; only SELECT reads production"),
            }),
            None => Err(WarehouseError::Result {
                operation,
                message: "the dry run did not say what kind of statement this is".into(),
            }),
        }
    }
}

/// The scratch table a partition is loaded into: the landing contract's
/// columns (the contract's, all NULLABLE, then `source_row`: the Parquet
/// part's own columns, in order) and a trailing NULLABLE STRING for the
/// partition folder's `created_at=…` segment. BigQuery
/// leaves that column NULL (the Parquet has no such field); bqemulator
/// reads the folder as a Hive partition and fills it. The merge reads the
/// contract's columns by name, so the column is never used.
fn staging_columns(contract: &Contract) -> Result<Vec<TableFieldSchema>, WarehouseError> {
    let mut columns = super::landing_contract(contract)?.bigquery_schema();
    columns.push(TableFieldSchema::new(
        crate::store::layout::PARTITION_FOLDER_KEY,
        "STRING",
        "NULLABLE",
    ));
    Ok(columns)
}

/// The query parameters in the REST API's form.
fn parameters(params: &[SqlValue]) -> Vec<Value> {
    params
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let (kind, text) = match value {
                SqlValue::Bool(flag) => ("BOOL", flag.to_string()),
                SqlValue::Int(int) => ("INT64", int.to_string()),
                SqlValue::Float(float) => ("FLOAT64", float_text(*float)),
                SqlValue::String(text) => ("STRING", text.clone()),
                SqlValue::Timestamp(instant) => (
                    "TIMESTAMP",
                    instant.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string(),
                ),
            };
            json!({
                "name": format!("p{index}"),
                "parameterType": { "type": kind },
                "parameterValue": { "value": text },
            })
        })
        .collect()
}

fn float_text(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        format!("{value:?}")
    }
}

/// The client's schema in our terms (the same REST JSON, read as ours). A
/// field that cannot be read is an error naming it: dropped, it would show
/// as a missing column.
fn to_our_schema<T: serde::Serialize>(
    operation: &str,
    fields: Vec<T>,
) -> Result<Vec<TableFieldSchema>, WarehouseError> {
    fields
        .iter()
        .enumerate()
        .map(|(position, field)| {
            let json = serde_json::to_value(field).map_err(|e| e.to_string())?;
            let name = json["name"].as_str().unwrap_or("?").to_string();
            serde_json::from_value(json)
                .map_err(|error| format!("field {} (`{name}`): {error}", position + 1))
        })
        .collect::<Result<_, String>>()
        .map_err(|message| WarehouseError::Result {
            operation: operation.to_string(),
            message: format!("a schema field cannot be read: {message}"),
        })
}

fn runtime() -> Result<tokio::runtime::Runtime, WarehouseError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| WarehouseError::Engine {
            engine: ENGINE,
            operation: "start the client's runtime".into(),
            job_id: None,
            message: error.to_string(),
        })
}

/// The HTTP status of a failed call, when the server answered.
fn status(error: &BQError) -> Option<i64> {
    match error {
        BQError::ResponseError { error } => Some(error.error.code),
        _ => None,
    }
}

/// The error reasons BigQuery documents as temporary: retry them.
const TEMPORARY_REASONS: [&str; 3] = ["backendError", "internalError", "rateLimitExceeded"];

/// Worth calling again: HTTP 429 and 5xx, a 403 for a rate limit,
/// timeouts, and requests that got no answer.
fn transient(error: &BQError) -> bool {
    match error {
        BQError::ResponseError { error } => {
            let code = error.error.code;
            let temporary_reason = error.error.errors.iter().any(|detail| {
                detail
                    .get("reason")
                    .is_some_and(|reason| TEMPORARY_REASONS.contains(&reason.as_str()))
            });
            code == 429 || code >= 500 || (code == 403 && temporary_reason)
        }
        BQError::RequestError(error) => {
            error.is_timeout() || error.is_connect() || error.is_request()
        }
        _ => false,
    }
}

/// A new job id or query `requestId`: a timestamp and 64 random bits, in
/// the letters, digits and `_` BigQuery allows.
fn unique_id() -> String {
    let random = crate::retry::random_u64();
    format!(
        "datacontract_{:x}_{random:016x}",
        Utc::now().timestamp_micros()
    )
}

/// A job or query that failed, and whether BigQuery called the failure
/// temporary, so that running it again under a new id may succeed.
struct Failure {
    error: WarehouseError,
    temporary: bool,
}

impl Failure {
    /// The failure of job `job_id` with these `errors`.
    fn of_job(operation: &str, job_id: &str, errors: &[ErrorProto]) -> Self {
        Failure {
            temporary: errors.iter().any(|error| {
                error
                    .reason
                    .as_deref()
                    .is_some_and(|reason| TEMPORARY_REASONS.contains(&reason))
            }),
            error: job_error(operation, job_id, errors),
        }
    }
}

impl From<WarehouseError> for Failure {
    fn from(error: WarehouseError) -> Self {
        Failure {
            error,
            temporary: false,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

/// A job still running when the warehouse stops waiting.
fn not_done(operation: &str, job_id: &str) -> WarehouseError {
    WarehouseError::Engine {
        engine: ENGINE,
        operation: operation.to_string(),
        job_id: Some(job_id.to_string()),
        message: format!("not done after {} s", JOB_TIMEOUT.as_secs()),
    }
}

fn engine_error(operation: &str, job_id: Option<&str>, error: &BQError) -> WarehouseError {
    let message = match error {
        BQError::ResponseError { error } => {
            format!("HTTP {}: {}", error.error.code, error.error.message)
        }
        other => other.to_string(),
    };
    WarehouseError::Engine {
        engine: ENGINE,
        operation: operation.to_string(),
        job_id: job_id.map(str::to_string),
        message,
    }
}

fn job_error(operation: &str, job_id: &str, errors: &[ErrorProto]) -> WarehouseError {
    let message = errors
        .iter()
        .map(|error| {
            let reason = error.reason.as_deref().unwrap_or("error");
            let message = error.message.as_deref().unwrap_or("(no message)");
            format!("{reason}: {message}")
        })
        .collect::<Vec<_>>()
        .join("; ");
    WarehouseError::Engine {
        engine: ENGINE,
        operation: operation.to_string(),
        job_id: Some(job_id.to_string()),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_field_that_cannot_be_read_is_an_error_naming_it_not_a_missing_column() {
        let fields = vec![
            json!({"name": "id", "type": "INT64", "mode": "REQUIRED"}),
            json!({"name": "price", "type": ["FLOAT64"]}),
        ];
        let error = to_our_schema("the schema of s.t", fields)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("the schema of s.t") && error.contains("field 2 (`price`)"),
            "{error}"
        );
        let read = to_our_schema("x", vec![json!({"name": "id", "type": "INT64"})]).unwrap();
        assert_eq!(read[0].name, "id");
        assert_eq!(read[0].field_type, "INT64");
    }
}
