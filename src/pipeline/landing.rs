//! Landing a frame as an immutable partition, once: the same rows landed
//! again reuse the partition that already holds them, so re-running a
//! pipeline on the same input adds no object and no row.
//!
//! Each landed partition is indexed by the SHA-256 of its Parquet bytes at
//! `fingerprints/{dataset}/{table}/{sha256}`, an object holding the
//! partition's key. The index is written before the partition, so a crash
//! between the two leaves an index naming a partition that does not exist,
//! which the next landing writes (and re-indexes); never a partition the
//! index misses, which the next landing would write a second time.

use chrono::{DateTime, Utc};
use polars::prelude::DataFrame;
use sha2::{Digest, Sha256};

use crate::store::layout::PartitionKey;
use crate::store::{ObjectStore, PartitionError, StoreError, encode_parquet, put_partition};

/// Where a frame landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landed {
    /// The partition's (first part's) key.
    pub key: PartitionKey,
    /// Whether an earlier landing of the same rows was reused.
    pub reused: bool,
    /// The SHA-256 of the partition's Parquet bytes as this crate encodes
    /// them, in hex.
    pub fingerprint: String,
}

/// Lands `frame` as a partition of `dataset/table` created at
/// `created_at`, or finds the partition that already holds the same bytes.
pub fn land(
    store: &dyn ObjectStore,
    dataset: &str,
    table: &str,
    created_at: DateTime<Utc>,
    frame: &DataFrame,
) -> Result<Landed, PartitionError> {
    let key = PartitionKey::new(dataset, table, created_at, 0)?;
    let bytes = encode(frame, &key)?;
    let fingerprint = fingerprint_of(&bytes);
    if let Some(existing) = landed_before(store, &key, &fingerprint)? {
        return Ok(existing);
    }
    store.put(&index_key(&key, &fingerprint), key.to_string().as_bytes())?;
    put_partition(store, &key, &bytes)?;
    Ok(Landed {
        key,
        reused: false,
        fingerprint,
    })
}

/// Indexes `key`, a partition a warehouse exported whose rows are `frame`
/// (as read back), like a landed one; or, when the same rows were landed
/// before, deletes the export and returns that partition: re-running on
/// the same input then adds no object, in either transform.
pub fn adopt(
    store: &dyn ObjectStore,
    key: &PartitionKey,
    frame: &DataFrame,
) -> Result<Landed, PartitionError> {
    let fingerprint = fingerprint_of(&encode(frame, key)?);
    if let Some(existing) = landed_before(store, key, &fingerprint)? {
        for part in store.list(&key.folder())? {
            store.delete(&part)?;
        }
        return Ok(existing);
    }
    store.put(&index_key(key, &fingerprint), key.to_string().as_bytes())?;
    Ok(Landed {
        key: key.clone(),
        reused: false,
        fingerprint,
    })
}

/// `frame` as partition Parquet bytes.
fn encode(frame: &DataFrame, key: &PartitionKey) -> Result<Vec<u8>, PartitionError> {
    encode_parquet(frame).map_err(|source| PartitionError::Parquet {
        key: key.to_string(),
        source,
    })
}

/// The SHA-256 of `bytes`, in hex.
fn fingerprint_of(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Where the index names the partition of `key`'s table holding the rows
/// whose bytes have `fingerprint`.
fn index_key(key: &PartitionKey, fingerprint: &str) -> String {
    format!("fingerprints/{}/{}/{fingerprint}", key.dataset, key.table)
}

/// The partition of `key`'s table that already holds the rows of
/// `fingerprint`, if the index names one that exists.
fn landed_before(
    store: &dyn ObjectStore,
    key: &PartitionKey,
    fingerprint: &str,
) -> Result<Option<Landed>, PartitionError> {
    match store.get(&index_key(key, fingerprint)) {
        Ok(existing) => {
            let existing = String::from_utf8_lossy(&existing).trim().to_string();
            let existing = PartitionKey::parse(&existing)?;
            Ok(store.exists(&existing.to_string())?.then(|| Landed {
                key: existing,
                reused: true,
                fingerprint: fingerprint.to_string(),
            }))
        }
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use super::*;
    use crate::store::LocalStore;

    #[test]
    fn the_same_rows_land_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).unwrap();
        let frame = df!("x" => [1, 2, 3]).unwrap();
        let first = land(&store, "staging", "t", Utc::now(), &frame).unwrap();
        let later = Utc::now() + chrono::Duration::seconds(5);
        let again = land(&store, "staging", "t", later, &frame).unwrap();
        assert!(!first.reused);
        assert!(again.reused);
        assert_eq!(again.key, first.key);
        let other = df!("x" => [4]).unwrap();
        let third = land(&store, "staging", "t", later, &other).unwrap();
        assert!(!third.reused);
        assert_eq!(
            crate::store::list_partitions(&store, "staging", "t")
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn an_index_left_by_a_crash_before_its_partition_is_landed_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).unwrap();
        let frame = df!("x" => [1, 2, 3]).unwrap();
        let crashed = land(&store, "staging", "t", Utc::now(), &frame).unwrap();
        // The crash: the index was written, the partition never was.
        store.delete(&crashed.key.to_string()).unwrap();
        let later = Utc::now() + chrono::Duration::seconds(5);
        let again = land(&store, "staging", "t", later, &frame).unwrap();
        assert!(!again.reused);
        assert_ne!(again.key, crashed.key);
        let partitions = crate::store::list_partitions(&store, "staging", "t").unwrap();
        assert_eq!(partitions.len(), 1);
        let once_more = land(&store, "staging", "t", later, &frame).unwrap();
        assert!(once_more.reused);
        assert_eq!(once_more.key, again.key);
    }
}
