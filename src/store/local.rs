//! The default store: a folder on the local disk.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{ObjectStore, StoreError, check_key};

/// The suffix of files being written; never listed, never read.
const PARTIAL: &str = ".partial";

/// Objects as files under a root folder. A write goes to a temporary file
/// beside its target, is flushed to disk, and is then renamed (or, for
/// [`ObjectStore::put_new`], hard-linked, which fails if the target exists)
/// into place.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// A store rooted at `root`, created if missing.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        fs::create_dir_all(&root)
            .map_err(io("create the store folder", &root.display().to_string()))?;
        Ok(LocalStore { root })
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> Result<PathBuf, StoreError> {
        check_key(key)?;
        Ok(self.root.join(key))
    }

    /// Writes `bytes` to a flushed temporary file beside `target`.
    fn write_partial(&self, key: &str, target: &Path, bytes: &[u8]) -> Result<PathBuf, StoreError> {
        let folder = target.parent().expect("a key has a file name");
        fs::create_dir_all(folder).map_err(io("create the folder of", key))?;
        let name = target
            .file_name()
            .expect("a key has a file name")
            .to_string_lossy();
        let partial = folder.join(format!(".{name}.{}{PARTIAL}", unique_suffix()));
        let mut file = File::create(&partial).map_err(io("create a temporary file for", key))?;
        file.write_all(bytes).map_err(io("write", key))?;
        file.sync_all().map_err(io("flush", key))?;
        Ok(partial)
    }
}

impl ObjectStore for LocalStore {
    fn local_path(&self, key: &str) -> Option<PathBuf> {
        self.path(key).ok()
    }

    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let target = self.path(key)?;
        let partial = self.write_partial(key, &target, bytes)?;
        fs::rename(&partial, &target).map_err(io("publish", key))?;
        sync_folder(&target);
        Ok(())
    }

    fn put_new(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let target = self.path(key)?;
        if target.exists() {
            return Err(StoreError::AlreadyExists(key.to_string()));
        }
        let partial = self.write_partial(key, &target, bytes)?;
        let linked = fs::hard_link(&partial, &target);
        let _ = fs::remove_file(&partial);
        match linked {
            Ok(()) => {
                sync_folder(&target);
                Ok(())
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(StoreError::AlreadyExists(key.to_string()))
            }
            Err(error) => Err(io("publish", key)(error)),
        }
    }

    fn get(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.path(key)?;
        fs::read(&path).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotFound(key.to_string()),
            _ => io("read", key)(error),
        })
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        collect_keys(&self.root, &self.root, &mut keys)?;
        keys.retain(|key| key.starts_with(prefix));
        keys.sort();
        Ok(keys)
    }

    fn copy(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let bytes = self.get(from)?;
        self.put(to, &bytes)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path(key)?;
        fs::remove_file(&path).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotFound(key.to_string()),
            _ => io("delete", key)(error),
        })
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.path(key)?.is_file())
    }
}

/// Every published file below `folder`, as keys relative to `root`.
fn collect_keys(root: &Path, folder: &Path, keys: &mut Vec<String>) -> Result<(), StoreError> {
    let listing = io("list", &folder.display().to_string());
    for entry in fs::read_dir(folder).map_err(&listing)? {
        let entry = entry.map_err(&listing)?;
        let path = entry.path();
        if entry.file_type().map_err(&listing)?.is_dir() {
            collect_keys(root, &path, keys)?;
        } else if !entry.file_name().to_string_lossy().ends_with(PARTIAL) {
            let relative = path.strip_prefix(root).expect("listed below the root");
            let key: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            keys.push(key.join("/"));
        }
    }
    Ok(())
}

/// Makes a rename durable: flushes the folder's entry list (best effort).
fn sync_folder(target: &Path) {
    if let Some(folder) = target.parent()
        && let Ok(folder) = File::open(folder)
    {
        let _ = folder.sync_all();
    }
}

/// A suffix no other writer uses at the same time: process id and a
/// per-process counter.
fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn io(operation: &'static str, key: &str) -> impl Fn(std::io::Error) -> StoreError + use<> {
    let key = key.to_string();
    move |source| StoreError::Io {
        operation,
        key: key.clone(),
        source,
    }
}
