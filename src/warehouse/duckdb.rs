//! The embedded warehouse: DuckDB, in one database file (or in memory).
//!
//! Datasets are DuckDB schemas. DuckDB has no partitioning or clustering,
//! so those parts of a contract shape only BigQuery tables; every other
//! operation means the same here as there.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use duckdb::types::Value;
use duckdb::{Connection, params_from_iter};
use polars::prelude::DataFrame;

use super::arrow_bridge::{batch_to_frame, empty_frame, stack};
use super::duckdb_types::{column_definition, expected_column, live_column};
use super::load::finish_load;
use super::scope::merge_scope;
use super::{
    Blame, LoadMode, LoadOutcome, MergeScope, Warehouse, WarehouseError, abbreviate,
    columns_with_metadata, partition_parts, partition_rows,
};
use crate::Contract;
use crate::schema::TableFieldSchema;
use crate::sql::{Dialect, Query, SqlValue, TableRef, check_dataset};
use crate::store::ObjectStore;
use crate::store::layout::PartitionKey;

const ENGINE: &str = "DuckDB";

/// A DuckDB database as a warehouse.
pub struct DuckDbWarehouse {
    connection: Mutex<Connection>,
    /// Where partitions from stores that are not local folders are staged.
    scratch: PathBuf,
}

impl DuckDbWarehouse {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, WarehouseError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|error| engine_error(format!("create {}", parent.display()), error))?;
        }
        let connection = Connection::open(path)
            .map_err(|error| engine_error(format!("open {}", path.display()), error))?;
        Self::with(connection, &format!("open {}", path.display()))
    }

    /// Opens the database file at `path` to read it and nothing else: the
    /// file read-only, no other file reachable from SQL (`read_text`,
    /// `COPY`, `ATTACH` and the like fail), no extension loaded.
    pub fn open_read_only(path: &Path) -> Result<Self, WarehouseError> {
        let operation = || format!("open {} read-only", path.display());
        let config = duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)
            .and_then(|config| config.enable_external_access(false))
            .and_then(|config| config.enable_autoload_extension(false))
            .map_err(|error| engine_error(operation(), error))?;
        let connection = Connection::open_with_flags(path, config)
            .map_err(|error| engine_error(operation(), error))?;
        Self::with(connection, &operation())
    }

    /// A database in memory, gone when dropped (tests, one-off checks).
    pub fn in_memory() -> Result<Self, WarehouseError> {
        let connection = Connection::open_in_memory()
            .map_err(|error| engine_error("open in memory".into(), error))?;
        Self::with(connection, "open in memory")
    }

    /// The warehouse on `connection`, which sorts NULLs as BigQuery does:
    /// first in ascending order, last in descending (DuckDB's default is
    /// last in both), so that SQL written once orders rows alike on both.
    fn with(connection: Connection, operation: &str) -> Result<Self, WarehouseError> {
        connection
            .execute_batch("SET default_null_order = 'nulls_first_on_asc_last_on_desc'")
            .map_err(|error| engine_error(operation.into(), error))?;
        Ok(DuckDbWarehouse {
            connection: Mutex::new(connection),
            scratch: std::env::temp_dir(),
        })
    }

    /// The warehouse, keeping at most `bytes` in memory for its buffers
    /// (DuckDB's `memory_limit`); past it, DuckDB spills to its temporary
    /// folder, beside the database file.
    pub fn with_memory_limit(self, bytes: u64) -> Result<Self, WarehouseError> {
        self.connection()
            .execute_batch(&format!("SET memory_limit = '{bytes}B'"))
            .map_err(|error| engine_error(format!("set memory_limit to {bytes} bytes"), error))?;
        Ok(self)
    }

    /// DuckDB's `memory_limit` as it reports it (`256.0 MiB`).
    pub fn memory_limit(&self) -> Result<String, WarehouseError> {
        self.connection()
            .query_row("SELECT current_setting('memory_limit')", [], |row| {
                row.get::<_, String>(0)
            })
            .map_err(|error| engine_error("read memory_limit".into(), error))
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no statement half-applied
        // (DuckDB's own transactions see to that), so the lock is reusable.
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The `CREATE TABLE` statement DuckDB keeps for `table`, if it exists.
    fn definition(&self, table: &TableRef) -> Result<Option<String>, WarehouseError> {
        let mut query = Query::new(Dialect::DuckDb);
        let schema = query.bind(SqlValue::String(table.dataset.clone()));
        let name = query.bind(SqlValue::String(table.table.clone()));
        query.sql = format!(
            "SELECT sql FROM duckdb_tables() WHERE schema_name = {schema} AND table_name = {name}"
        );
        let frame = self.query(&query)?;
        let column = frame
            .column("sql")
            .and_then(|c| c.str().cloned())
            .map_err(|error| result_error("duckdb_tables()", error))?;
        Ok(column.iter().next().flatten().map(str::to_string))
    }

    /// Runs `statements` in one transaction: all of them, or none.
    fn in_transaction(&self, operation: &str, statements: &[Query]) -> Result<(), WarehouseError> {
        let connection = self.connection();
        connection
            .execute_batch("BEGIN TRANSACTION")
            .map_err(|error| engine_error(operation.into(), error))?;
        for statement in statements {
            if let Err(error) = run(&connection, statement) {
                let _ = connection.execute_batch("ROLLBACK");
                return Err(engine_error(operation.into(), error));
            }
        }
        connection
            .execute_batch("COMMIT")
            .map_err(|error| engine_error(operation.into(), error))
    }

    /// A path DuckDB can read the partition from: the file itself in a
    /// local store, else a scratch copy (removed by the returned guard).
    fn readable_path(
        &self,
        store: &dyn ObjectStore,
        key: &str,
    ) -> Result<(PathBuf, Option<tempfile::TempPath>), WarehouseError> {
        if let Some(path) = store.local_path(key) {
            if !path.exists() {
                return Err(crate::store::StoreError::NotFound(key.to_string()).into());
            }
            return Ok((path, None));
        }
        let bytes = store.get(key)?;
        let scratch = tempfile::Builder::new()
            .prefix("datacontract-load-")
            .suffix(".parquet")
            .tempfile_in(&self.scratch)
            .map_err(|error| engine_error("stage the partition".into(), error))?;
        std::fs::write(scratch.path(), bytes)
            .map_err(|error| engine_error("stage the partition".into(), error))?;
        let path = scratch.into_temp_path();
        Ok((path.to_path_buf(), Some(path)))
    }
}

impl Warehouse for DuckDbWarehouse {
    fn dialect(&self) -> Dialect {
        Dialect::DuckDb
    }

    fn ensure_dataset(&self, dataset: &str) -> Result<(), WarehouseError> {
        check_dataset(dataset)?;
        let mut query = Query::new(Dialect::DuckDb);
        query.sql = format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            Dialect::DuckDb.quote(dataset)
        );
        self.execute(&query).map(|_| ())
    }

    fn create_table(&self, table: &TableRef, contract: &Contract) -> Result<(), WarehouseError> {
        let columns = contract
            .fields
            .iter()
            .map(column_definition)
            .chain(
                [super::CREATED_AT, super::UPDATED_AT]
                    .map(|name| format!("{} TIMESTAMPTZ NOT NULL", Dialect::DuckDb.quote(name))),
            )
            .collect::<Vec<_>>();
        columns_with_metadata(contract)?;
        let mut query = Query::new(Dialect::DuckDb);
        query.sql = format!(
            "CREATE TABLE IF NOT EXISTS {} ({})",
            table.quoted(Dialect::DuckDb),
            columns.join(", ")
        );
        self.execute(&query).map(|_| ())
    }

    fn live_columns(
        &self,
        table: &TableRef,
    ) -> Result<Option<Vec<TableFieldSchema>>, WarehouseError> {
        let mut query = Query::new(Dialect::DuckDb);
        let schema = query.bind(SqlValue::String(table.dataset.clone()));
        let name = query.bind(SqlValue::String(table.table.clone()));
        query.sql = format!(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns \
             WHERE table_schema = {schema} AND table_name = {name} ORDER BY ordinal_position"
        );
        let frame = self.query(&query)?;
        if frame.height() == 0 {
            return Ok(None);
        }
        let text = |column: &str| -> Result<Vec<String>, WarehouseError> {
            let values = frame
                .column(column)
                .and_then(|c| c.str().cloned())
                .map_err(|error| result_error("information_schema.columns", error))?;
            Ok(values
                .iter()
                .map(|v| v.unwrap_or_default().to_string())
                .collect())
        };
        let (names, types, nullable) = (
            text("column_name")?,
            text("data_type")?,
            text("is_nullable")?,
        );
        Ok(Some(
            names
                .iter()
                .zip(&types)
                .zip(&nullable)
                .map(|((name, data_type), nullable)| {
                    live_column(name, data_type, nullable == "YES")
                })
                .collect(),
        ))
    }

    fn expected_columns(
        &self,
        contract: &Contract,
    ) -> Result<Vec<TableFieldSchema>, WarehouseError> {
        Ok(columns_with_metadata(contract)?
            .into_iter()
            .map(|column| expected_column(column, true))
            .collect())
    }

    fn load_partition(
        &self,
        table: &TableRef,
        contract: &Contract,
        store: &dyn ObjectStore,
        partition: &PartitionKey,
        mode: LoadMode,
    ) -> Result<LoadOutcome, WarehouseError> {
        let staging = table.sibling(&format!("__load_{}_{}", table.table, std::process::id()))?;
        let staged = partition_parts(store, partition).and_then(|parts| {
            for (index, key) in parts.iter().enumerate() {
                let (path, _scratch) = self.readable_path(store, key)?;
                let mut stage = Query::new(Dialect::DuckDb);
                let source = stage.bind(SqlValue::String(path.display().to_string()));
                stage.sql = if index == 0 {
                    format!(
                        "CREATE OR REPLACE TABLE {} AS SELECT * FROM read_parquet({source}, hive_partitioning = false)",
                        staging.quoted(Dialect::DuckDb)
                    )
                } else {
                    format!(
                        "INSERT INTO {} SELECT * FROM read_parquet({source}, hive_partitioning = false)",
                        staging.quoted(Dialect::DuckDb)
                    )
                };
                self.execute(&stage)?;
            }
            Ok(())
        });
        finish_load(
            self,
            contract,
            (&staging, table),
            partition.created_at,
            mode,
            staged,
        )
    }

    fn load_scope(
        &self,
        contract: &Contract,
        store: &dyn ObjectStore,
        parts: &[String],
        mode: LoadMode,
    ) -> Result<Option<MergeScope>, WarehouseError> {
        // Scratch copies (of a store that is not a local folder) live
        // until the query has read them.
        let readable = parts
            .iter()
            .map(|key| self.readable_path(store, key))
            .collect::<Result<Vec<_>, _>>()?;
        merge_scope(self, contract, mode, |query| {
            let paths: Vec<String> = readable
                .iter()
                .map(|(path, _)| query.bind(SqlValue::String(path.display().to_string())))
                .collect();
            format!(
                "read_parquet([{}], hive_partitioning = false)",
                paths.join(", ")
            )
        })
    }

    fn export_partition(
        &self,
        table: &TableRef,
        contract: &Contract,
        store: &dyn ObjectStore,
        partition: &PartitionKey,
    ) -> Result<(), WarehouseError> {
        let key = partition.to_string();
        // COPY takes no parameters: the time is written out, in UTC.
        let created = format!(
            "CAST('{}' AS TIMESTAMPTZ)",
            partition.created_at.format("%Y-%m-%d %H:%M:%S%.6f+00")
        );
        let rows = partition_rows(Dialect::DuckDb, table, contract, &created);
        let (file, _guard) = match store.file_beside(&key)? {
            Some(file) => (file, None),
            None => {
                let scratch = tempfile::Builder::new()
                    .prefix("datacontract-export-")
                    .suffix(".parquet")
                    .tempfile_in(&self.scratch)
                    .map_err(|error| engine_error(format!("export {key}"), error))?
                    .into_temp_path();
                (scratch.to_path_buf(), Some(scratch))
            }
        };
        let path = file.to_string_lossy().replace('\'', "''");
        let mut query = Query::new(Dialect::DuckDb);
        query.sql = format!("COPY ({rows}) TO '{path}' (FORMAT PARQUET)");
        let exported = self
            .execute(&query)
            .and_then(|_| Ok(store.put_file(&key, &file)?));
        if exported.is_err() {
            let _ = std::fs::remove_file(&file);
        }
        exported
    }

    fn copy_table(&self, from: &TableRef, to: &TableRef) -> Result<(), WarehouseError> {
        let Some(definition) = self.definition(from)? else {
            return Err(WarehouseError::NoTable(from.to_string()));
        };
        let (source, target) = (from.quoted(Dialect::DuckDb), to.quoted(Dialect::DuckDb));
        let statement = |sql: String| {
            let mut query = Query::new(Dialect::DuckDb);
            query.sql = sql;
            query
        };
        // The target gets the source's columns and constraints (NOT NULL
        // included, which CREATE TABLE … AS SELECT would drop), then its
        // rows, all in one transaction.
        let columns = definition
            .find('(')
            .map(|start| definition[start..].trim_end_matches(';').to_string())
            .ok_or_else(|| result_error("duckdb_tables()", "a table definition without columns"))?;
        let statements = [
            statement(format!("CREATE TABLE IF NOT EXISTS {target} {columns}")),
            statement(format!("DELETE FROM {target}")),
            statement(format!(
                "INSERT INTO {target} BY NAME SELECT * FROM {source}"
            )),
        ];
        self.in_transaction(&format!("copy {from} to {to}"), &statements)
    }

    fn query(&self, query: &Query) -> Result<DataFrame, WarehouseError> {
        let operation = || format!("query `{}`", abbreviate(&query.sql));
        let connection = self.connection();
        let mut statement = connection
            .prepare(&query.sql)
            .map_err(|error| engine_error(operation(), error))?;
        let stream = statement
            .stream_arrow(params_from_iter(query.params.iter().map(value)))
            .map_err(|error| engine_error(operation(), error))?;
        let schema = stream.get_schema();
        let mut frames = Vec::new();
        for batch in stream {
            let batch = batch.map_err(|error| engine_error(operation(), error))?;
            frames.push(batch_to_frame(&batch).map_err(|error| result_error(&operation(), error))?);
        }
        if frames.is_empty() {
            return empty_frame(&schema).map_err(|error| result_error(&operation(), error));
        }
        stack(frames).map_err(|error| result_error(&operation(), error))
    }

    fn execute(&self, query: &Query) -> Result<u64, WarehouseError> {
        run(&self.connection(), query)
            .map(|rows| rows as u64)
            .map_err(|error| engine_error(format!("run `{}`", abbreviate(&query.sql)), error))
    }

    fn execute_atomically(&self, statements: &[Query]) -> Result<(), WarehouseError> {
        let first = statements.first().map(|query| abbreviate(&query.sql));
        let operation = format!("run `{}` and what follows", first.unwrap_or_default());
        self.in_transaction(&operation, statements)
    }
}

fn run(connection: &Connection, query: &Query) -> duckdb::Result<usize> {
    connection.execute(&query.sql, params_from_iter(query.params.iter().map(value)))
}

/// A parameter as DuckDB binds it.
fn value(value: &SqlValue) -> Value {
    match value {
        SqlValue::Bool(flag) => Value::Boolean(*flag),
        SqlValue::Int(int) => Value::BigInt(*int),
        SqlValue::Float(float) => Value::Double(*float),
        SqlValue::String(text) => Value::Text(text.clone()),
        SqlValue::Timestamp(instant) => Value::Text(instant.to_rfc3339()),
    }
}

fn engine_error(operation: String, error: impl std::fmt::Display) -> WarehouseError {
    let message = error.to_string();
    WarehouseError::Engine {
        engine: ENGINE,
        operation,
        job_id: None,
        blame: blame(&message),
        message,
    }
}

/// DuckDB names the class of an error first (`Parser Error: …`); the
/// classes that judge the statement itself are its author's to fix.
fn blame(message: &str) -> Blame {
    const STATEMENT_ERRORS: [&str; 4] = [
        "Parser Error",
        "Binder Error",
        "Catalog Error",
        "Permission Error",
    ];
    if STATEMENT_ERRORS
        .iter()
        .any(|class| message.starts_with(class))
    {
        Blame::Statement
    } else {
        Blame::Service
    }
}

fn result_error(operation: &str, error: impl std::fmt::Display) -> WarehouseError {
    WarehouseError::Result {
        operation: operation.to_string(),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memory_limit_is_set_on_the_connection() {
        let warehouse = DuckDbWarehouse::in_memory().unwrap();
        let default = warehouse.memory_limit().unwrap();
        let capped = warehouse.with_memory_limit(256 << 20).unwrap();
        let limit = capped.memory_limit().unwrap();
        assert_eq!(limit, "256.0 MiB");
        assert_ne!(limit, default);
    }

    /// A load's DELETE and INSERT: a failing INSERT leaves the DELETE
    /// undone, so the table is never left emptied half-way.
    #[test]
    fn statements_run_atomically_are_all_undone_when_one_fails() {
        let warehouse = DuckDbWarehouse::in_memory().unwrap();
        let statement = |sql: &str| {
            let mut query = Query::new(Dialect::DuckDb);
            query.sql = sql.to_string();
            query
        };
        warehouse
            .execute_atomically(&[
                statement("CREATE TABLE t (x INTEGER)"),
                statement("INSERT INTO t VALUES (1), (2)"),
            ])
            .unwrap();
        let failed = warehouse.execute_atomically(&[
            statement("DELETE FROM t"),
            statement("INSERT INTO t SELECT x FROM no_such_table"),
        ]);
        assert!(failed.is_err());
        let table = TableRef::new("main", "t").unwrap();
        assert_eq!(warehouse.row_count(&table).unwrap(), 2);
        warehouse
            .execute_atomically(&[
                statement("DELETE FROM t"),
                statement("INSERT INTO t VALUES (3)"),
            ])
            .unwrap();
        assert_eq!(warehouse.row_count(&table).unwrap(), 1);
    }
}
