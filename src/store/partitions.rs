//! Tables in a store as time-stamped partitions of Parquet parts.
//!
//! Every part carries, after the table's own columns, [`SOURCE_ROW`]: each
//! row's position in the partition, from 0. Warehouses load it with the
//! rows, so a gate pushed into the warehouse names the same row as one run
//! in memory, and a merge can keep the row that arrived last.

use std::io::Cursor;

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::layout::{LayoutError, PartitionKey};
use super::{ObjectStore, StoreError};

/// The column every partition part ends with: the row's position in the
/// partition (0-based, in the order the rows were landed).
pub const SOURCE_ROW: &str = "source_row";

/// Why a partition cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum PartitionError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The names do not make a partition key.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// The data could not be encoded or decoded as Parquet.
    #[error("Parquet in `{key}`: {source}")]
    Parquet {
        /// The object.
        key: String,
        /// What Polars said.
        source: PolarsError,
    },
    /// The table has no partition (at that time).
    #[error("no partition of {dataset}/{table}{at}")]
    NoPartition {
        /// The dataset.
        dataset: String,
        /// The table.
        table: String,
        /// ` created at …`, when one was asked for.
        at: String,
    },
}

/// Writes `frame` as a new, immutable partition of `dataset/table` created
/// at `created_at` (one part). Fails if that partition exists.
pub fn write_partition(
    store: &(impl ObjectStore + ?Sized),
    dataset: &str,
    table: &str,
    created_at: DateTime<Utc>,
    frame: &DataFrame,
) -> Result<PartitionKey, PartitionError> {
    let key = PartitionKey::new(dataset, table, created_at, 0)?;
    let bytes = encode_parquet(frame).map_err(|source| PartitionError::Parquet {
        key: key.to_string(),
        source,
    })?;
    put_partition(store, &key, &bytes)?;
    Ok(key)
}

/// `frame` as Parquet bytes, as partitions hold it: its columns, then
/// [`SOURCE_ROW`]. The same frame always encodes to the same bytes. A frame
/// that has a column of that name already is refused.
pub fn encode_parquet(frame: &DataFrame) -> PolarsResult<Vec<u8>> {
    if frame.schema().contains(SOURCE_ROW) {
        polars_bail!(
            Duplicate: "column `{SOURCE_ROW}` is reserved: partitions number their rows in it"
        );
    }
    let rows = Column::new(
        SOURCE_ROW.into(),
        (0..frame.height() as i64).collect::<Vec<_>>(),
    );
    let mut numbered = frame.clone();
    numbered.with_column(rows)?;
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut numbered)?;
    Ok(bytes)
}

/// Writes already-encoded Parquet as the new, immutable partition `key`.
/// Fails if that partition exists.
pub fn put_partition(
    store: &(impl ObjectStore + ?Sized),
    key: &PartitionKey,
    bytes: &[u8],
) -> Result<(), PartitionError> {
    if !store.list(&key.folder())?.is_empty() {
        return Err(StoreError::AlreadyExists(key.folder()).into());
    }
    store.put_new(&key.to_string(), bytes)?;
    Ok(())
}

/// The partitions of `dataset/table`, one key per part, oldest first.
/// Objects under the table's folder that are not partition parts are
/// ignored.
pub fn list_partitions(
    store: &(impl ObjectStore + ?Sized),
    dataset: &str,
    table: &str,
) -> Result<Vec<PartitionKey>, PartitionError> {
    keys_under(store, dataset, table, &format!("{dataset}/{table}/"))
}

/// The partition keys of `dataset/table` among the objects under `prefix`,
/// sorted.
fn keys_under(
    store: &(impl ObjectStore + ?Sized),
    dataset: &str,
    table: &str,
    prefix: &str,
) -> Result<Vec<PartitionKey>, PartitionError> {
    let mut keys: Vec<PartitionKey> = store
        .list(prefix)?
        .iter()
        .filter_map(|key| PartitionKey::parse(key).ok())
        .filter(|key| key.dataset == dataset && key.table == table)
        .collect();
    keys.sort();
    Ok(keys)
}

/// Reads the partition of `dataset/table` created at `created_at`, or the
/// latest one, into one frame (its parts in order), without the
/// [`SOURCE_ROW`] column. A given time lists only that partition's folder,
/// however many partitions the table has.
pub fn read_partition(
    store: &(impl ObjectStore + ?Sized),
    dataset: &str,
    table: &str,
    created_at: Option<DateTime<Utc>>,
) -> Result<DataFrame, PartitionError> {
    let keys = match created_at {
        Some(at) => keys_under(
            store,
            dataset,
            table,
            &PartitionKey::new(dataset, table, at, 0)?.folder(),
        )?,
        None => list_partitions(store, dataset, table)?,
    };
    let wanted = created_at
        .map(|at| DateTime::from_timestamp_millis(at.timestamp_millis()).expect("valid"))
        .or_else(|| keys.last().map(|key| key.created_at));
    let parts: Vec<&PartitionKey> = keys
        .iter()
        .filter(|key| Some(key.created_at) == wanted)
        .collect();
    if parts.is_empty() {
        return Err(PartitionError::NoPartition {
            dataset: dataset.into(),
            table: table.into(),
            at: created_at
                .map(|at| format!(" created at {at}"))
                .unwrap_or_default(),
        });
    }
    let mut frames = Vec::new();
    for key in parts {
        let key = key.to_string();
        let bytes = store.get(&key)?;
        let length = bytes.len() as u64;
        let mut reader = ParquetReader::new(Cursor::new(bytes));
        let mut frame = crate::input::chunks_inside(&mut reader, length)
            .and_then(|()| reader.finish())
            .map_err(|source| PartitionError::Parquet {
                key: key.clone(),
                source,
            })?;
        if frame.schema().contains(SOURCE_ROW) {
            frame = frame.drop(SOURCE_ROW).expect("the column is there");
        }
        frames.push(frame.lazy());
    }
    concat(frames, UnionArgs::default())
        .and_then(LazyFrame::collect)
        .map_err(|source| PartitionError::Parquet {
            key: format!("{dataset}/{table}"),
            source,
        })
}
