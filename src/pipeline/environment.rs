//! The store and the warehouse a configuration names, opened. A failure
//! keeps its kind: a disk or service that fails is a service failure, an
//! engine this build lacks a usage error.

use super::config::{Config, StoreConfig, WarehouseConfig};
use super::error::{FailureKind, RunError};
use crate::store::{GcsStore, LocalStore, ObjectStore, StoreError};
use crate::warehouse::Warehouse;

/// The environment variable that points GCS clients at an emulator
/// (`host:port` or a URL), as Google's own libraries read it.
pub const STORAGE_EMULATOR_VARIABLE: &str = "STORAGE_EMULATOR_HOST";

/// Where a run reads and writes: one object store and one warehouse;
/// staging and production are datasets within them.
pub struct Environment {
    /// The object store (partitions and run reports).
    pub store: Box<dyn ObjectStore>,
    /// The warehouse (staging and production tables).
    pub warehouse: Box<dyn Warehouse>,
}

/// Whether the warehouse is opened to write, or only to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Loads, promotions: everything.
    ReadWrite,
    /// Queries only: DuckDB opens its file read-only, with no access to
    /// other files; BigQuery dry-runs each query and refuses any but a
    /// SELECT.
    ReadOnly,
}

impl Environment {
    /// Opens the store and the warehouse `config` names, to write.
    pub fn open(config: &Config) -> Result<Self, RunError> {
        Ok(Environment {
            store: open_store(&config.store)?,
            warehouse: open_warehouse(&config.warehouse, Access::ReadWrite)?,
        })
    }
}

/// The object store `config` names.
pub fn open_store(config: &StoreConfig) -> Result<Box<dyn ObjectStore>, RunError> {
    Ok(match config {
        StoreConfig::Local { root } => {
            create_folder(root)?;
            Box::new(LocalStore::new(root)?)
        }
        StoreConfig::Gcs {
            bucket, endpoint, ..
        } => Box::new(gcs_store(bucket, endpoint.as_deref())?),
    })
}

/// The warehouse `config` names, opened for `access`.
pub fn open_warehouse(
    config: &WarehouseConfig,
    access: Access,
) -> Result<Box<dyn Warehouse>, RunError> {
    match config {
        WarehouseConfig::DuckDb { path, memory_limit } => open_duckdb(path, *memory_limit, access),
        WarehouseConfig::BigQuery {
            project,
            endpoint,
            max_bytes_billed,
        } => open_bigquery(project, endpoint.as_deref(), *max_bytes_billed, access),
    }
}

#[cfg(feature = "duckdb")]
fn open_duckdb(
    path: &std::path::Path,
    memory_limit: Option<u64>,
    access: Access,
) -> Result<Box<dyn Warehouse>, RunError> {
    use crate::warehouse::DuckDbWarehouse;
    let mut warehouse = match access {
        Access::ReadWrite => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                create_folder(parent)?;
            }
            DuckDbWarehouse::open(path)
        }
        Access::ReadOnly => DuckDbWarehouse::open_read_only(path),
    }?;
    if let Some(bytes) = memory_limit {
        warehouse = warehouse.with_memory_limit(bytes)?;
    }
    Ok(Box::new(warehouse))
}

#[cfg(not(feature = "duckdb"))]
fn open_duckdb(
    _path: &std::path::Path,
    _memory_limit: Option<u64>,
    _access: Access,
) -> Result<Box<dyn Warehouse>, RunError> {
    Err(RunError::usage(
        "this build has no DuckDB support (feature `duckdb`)",
    ))
}

#[cfg(feature = "bigquery")]
fn open_bigquery(
    project: &str,
    endpoint: Option<&str>,
    max_bytes_billed: Option<u64>,
    access: Access,
) -> Result<Box<dyn Warehouse>, RunError> {
    use crate::warehouse::BigQueryWarehouse;
    let mut warehouse = match endpoint {
        Some(endpoint) => BigQueryWarehouse::connect_at(project, endpoint),
        None => BigQueryWarehouse::from_env(project),
    }?;
    if let Some(bytes) = max_bytes_billed {
        warehouse = warehouse.with_max_bytes_billed(bytes);
    }
    // A run dry-runs every query before it runs it, and reports what the
    // dry runs estimated beside what the queries processed and billed.
    if access == Access::ReadWrite {
        warehouse = warehouse.with_dry_runs();
    }
    Ok(Box::new(warehouse))
}

#[cfg(not(feature = "bigquery"))]
fn open_bigquery(
    _project: &str,
    _endpoint: Option<&str>,
    _max_bytes_billed: Option<u64>,
    _access: Access,
) -> Result<Box<dyn Warehouse>, RunError> {
    Err(RunError::usage(
        "this build has no BigQuery support (feature `bigquery`)",
    ))
}

/// Creates `folder` and its parents, if missing.
fn create_folder(folder: &std::path::Path) -> Result<(), RunError> {
    std::fs::create_dir_all(folder).map_err(|error| {
        RunError::caused_by(FailureKind::Service, error)
            .context(format!("cannot create {}", folder.display()))
    })
}

/// The bucket at `endpoint` with credentials, when one is given; else on
/// the emulator [`STORAGE_EMULATOR_VARIABLE`] names (where the bucket is
/// created if missing); else on GCS.
pub fn gcs_store(bucket: &str, endpoint: Option<&str>) -> Result<GcsStore, StoreError> {
    if let Some(endpoint) = endpoint {
        return GcsStore::connect_at(bucket, endpoint);
    }
    match std::env::var(STORAGE_EMULATOR_VARIABLE) {
        Ok(host) if !host.is_empty() => {
            let endpoint = if host.contains("://") {
                host
            } else {
                format!("http://{host}")
            };
            let store = GcsStore::emulator(bucket, &endpoint)?;
            store.create_bucket()?;
            Ok(store)
        }
        _ => GcsStore::connect(bucket),
    }
}
