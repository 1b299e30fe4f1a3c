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
    /// The SHA-256 of the Parquet bytes, in hex; `None` for a partition a
    /// warehouse exported.
    pub fingerprint: Option<String>,
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
    let bytes = encode_parquet(frame).map_err(|source| PartitionError::Parquet {
        key: key.to_string(),
        source,
    })?;
    let fingerprint: String = Sha256::digest(&bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let index = format!("fingerprints/{dataset}/{table}/{fingerprint}");
    match store.get(&index) {
        Ok(existing) => {
            let existing = String::from_utf8_lossy(&existing).trim().to_string();
            let existing = PartitionKey::parse(&existing)?;
            if store.exists(&existing.to_string())? {
                return Ok(Landed {
                    key: existing,
                    reused: true,
                    fingerprint: Some(fingerprint),
                });
            }
        }
        Err(StoreError::NotFound(_)) => {}
        Err(error) => return Err(error.into()),
    }
    store.put(&index, key.to_string().as_bytes())?;
    put_partition(store, &key, &bytes)?;
    Ok(Landed {
        key,
        reused: false,
        fingerprint: Some(fingerprint),
    })
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
