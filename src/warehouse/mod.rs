//! Warehouses: where loaded partitions become tables that checks and
//! queries run in.
//!
//! One trait, [`Warehouse`], with the same semantics on two engines:
//! [`DuckDbWarehouse`], embedded in one file under the local data folder
//! (the default), and [`BigQueryWarehouse`], through `gcp-bigquery-client`
//! (or the bqemulator that serves the same REST API).
//!
//! Every table a contract describes carries two metadata columns besides
//! the contract's: [`CREATED_AT`], the timestamp of the partition a row was
//! loaded from, and [`UPDATED_AT`], when it was loaded. A table with a
//! dedup key keeps one row per key; a landing table ([`landing_contract`])
//! keeps every row as it arrived, with its [`SOURCE_ROW`] ([`load`]).

#[cfg(feature = "duckdb")]
mod arrow_bridge;
pub mod backup;
#[cfg(feature = "bigquery")]
mod bigquery;
#[cfg(feature = "bigquery")]
mod bigquery_rows;
pub(crate) mod drift;
#[cfg(feature = "duckdb")]
mod duckdb;
#[cfg(feature = "duckdb")]
mod duckdb_types;
pub mod load;
pub mod scope;

use polars::prelude::DataFrame;

#[cfg(feature = "bigquery")]
pub use bigquery::{BigQueryWarehouse, EMULATOR_HOST_VARIABLE};
pub use drift::{ColumnChange, SchemaDrift};
#[cfg(feature = "duckdb")]
pub use duckdb::DuckDbWarehouse;
pub use load::{LoadMode, LoadOutcome};
pub use scope::{MergeScope, ScopeBounds};

pub use crate::store::SOURCE_ROW;

use crate::Contract;
use crate::schema::TableFieldSchema;
use crate::sql::{Dialect, IdentifierError, Query, TableRef};
use crate::store::ObjectStore;
use crate::store::layout::PartitionKey;

/// The metadata column holding the timestamp of the partition a row came from.
pub const CREATED_AT: &str = "created_at";
/// The metadata column holding when a row was last loaded.
pub const UPDATED_AT: &str = "updated_at";

/// Who is at fault when an engine fails an operation: what separates "fix
/// the SQL" (exit 2) from "the warehouse is down" (exit 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blame {
    /// The engine rejected the statement itself: a syntax error, a name it
    /// does not know, an access it forbids. Running it again cannot help;
    /// whoever wrote it (a user's query, a contract's row rule) must fix it.
    Statement,
    /// The engine or the way to it failed: unreachable, refusing service,
    /// out of time or quota, or an error no statement explains.
    Service,
}

/// Why a warehouse operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    /// A name from configuration is not a valid identifier.
    #[error(transparent)]
    Identifier(#[from] IdentifierError),
    /// The contract cannot be a warehouse table as it stands.
    #[error("contract `{contract}`: {problem}")]
    Contract {
        /// The contract's name.
        contract: String,
        /// What is wrong.
        problem: String,
    },
    /// The engine refused or failed a statement or job.
    #[error("{engine} {operation} failed{}: {message}", job_id.as_deref().map(|id| format!(" (job {id})")).unwrap_or_default())]
    Engine {
        /// `DuckDB` or `BigQuery`.
        engine: &'static str,
        /// What was being done.
        operation: String,
        /// The job's id, when there was a job.
        job_id: Option<String>,
        /// What the engine said.
        message: String,
        /// Whether the statement or the engine is at fault.
        blame: Blame,
    },
    /// The statement is not one this use allows (e.g. a write where only
    /// reads are): the caller's mistake, not the engine's failure.
    #[error("{operation} refused: {reason}")]
    Refused {
        /// What was asked.
        operation: String,
        /// Why it is refused.
        reason: String,
    },
    /// The table does not exist.
    #[error("table `{0}` does not exist")]
    NoTable(String),
    /// The result could not be read into a frame.
    #[error("reading the result of {operation}: {message}")]
    Result {
        /// What was being read.
        operation: String,
        /// What went wrong.
        message: String,
    },
    /// The partition could not be read from the store.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// A warehouse: datasets of tables, loaded from an object store's
/// partitions, queried in SQL.
///
/// Calls block; the BigQuery client runs its own small runtime.
pub trait Warehouse {
    /// The SQL dialect its queries are written in.
    fn dialect(&self) -> Dialect;

    /// Creates the dataset (a schema in DuckDB) unless it exists.
    fn ensure_dataset(&self, dataset: &str) -> Result<(), WarehouseError>;

    /// Creates the contract's table, with its partitioning and clustering
    /// and the metadata columns, unless it exists.
    fn create_table(&self, table: &TableRef, contract: &Contract) -> Result<(), WarehouseError>;

    /// The live table's columns, as BigQuery's REST API describes them;
    /// `None` when there is no such table.
    fn live_columns(
        &self,
        table: &TableRef,
    ) -> Result<Option<Vec<TableFieldSchema>>, WarehouseError>;

    /// The columns [`Warehouse::create_table`] gives the contract's table
    /// on this engine.
    fn expected_columns(
        &self,
        contract: &Contract,
    ) -> Result<Vec<TableFieldSchema>, WarehouseError>;

    /// How the live table differs from its contract.
    fn drift(&self, table: &TableRef, contract: &Contract) -> Result<SchemaDrift, WarehouseError> {
        let expected = self.expected_columns(contract)?;
        Ok(match self.live_columns(table)? {
            None => SchemaDrift::no_table(table, &expected),
            Some(live) => SchemaDrift::between(table, &expected, &live),
        })
    }

    /// Loads one Parquet partition of `store` (every part in the folder of
    /// `partition`) into `table`, adding the metadata columns and keeping
    /// one row per dedup key ([`load`]).
    fn load_partition(
        &self,
        table: &TableRef,
        contract: &Contract,
        store: &dyn ObjectStore,
        partition: &PartitionKey,
        mode: LoadMode,
    ) -> Result<LoadOutcome, WarehouseError>;

    /// Where loading the Parquet `parts` of `store` into a table of
    /// `contract` under `mode` can change the table: the [`MergeScope`] that
    /// load's merge has, or `None` for anywhere. A promotion backs up only
    /// that much of a table before it loads ([`backup`]).
    ///
    /// The default, `None`, suits an engine whose whole-table copies cost
    /// nothing (BigQuery's copy jobs); an engine that copies rows (DuckDB)
    /// reads the scope from the parts, and its loads merge within it.
    fn load_scope(
        &self,
        _contract: &Contract,
        _store: &dyn ObjectStore,
        _parts: &[String],
        _mode: LoadMode,
    ) -> Result<Option<MergeScope>, WarehouseError> {
        Ok(None)
    }

    /// Writes the rows of `table`, a landing table, that came from
    /// `partition` (its `created_at`) to `store` as that partition: Parquet
    /// in its folder, the contract's columns and [`SOURCE_ROW`], in that
    /// order. The
    /// engine writes the files itself where it can reach the store (DuckDB
    /// a local folder, BigQuery a GCS bucket), so the rows do not pass
    /// through this process; a partition written before is replaced.
    fn export_partition(
        &self,
        table: &TableRef,
        contract: &Contract,
        store: &dyn ObjectStore,
        partition: &PartitionKey,
    ) -> Result<(), WarehouseError>;

    /// Replaces `to` with a copy of `from`, atomically: a reader sees the
    /// old table or the new one, never a mix.
    fn copy_table(&self, from: &TableRef, to: &TableRef) -> Result<(), WarehouseError>;

    /// Runs a query and returns every row of its result.
    fn query(&self, query: &Query) -> Result<DataFrame, WarehouseError>;

    /// What the engine says of `query` without running it (BigQuery's
    /// dry run: nothing runs, nothing is billed); `None` where it has no
    /// such thing (DuckDB).
    fn dry_run(&self, _query: &Query) -> Result<Option<DryRun>, WarehouseError> {
        Ok(None)
    }

    /// Runs `query` as [`Warehouse::query`] does, after a dry run where the
    /// engine has one ([`Warehouse::dry_run`]), and returns what it said:
    /// the bytes a validation's query reads.
    fn query_dry_run_first(
        &self,
        query: &Query,
    ) -> Result<(DataFrame, Option<DryRun>), WarehouseError> {
        let dry_run = self.dry_run(query)?;
        Ok((self.query(query)?, dry_run))
    }

    /// What the queries run so far cost, for engines that bill by bytes
    /// (BigQuery); `None` for the others.
    fn usage(&self) -> Option<Usage> {
        None
    }

    /// Refuses `query` unless the engine says it only reads, where the
    /// engine can tell before running it ([`Warehouse::dry_run`]). Engines
    /// opened read-only enforce it themselves.
    fn check_reads_only(&self, query: &Query) -> Result<(), WarehouseError> {
        let Some(dry_run) = self.dry_run(query)? else {
            return Ok(());
        };
        let operation = || format!("dry-run `{}`", abbreviate(&query.sql));
        match dry_run.statement_type.as_deref() {
            Some("SELECT") => Ok(()),
            Some(other) => Err(WarehouseError::Refused {
                operation: operation(),
                reason: format!("a {other} statement; only SELECT reads production"),
            }),
            None => Err(WarehouseError::Result {
                operation: operation(),
                message: "the dry run did not say what kind of statement this is".into(),
            }),
        }
    }

    /// Runs a statement (DDL or DML) and returns the rows it affected.
    fn execute(&self, query: &Query) -> Result<u64, WarehouseError>;

    /// Runs `statements` as one: all of them, or after an error none, so a
    /// reader sees the tables as they were before or after them.
    fn execute_atomically(&self, statements: &[Query]) -> Result<(), WarehouseError>;

    /// Adds [`SOURCE_ROW`] to a landing table made before partitions
    /// numbered their rows; the rows it holds keep NULL there.
    fn ensure_source_row(&self, table: &TableRef) -> Result<(), WarehouseError> {
        let live = self
            .live_columns(table)?
            .ok_or_else(|| WarehouseError::NoTable(table.to_string()))?;
        if live.iter().any(|column| column.name == SOURCE_ROW) {
            return Ok(());
        }
        let dialect = self.dialect();
        let mut query = Query::new(dialect);
        // IF NOT EXISTS: an emulator may not report the column it added.
        query.sql = format!(
            "ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}",
            table.quoted(dialect),
            dialect.quote(SOURCE_ROW),
            dialect.integer_type()
        );
        self.execute(&query).map(|_| ())
    }

    /// Whether `table` exists.
    fn table_exists(&self, table: &TableRef) -> Result<bool, WarehouseError> {
        Ok(self.live_columns(table)?.is_some())
    }

    /// Drops `table` if it exists.
    fn drop_table(&self, table: &TableRef) -> Result<(), WarehouseError> {
        let mut query = Query::new(self.dialect());
        query.sql = format!("DROP TABLE IF EXISTS {}", table.quoted(self.dialect()));
        self.execute(&query).map(|_| ())
    }

    /// The number of rows in `table`.
    fn row_count(&self, table: &TableRef) -> Result<u64, WarehouseError> {
        let mut query = Query::new(self.dialect());
        query.sql = format!("SELECT COUNT(*) AS n FROM {}", table.quoted(self.dialect()));
        self.query(&query)?
            .column("n")
            .ok()
            .and_then(|column| column.get(0).ok())
            .and_then(|value| value.extract::<u64>())
            .ok_or_else(|| WarehouseError::Result {
                operation: format!("count the rows of {table}"),
                message: "no count in the result".into(),
            })
    }
}

/// What the queries a warehouse ran cost, as the engine counts it: how
/// many, the bytes their dry runs estimated, and the bytes they processed
/// and billed (BigQuery's on-demand pricing bills processed bytes, at
/// least 10 MB a query). Counters only grow; a stage's usage is the
/// difference between two readings ([`Usage::since`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    /// Queries and statements run.
    pub queries: u64,
    /// Of those, how many a dry run estimated first (when fewer than
    /// `queries`, `estimated_bytes` leaves the others out).
    pub dry_runs: u64,
    /// The bytes those dry runs estimated they would process.
    pub estimated_bytes: u64,
    /// The bytes they processed.
    pub processed_bytes: u64,
    /// The bytes they billed.
    pub billed_bytes: u64,
}

impl Usage {
    /// What was counted between `earlier` (a reading) and this reading.
    pub fn since(&self, earlier: &Usage) -> Usage {
        Usage {
            queries: self.queries.saturating_sub(earlier.queries),
            dry_runs: self.dry_runs.saturating_sub(earlier.dry_runs),
            estimated_bytes: self.estimated_bytes.saturating_sub(earlier.estimated_bytes),
            processed_bytes: self.processed_bytes.saturating_sub(earlier.processed_bytes),
            billed_bytes: self.billed_bytes.saturating_sub(earlier.billed_bytes),
        }
    }

    /// Both counts together.
    pub fn plus(&self, other: &Usage) -> Usage {
        Usage {
            queries: self.queries + other.queries,
            dry_runs: self.dry_runs + other.dry_runs,
            estimated_bytes: self.estimated_bytes + other.estimated_bytes,
            processed_bytes: self.processed_bytes + other.processed_bytes,
            billed_bytes: self.billed_bytes + other.billed_bytes,
        }
    }
}

/// What a dry run of a query says before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRun {
    /// The kind of statement (`SELECT`, `INSERT`, …), when the engine says.
    pub statement_type: Option<String>,
    /// The bytes the query would read, as the engine estimates them (what
    /// BigQuery's on-demand pricing bills, before its 10 MB minimum), when
    /// it gives an estimate.
    pub bytes_processed: Option<u64>,
}

/// The contract a landing (staging) table is made from: every column
/// NULLABLE, no dedup key, [`SOURCE_ROW`] last, and partitioned (by day)
/// and clustered by [`CREATED_AT`], so rows load exactly as they arrived
/// (NULLs and repeated keys too), each with its position in its partition,
/// and the checks, run against the original contract, judge them; and a
/// run's rows are read without reading the others. A landing contract is its own landing contract. Fails when the
/// contract has a column named [`SOURCE_ROW`] of its own.
pub fn landing_contract(contract: &Contract) -> Result<Contract, WarehouseError> {
    fn nullable(mut field: crate::Field) -> crate::Field {
        if field.mode == crate::Mode::Required {
            field.mode = crate::Mode::Nullable;
        }
        if let crate::LogicalType::Record { fields } = field.logical_type {
            field.logical_type = crate::LogicalType::Record {
                fields: fields.into_iter().map(nullable).collect(),
            };
        }
        field
    }
    let source_row =
        crate::Field::new(SOURCE_ROW, crate::LogicalType::Int64, crate::Mode::Nullable);
    let own = contract
        .fields
        .iter()
        .position(|field| field.name == SOURCE_ROW);
    match own {
        None => {}
        Some(last)
            if last + 1 == contract.fields.len()
                && contract.fields[last] == source_row
                && contract.dedup_key.is_none() =>
        {
            return Ok(contract.clone());
        }
        Some(_) => return Err(reserved_column(contract, SOURCE_ROW)),
    }
    Ok(Contract {
        dedup_key: None,
        // Partitioned and clustered by the load's time: every filter on one
        // run's partition (a gate, a transform's input) reads that day's
        // partition, and of it the blocks of that load, not the table.
        partitioning: Some(crate::Partitioning::Time {
            column: CREATED_AT.into(),
            granularity: crate::TimeGranularity::Day,
        }),
        clustering: vec![CREATED_AT.into()],
        fields: contract
            .fields
            .iter()
            .cloned()
            .map(nullable)
            .chain([source_row])
            .collect(),
        ..contract.clone()
    })
}

fn reserved_column(contract: &Contract, name: &str) -> WarehouseError {
    WarehouseError::Contract {
        contract: contract.name.clone(),
        problem: format!(
            "its column `{name}` collides with the metadata column every warehouse table carries"
        ),
    }
}

/// The contract's columns plus the metadata columns, in BigQuery's terms;
/// fails when the contract has a column of a metadata column's name.
pub fn columns_with_metadata(contract: &Contract) -> Result<Vec<TableFieldSchema>, WarehouseError> {
    let mut columns = contract.bigquery_schema();
    for name in [CREATED_AT, UPDATED_AT] {
        if columns.iter().any(|c| c.name == name) {
            return Err(reserved_column(contract, name));
        }
        columns.push(metadata_column(name));
    }
    Ok(columns)
}

fn metadata_column(name: &str) -> TableFieldSchema {
    TableFieldSchema::new(name, "TIMESTAMP", "REQUIRED")
}

/// The keys of every Parquet part of `partition`'s folder, in order.
pub fn partition_parts(
    store: &dyn ObjectStore,
    partition: &PartitionKey,
) -> Result<Vec<String>, WarehouseError> {
    let parts: Vec<String> = store
        .list(&partition.folder())?
        .into_iter()
        .filter(|key| key.ends_with(".parquet"))
        .collect();
    if parts.is_empty() {
        return Err(crate::store::StoreError::NotFound(partition.folder()).into());
    }
    Ok(parts)
}

/// `SELECT` of the contract's columns and [`SOURCE_ROW`] (last, as in every
/// partition) of `table`'s rows from the partition created at `created`
/// (an expression in `dialect`), in [`SOURCE_ROW`] order: what
/// [`Warehouse::export_partition`] writes.
#[cfg(any(feature = "duckdb", feature = "bigquery"))]
fn partition_rows(
    dialect: Dialect,
    table: &TableRef,
    contract: &Contract,
    created: &str,
) -> String {
    let columns: Vec<String> = contract
        .fields
        .iter()
        .map(|field| dialect.quote(&field.name))
        .chain([dialect.quote(SOURCE_ROW)])
        .collect();
    format!(
        "SELECT {} FROM {} WHERE {} = {created} ORDER BY {}",
        columns.join(", "),
        table.quoted(dialect),
        dialect.quote(CREATED_AT),
        dialect.quote(SOURCE_ROW)
    )
}

/// The start of a statement, for error messages.
fn abbreviate(sql: &str) -> String {
    let flat: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}
