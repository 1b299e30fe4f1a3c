//! The [`Warehouse`] operations on BigQuery: datasets, tables, loads,
//! copies, queries and statements.

use chrono::Utc;
use gcp_bigquery_client::error::BQError;
use gcp_bigquery_client::model::dataset::Dataset;
use gcp_bigquery_client::model::job::Job;
use polars::prelude::DataFrame;
use serde_json::json;

use crate::schema::TableFieldSchema;
use crate::sql::{Dialect, Query, SqlValue, TableRef, check_dataset};
use crate::store::ObjectStore;
use crate::store::layout::PartitionKey;
use crate::warehouse::load::finish_load;
use crate::warehouse::{
    DryRun, LoadMode, LoadOutcome, Usage, Warehouse, WarehouseError, abbreviate,
    columns_with_metadata, partition_parts, partition_rows,
};
use crate::{Contract, Partitioning};

use super::BigQueryWarehouse;
use super::errors::*;
use super::jobs::*;

impl Warehouse for BigQueryWarehouse {
    fn dialect(&self) -> Dialect {
        Dialect::BigQuery
    }

    fn ensure_dataset(&self, dataset: &str) -> Result<(), WarehouseError> {
        check_dataset(dataset)?;
        let operation = format!("create dataset {dataset}");
        let engine_error = |error: BQError| engine_error(&operation, None, &error);
        let found = self.call(&operation, || {
            self.client.dataset().get(&self.project, dataset)
        });
        if settled(found, NOT_FOUND).map_err(engine_error)?.is_some() {
            return Ok(());
        }
        let created = self.call(&operation, || {
            self.client
                .dataset()
                .create(Dataset::new(&self.project, dataset))
        });
        settled(created, CONFLICT).map(drop).map_err(engine_error)
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
        let staged = self.run_job(
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
        );
        finish_load(
            self,
            contract,
            (&staging, table),
            partition.created_at,
            mode,
            staged,
        )
    }

    fn drop_table(&self, table: &TableRef) -> Result<(), WarehouseError> {
        let operation = format!("drop table {table}");
        let dropped = self.call(&operation, || {
            self.client
                .table()
                .delete(self.project_of(table), &table.dataset, &table.table)
        });
        settled(dropped, NOT_FOUND)
            .map(drop)
            .map_err(|error| engine_error(&operation, None, &error))
    }

    fn export_partition(
        &self,
        table: &TableRef,
        contract: &Contract,
        store: &dyn ObjectStore,
        partition: &PartitionKey,
    ) -> Result<(), WarehouseError> {
        let files = format!("{}part-*.parquet", partition.folder());
        let uri = store
            .gcs_uri(&files)
            .filter(|uri| !uri.contains(['\'', '\\']))
            .ok_or_else(|| WarehouseError::Contract {
                contract: contract.name.clone(),
                problem: format!(
                    "BigQuery exports partitions to GCS, and `{files}` is not in a GCS bucket"
                ),
            })?;
        let mut query = Query::new(Dialect::BigQuery);
        let created = query.bind(SqlValue::Timestamp(partition.created_at));
        let rows = partition_rows(
            Dialect::BigQuery,
            table,
            contract,
            &format!("CAST({created} AS TIMESTAMP)"),
        );
        query.sql = format!(
            "EXPORT DATA OPTIONS (uri = '{uri}', format = 'PARQUET', overwrite = true) AS {rows}"
        );
        self.execute(&query).map(|_| ())
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
        self.frame_of(query, self.run_query(query, false)?)
    }

    /// One query and one dry run, not the two dry runs of the default.
    fn query_dry_run_first(
        &self,
        query: &Query,
    ) -> Result<(DataFrame, Option<DryRun>), WarehouseError> {
        let mut outcome = self.run_query(query, true)?;
        let dry_run = outcome.dry_run.take();
        Ok((self.frame_of(query, outcome)?, dry_run))
    }

    fn execute(&self, query: &Query) -> Result<u64, WarehouseError> {
        Ok(self.run_query(query, false)?.affected)
    }

    /// One statement, which BigQuery runs atomically (a `MERGE` is the
    /// only thing asked of it so far); several would need a multi-statement
    /// transaction, which this client does not send.
    fn execute_atomically(&self, statements: &[Query]) -> Result<(), WarehouseError> {
        match statements {
            [statement] => self.execute(statement).map(drop),
            _ => Err(WarehouseError::Result {
                operation: "run statements atomically".into(),
                message: format!(
                    "BigQuery is given one statement at a time here, not {}",
                    statements.len()
                ),
            }),
        }
    }

    fn usage(&self) -> Option<Usage> {
        Some(*self.usage.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Dry-runs the query: nothing runs, nothing is billed.
    fn dry_run(&self, query: &Query) -> Result<Option<DryRun>, WarehouseError> {
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
        let statistics = answered
            .statistics
            .as_ref()
            .and_then(|statistics| statistics.query.as_ref());
        let bytes_processed = statistics
            .and_then(|query| query.total_bytes_processed.as_deref())
            .and_then(|bytes| bytes.parse::<u64>().ok());
        Ok(Some(DryRun {
            statement_type: statistics.and_then(|query| query.statement_type.clone()),
            bytes_processed,
        }))
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
    let mut columns = crate::warehouse::landing_contract(contract)?.bigquery_schema();
    columns.push(TableFieldSchema::new(
        crate::store::layout::PARTITION_FOLDER_KEY,
        "STRING",
        "NULLABLE",
    ));
    Ok(columns)
}
