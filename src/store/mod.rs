//! Object stores: where raw and processed partitions and run reports live.
//!
//! One small trait, [`ObjectStore`], with a local-folder implementation
//! ([`LocalStore`], the default) and Google Cloud Storage ([`GcsStore`],
//! through `gcloud-storage`'s JSON API, which an emulator also serves). Keys are `/`-separated paths relative to
//! the store's root (a folder, or a bucket); [`layout`] builds and parses
//! the keys of partitions and runs.

mod gcs;
pub mod layout;
mod local;
mod partitions;

pub use crate::retry::RetryPolicy;
pub use gcs::GcsStore;
pub use local::LocalStore;
pub use partitions::{
    PartitionError, SOURCE_ROW, encode_parquet, list_partitions, put_partition, read_partition,
    write_partition,
};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The key is not a safe relative path.
    #[error("invalid object key `{key}`: {reason}")]
    InvalidKey {
        /// The key as given.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No object has this key.
    #[error("no object `{0}`")]
    NotFound(String),
    /// An object with this key exists and may not be replaced.
    #[error("object `{0}` already exists and is immutable")]
    AlreadyExists(String),
    /// The object is not the version a compare-and-swap expected: another
    /// writer changed or deleted it since it was read.
    #[error("object `{0}` changed since it was read (another writer)")]
    Changed(String),
    /// The remote service refused or failed (after retries).
    #[error("{operation} `{key}`: {message}")]
    Remote {
        /// What was being done.
        operation: &'static str,
        /// The key it was done to.
        key: String,
        /// What the service said.
        message: String,
    },
    /// The storage itself failed.
    #[error("{operation} `{key}`: {source}")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The key it was done to.
        key: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The version of an object, for compare-and-swap writes
/// ([`ObjectStore::put_if`], [`ObjectStore::delete_if`]): a GCS object's
/// generation, or the SHA-256 of a local file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(pub String);

/// A flat namespace of immutable-by-choice objects.
///
/// Every write publishes a complete object or nothing: a reader never sees
/// a partial object, also when the writer dies half-way. Stores are shared
/// across threads (a promotion renews its lease from a second one).
pub trait ObjectStore: Send + Sync {
    /// Writes `bytes` at `key`, replacing any object there.
    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError>;
    /// Writes `bytes` at `key` only if no object is there
    /// ([`StoreError::AlreadyExists`] otherwise): for immutable partitions.
    fn put_new(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError>;
    /// The object at `key`.
    fn get(&self, key: &str) -> Result<Vec<u8>, StoreError>;
    /// The keys that start with `prefix`, sorted.
    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError>;
    /// Copies the object at `from` to `to`, replacing any object there.
    fn copy(&self, from: &str, to: &str) -> Result<(), StoreError>;
    /// Deletes the object at `key` ([`StoreError::NotFound`] if none).
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// The object at `key` and its version.
    fn get_versioned(&self, key: &str) -> Result<(Vec<u8>, Version), StoreError>;
    /// Writes `bytes` at `key` only if the object there is still `expected`
    /// ([`StoreError::Changed`] otherwise), or, with `None`, only if there
    /// is none ([`StoreError::AlreadyExists`] otherwise); returns the new
    /// version. Atomic against every other compare-and-swap writer.
    fn put_if(
        &self,
        key: &str,
        bytes: &[u8],
        expected: Option<&Version>,
    ) -> Result<Version, StoreError>;
    /// Deletes the object at `key` only if it is still `expected`
    /// ([`StoreError::Changed`] otherwise).
    fn delete_if(&self, key: &str, expected: &Version) -> Result<(), StoreError>;
    /// Whether an object is at `key`.
    fn exists(&self, key: &str) -> Result<bool, StoreError>;
    /// The file that holds `key`, when the store is a local folder (an
    /// embedded warehouse then reads it in place).
    fn local_path(&self, _key: &str) -> Option<std::path::PathBuf> {
        None
    }
    /// The `gs://bucket/key` URI of `key`, when the store is a GCS bucket
    /// (BigQuery load jobs read from there).
    fn gcs_uri(&self, _key: &str) -> Option<String> {
        None
    }
    /// A new, unused path where another writer (an embedded engine's
    /// `COPY … TO`) may write the file [`ObjectStore::put_file`] then
    /// publishes at `key`: beside `key`'s own file in a local folder, so
    /// that publishing is a rename; `None` elsewhere (write it to a
    /// temporary folder).
    fn file_beside(&self, _key: &str) -> Result<Option<std::path::PathBuf>, StoreError> {
        Ok(None)
    }
    /// Publishes the finished file at `file` (where
    /// [`ObjectStore::file_beside`] said, or anywhere when it said `None`)
    /// as the object at `key`, replacing any object there, and removes
    /// `file`.
    fn put_file(&self, key: &str, file: &std::path::Path) -> Result<(), StoreError> {
        let bytes = std::fs::read(file).map_err(|source| StoreError::Io {
            operation: "read the file to publish at",
            key: key.to_string(),
            source,
        })?;
        self.put(key, &bytes)?;
        let _ = std::fs::remove_file(file);
        Ok(())
    }
}

/// Checks that `key` is a relative `/`-separated path with no empty, `.`
/// or `..` segment, no backslash and no control character, so it cannot
/// name anything outside the store's root.
pub fn check_key(key: &str) -> Result<(), StoreError> {
    let invalid = |reason| {
        Err(StoreError::InvalidKey {
            key: key.to_string(),
            reason,
        })
    };
    if key.is_empty() {
        return invalid("it is empty");
    }
    if key.starts_with('/') {
        return invalid("it is absolute");
    }
    if key.chars().any(|c| c == '\\' || c.is_control()) {
        return invalid("it holds a backslash or a control character");
    }
    if key
        .split('/')
        .any(|segment| segment.is_empty() || segment == "." || segment == "..")
    {
        return invalid("it has an empty, `.` or `..` segment");
    }
    Ok(())
}
