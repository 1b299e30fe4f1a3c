//! API calls and jobs: every call retried while it fails transiently,
//! jobs inserted under an id of ours and polled until done, queries paged
//! to their last row, and what the REST API's answers mean in our terms.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use gcp_bigquery_client::error::BQError;
use gcp_bigquery_client::model::get_query_results_parameters::GetQueryResultsParameters;
use gcp_bigquery_client::model::job::Job;
use gcp_bigquery_client::model::query_request::QueryRequest;
use gcp_bigquery_client::model::table::Table;
use gcp_bigquery_client::model::table_row::TableRow;
use serde_json::{Value, json};

use polars::prelude::DataFrame;

use crate::schema::TableFieldSchema;
use crate::sql::{Query, SqlValue, TableRef};
use crate::warehouse::bigquery_rows::rows_to_frame;
use crate::warehouse::{DryRun, Usage, Warehouse, WarehouseError, abbreviate};

use super::errors::*;
use super::{BigQueryWarehouse, JOB_TIMEOUT};

impl BigQueryWarehouse {
    /// One API call, retried while it fails transiently.
    pub(super) fn call<T, Fut>(
        &self,
        operation: &str,
        attempt: impl Fn() -> Fut,
    ) -> Result<T, BQError>
    where
        Fut: Future<Output = Result<T, BQError>>,
    {
        self.retry.run(
            &format!("BigQuery: {operation}"),
            || self.runtime.block_on(attempt()),
            transient,
        )
    }

    pub(super) fn get_table(&self, table: &TableRef) -> Result<Option<Table>, WarehouseError> {
        let operation = format!("get table {table}");
        let result = self.call(&operation, || {
            self.client
                .table()
                .get(self.project_of(table), &table.dataset, &table.table, None)
        });
        settled(result, NOT_FOUND).map_err(|error| engine_error(&operation, None, &error))
    }

    pub(super) fn insert_table(&self, table: Value, name: &TableRef) -> Result<(), WarehouseError> {
        let table: Table =
            serde_json::from_value(table).map_err(|error| WarehouseError::Result {
                operation: format!("describe table {name}"),
                message: error.to_string(),
            })?;
        let operation = format!("create table {name}");
        let created = self.call(&operation, || self.client.table().create(table.clone()));
        settled(created, CONFLICT)
            .map(drop)
            .map_err(|error| engine_error(&operation, None, &error))
    }

    pub(super) fn table_reference(&self, table: &TableRef) -> Value {
        json!({
            "projectId": self.project_of(table),
            "datasetId": table.dataset,
            "tableId": table.table,
        })
    }

    /// Runs a job until it is done; one that BigQuery ends with a
    /// temporary error runs again under a new id.
    pub(super) fn run_job(
        &self,
        operation: &str,
        configuration: Value,
    ) -> Result<(), WarehouseError> {
        self.retry
            .run(
                &format!("BigQuery: {operation}"),
                || self.run_job_once(operation, &configuration),
                |failure| failure.temporary,
            )
            .map_err(|failure| failure.error)
    }

    /// Inserts a job under a new id of ours and waits until it is done.
    pub(super) fn run_job_once(
        &self,
        operation: &str,
        configuration: &Value,
    ) -> Result<(), Failure> {
        let job_id = unique_id();
        let job: Job = serde_json::from_value(json!({
            "jobReference": { "projectId": self.project, "jobId": job_id },
            "configuration": configuration,
        }))
        .map_err(|error| WarehouseError::Result {
            operation: operation.to_string(),
            message: error.to_string(),
        })?;
        let inserted = self.call(operation, || {
            self.client.job().insert(&self.project, job.clone())
        });
        let mut job = match settled(inserted, CONFLICT)
            .map_err(|error| engine_error(operation, Some(&job_id), &error))?
        {
            Some(inserted) => inserted,
            // Inserted by an attempt whose answer was lost: await that one.
            None => self.get_job(operation, &job_id, None)?,
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

    pub(super) fn get_job(
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
    /// query that BigQuery ends with a temporary error runs again. With
    /// `dry_run_first` (or when the warehouse dry-runs every query), a dry
    /// run comes first, and the outcome carries what it said.
    pub(super) fn run_query(
        &self,
        query: &Query,
        dry_run_first: bool,
    ) -> Result<QueryOutcome, WarehouseError> {
        let operation = format!("query `{}`", abbreviate(&query.sql));
        // A statement BigQuery refuses fails here, before anything runs.
        let dry_run = match dry_run_first || self.dry_run_first {
            true => self.dry_run(query)?,
            false => None,
        };
        let estimated = dry_run.as_ref().and_then(|dry_run| dry_run.bytes_processed);
        let mut outcome = self
            .retry
            .run(
                &format!("BigQuery: {operation}"),
                || self.run_query_once(&operation, query),
                |failure| failure.temporary,
            )
            .map_err(|failure| failure.error)?;
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        *usage = usage.plus(&Usage {
            queries: 1,
            dry_runs: u64::from(estimated.is_some()),
            estimated_bytes: estimated.unwrap_or(0),
            processed_bytes: outcome.processed_bytes,
            billed_bytes: outcome.billed_bytes,
        });
        outcome.dry_run = dry_run;
        Ok(outcome)
    }

    /// The rows of a finished query as a frame in its result's schema.
    pub(super) fn frame_of(
        &self,
        query: &Query,
        outcome: QueryOutcome,
    ) -> Result<DataFrame, WarehouseError> {
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

    /// The bytes the finished job `job_id` billed, from its statistics
    /// (`None` when BigQuery does not say).
    fn bytes_billed(&self, operation: &str, job_id: &str, location: Option<&str>) -> Option<u64> {
        let job = self.get_job(operation, job_id, location).ok()?;
        job.statistics?.query?.total_bytes_billed?.parse().ok()
    }

    /// The `jobs.query` request of `query`: named parameters, the page
    /// size, a new `requestId`, and the limit on bytes billed when one is
    /// set.
    pub(super) fn query_request(&self, query: &Query) -> Result<QueryRequest, serde_json::Error> {
        serde_json::from_value(json!({
            "query": query.sql,
            "useLegacySql": false,
            "parameterMode": "NAMED",
            "queryParameters": parameters(&query.params),
            "maxResults": self.page_size,
            "requestId": unique_id(),
            "maximumBytesBilled": self.max_bytes_billed.map(|bytes| bytes.to_string()),
        }))
    }

    /// One run of a query, under a new `requestId`.
    pub(super) fn run_query_once(
        &self,
        operation: &str,
        query: &Query,
    ) -> Result<QueryOutcome, Failure> {
        let request = self
            .query_request(query)
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
            processed_bytes: response
                .total_bytes_processed
                .as_deref()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
            billed_bytes: 0,
            dry_run: None,
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
            if let Some(processed) = page.total_bytes_processed.and_then(|n| n.parse().ok()) {
                outcome.processed_bytes = processed;
            }
            page_token = page.page_token;
        }
        if let Some(job_id) = job_id.as_deref() {
            outcome.billed_bytes = self
                .bytes_billed(operation, job_id, reference.location.as_deref())
                .unwrap_or(outcome.processed_bytes);
        }
        Ok(outcome)
    }
}

/// What a query answered: its schema, all rows, the rows a DML statement
/// affected, and the bytes it processed and billed.
pub(super) struct QueryOutcome {
    pub(super) schema: Option<Vec<TableFieldSchema>>,
    pub(super) rows: Vec<TableRow>,
    pub(super) affected: u64,
    pub(super) processed_bytes: u64,
    pub(super) billed_bytes: u64,
    /// What the dry run before it said, if one ran.
    pub(super) dry_run: Option<DryRun>,
}

/// The query parameters in the REST API's form.
pub(super) fn parameters(params: &[SqlValue]) -> Vec<Value> {
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

pub(super) fn float_text(value: f64) -> String {
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
pub(super) fn to_our_schema<T: serde::Serialize>(
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

/// A new job id or query `requestId`: a timestamp and 64 random bits, in
/// the letters, digits and `_` BigQuery allows.
pub(super) fn unique_id() -> String {
    let random = crate::retry::random_u64();
    format!(
        "datacontract_{:x}_{random:016x}",
        Utc::now().timestamp_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_carries_the_limit_on_bytes_billed_when_one_is_set() {
        // Building a client contacts nothing: no emulator is needed.
        let unlimited = BigQueryWarehouse::emulator("test-proj", "http://127.0.0.1:9").unwrap();
        let limited = BigQueryWarehouse::emulator("test-proj", "http://127.0.0.1:9")
            .unwrap()
            .with_max_bytes_billed(1 << 40);
        let mut query = Query::new(crate::sql::Dialect::BigQuery);
        query.sql = "SELECT 1".into();
        let request = limited.query_request(&query).unwrap();
        assert_eq!(
            request.maximum_bytes_billed.as_deref(),
            Some("1099511627776")
        );
        let sent = serde_json::to_value(&request).unwrap();
        assert_eq!(sent["maximumBytesBilled"], json!("1099511627776"));
        assert_eq!(
            unlimited
                .query_request(&query)
                .unwrap()
                .maximum_bytes_billed,
            None
        );
    }

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
