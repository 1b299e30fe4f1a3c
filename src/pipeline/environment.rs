//! The store and the warehouse a configuration names, opened.

use super::config::{Config, StoreConfig, WarehouseConfig};
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

impl Environment {
    /// Opens the store and the warehouse `config` names.
    pub fn open(config: &Config) -> Result<Self, String> {
        let store: Box<dyn ObjectStore> = match &config.store {
            StoreConfig::Local { root } => {
                std::fs::create_dir_all(root)
                    .map_err(|error| format!("cannot create {}: {error}", root.display()))?;
                Box::new(LocalStore::new(root).map_err(|e| e.to_string())?)
            }
            StoreConfig::Gcs { bucket, .. } => {
                Box::new(gcs_store(bucket).map_err(|e| e.to_string())?)
            }
        };
        let warehouse = open_warehouse(&config.warehouse)?;
        Ok(Environment { store, warehouse })
    }
}

/// The warehouse `config` names.
pub fn open_warehouse(config: &WarehouseConfig) -> Result<Box<dyn Warehouse>, String> {
    match config {
        WarehouseConfig::DuckDb { path } => open_duckdb(path),
        WarehouseConfig::BigQuery { project } => open_bigquery(project),
    }
}

#[cfg(feature = "duckdb")]
fn open_duckdb(path: &std::path::Path) -> Result<Box<dyn Warehouse>, String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
    }
    let warehouse = crate::warehouse::DuckDbWarehouse::open(path).map_err(|e| e.to_string())?;
    Ok(Box::new(warehouse))
}

#[cfg(not(feature = "duckdb"))]
fn open_duckdb(_path: &std::path::Path) -> Result<Box<dyn Warehouse>, String> {
    Err("this build has no DuckDB support (feature `duckdb`)".into())
}

#[cfg(feature = "bigquery")]
fn open_bigquery(project: &str) -> Result<Box<dyn Warehouse>, String> {
    let warehouse =
        crate::warehouse::BigQueryWarehouse::from_env(project).map_err(|e| e.to_string())?;
    Ok(Box::new(warehouse))
}

#[cfg(not(feature = "bigquery"))]
fn open_bigquery(_project: &str) -> Result<Box<dyn Warehouse>, String> {
    Err("this build has no BigQuery support (feature `bigquery`)".into())
}

/// The bucket on GCS, or on the emulator [`STORAGE_EMULATOR_VARIABLE`]
/// names (where the bucket is created if missing).
pub fn gcs_store(bucket: &str) -> Result<GcsStore, StoreError> {
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
