//! The default store: a folder on the local disk.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{ObjectStore, StoreError, Version, check_key};

/// The suffix of the store's own working files (being written, or locks):
/// never listed, never read as objects.
const PARTIAL: &str = ".partial";

/// Objects as files under a root folder. A write goes to a temporary file
/// beside its target, is flushed to disk, and is then renamed (or, for
/// [`ObjectStore::put_new`], hard-linked, which fails if the target exists)
/// into place. Compare-and-swap writes hold an exclusive lock on a lock
/// file beside the object while they compare and write; an object's
/// version is the SHA-256 of its bytes.
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

    /// Writes `bytes` to a flushed temporary file beside `target`, removed
    /// again unless it is published.
    fn write_partial(&self, key: &str, target: &Path, bytes: &[u8]) -> Result<Partial, StoreError> {
        let partial = Partial(beside(
            key,
            target,
            &format!(".{}{PARTIAL}", unique_suffix()),
        )?);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial.0)
            .map_err(io("create a temporary file for", key))?;
        file.write_all(bytes).map_err(io("write", key))?;
        file.sync_all().map_err(io("flush", key))?;
        Ok(partial)
    }
}

/// The hidden file `.{name}{suffix}` beside `target` (the file of `key`,
/// named `name`), its folder made.
fn beside(key: &str, target: &Path, suffix: &str) -> Result<PathBuf, StoreError> {
    let folder = target.parent().expect("a key has a file name");
    fs::create_dir_all(folder).map_err(io("create the folder of", key))?;
    let name = target
        .file_name()
        .expect("a key has a file name")
        .to_string_lossy();
    Ok(folder.join(format!(".{name}{suffix}")))
}

/// A temporary file being written; deleted when dropped, so that a write
/// that fails half-way (a full disk, a failed rename) leaves nothing.
struct Partial(PathBuf);

impl Drop for Partial {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

impl LocalStore {
    /// An exclusive lock on `key`'s lock file, held until dropped: what
    /// compare-and-swap writes of one key take turns on (across processes).
    fn lock(&self, key: &str, target: &Path) -> Result<File, StoreError> {
        let lock = File::create(beside(key, target, &format!(".lock{PARTIAL}"))?)
            .map_err(io("create the lock file of", key))?;
        loop {
            match lock.lock() {
                // A signal (SIGTERM asking for a stop) interrupts the wait.
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                locked => break locked.map_err(io("lock", key))?,
            }
        }
        Ok(lock)
    }

    /// The version of the object at `target` now, if there is one.
    fn current_version(&self, key: &str, target: &Path) -> Result<Option<Version>, StoreError> {
        match fs::read(target) {
            Ok(bytes) => Ok(Some(version_of(&bytes))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io("read", key)(error)),
        }
    }

    /// Fails unless the object at `target` is `expected` (none, for `None`).
    fn expect_version(
        &self,
        key: &str,
        target: &Path,
        expected: Option<&Version>,
    ) -> Result<(), StoreError> {
        match (self.current_version(key, target)?, expected) {
            (None, None) => Ok(()),
            (Some(_), None) => Err(StoreError::AlreadyExists(key.to_string())),
            (Some(now), Some(expected)) if now == *expected => Ok(()),
            _ => Err(StoreError::Changed(key.to_string())),
        }
    }
}

/// A local object's version: the SHA-256 of its bytes, in hex.
fn version_of(bytes: &[u8]) -> Version {
    use sha2::{Digest, Sha256};
    Version(
        Sha256::digest(bytes)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect(),
    )
}

impl ObjectStore for LocalStore {
    fn local_path(&self, key: &str) -> Option<PathBuf> {
        self.path(key).ok()
    }

    fn file_beside(&self, key: &str) -> Result<Option<PathBuf>, StoreError> {
        let target = self.path(key)?;
        beside(key, &target, &format!(".{}{PARTIAL}", unique_suffix())).map(Some)
    }

    fn put_file(&self, key: &str, file: &Path) -> Result<(), StoreError> {
        let target = self.path(key)?;
        File::open(file)
            .and_then(|opened| opened.sync_all())
            .map_err(io("flush", key))?;
        fs::rename(file, &target).map_err(io("publish", key))?;
        sync_folder(&target);
        Ok(())
    }

    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let target = self.path(key)?;
        let partial = self.write_partial(key, &target, bytes)?;
        fs::rename(&partial.0, &target).map_err(io("publish", key))?;
        sync_folder(&target);
        Ok(())
    }

    fn put_new(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let target = self.path(key)?;
        if target.exists() {
            return Err(StoreError::AlreadyExists(key.to_string()));
        }
        let partial = self.write_partial(key, &target, bytes)?;
        let linked = fs::hard_link(&partial.0, &target);
        drop(partial);
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
        collect_keys(&self.root, &self.root, &mut Vec::new(), &mut keys)?;
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

    fn get_versioned(&self, key: &str) -> Result<(Vec<u8>, Version), StoreError> {
        let bytes = self.get(key)?;
        let version = version_of(&bytes);
        Ok((bytes, version))
    }

    fn put_if(
        &self,
        key: &str,
        bytes: &[u8],
        expected: Option<&Version>,
    ) -> Result<Version, StoreError> {
        let target = self.path(key)?;
        let _lock = self.lock(key, &target)?;
        self.expect_version(key, &target, expected)?;
        let partial = self.write_partial(key, &target, bytes)?;
        fs::rename(&partial.0, &target).map_err(io("publish", key))?;
        sync_folder(&target);
        Ok(version_of(bytes))
    }

    fn delete_if(&self, key: &str, expected: &Version) -> Result<(), StoreError> {
        let target = self.path(key)?;
        let _lock = self.lock(key, &target)?;
        match self.current_version(key, &target)? {
            None => Err(StoreError::NotFound(key.to_string())),
            Some(now) if now == *expected => self.delete(key),
            Some(_) => Err(StoreError::Changed(key.to_string())),
        }
    }
}

/// Every published file below `folder`, as keys relative to `root`.
/// Symbolic links are followed, as reads follow them: a linked folder is
/// listed as a folder, a linked file as a file, and a broken link not at
/// all, as a read would find nothing. A link back to a folder it is in
/// (a loop) is not entered again.
fn collect_keys(
    root: &Path,
    folder: &Path,
    ancestors: &mut Vec<PathBuf>,
    keys: &mut Vec<String>,
) -> Result<(), StoreError> {
    let listing = io("list", &folder.display().to_string());
    let real = fs::canonicalize(folder).map_err(&listing)?;
    if ancestors.contains(&real) {
        return Ok(());
    }
    ancestors.push(real);
    for entry in fs::read_dir(folder).map_err(&listing)? {
        let entry = entry.map_err(&listing)?;
        let path = entry.path();
        let Ok(target) = fs::metadata(&path) else {
            continue;
        };
        if target.is_dir() {
            collect_keys(root, &path, ancestors, keys)?;
        } else if target.is_file() && !entry.file_name().to_string_lossy().ends_with(PARTIAL) {
            let relative = path.strip_prefix(root).expect("listed below the root");
            let key: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            keys.push(key.join("/"));
        }
    }
    ancestors.pop();
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn listing_follows_links_as_reading_does() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir_all(elsewhere.join("deeper")).unwrap();
        fs::write(elsewhere.join("deeper/object"), b"x").unwrap();
        let store = LocalStore::new(dir.path().join("store")).unwrap();
        store.put("a/b", b"y").unwrap();
        symlink(&elsewhere, store.root().join("a/linked")).unwrap();
        symlink(store.root().join("a"), store.root().join("a/loop")).unwrap();
        symlink(dir.path().join("missing"), store.root().join("a/broken")).unwrap();
        let keys = store.list("a/").unwrap();
        for key in &keys {
            store.get(key).unwrap();
        }
        assert!(
            keys.contains(&"a/linked/deeper/object".to_string()),
            "{keys:?}"
        );
        assert!(!keys.iter().any(|key| key.contains("broken")), "{keys:?}");
        assert!(matches!(
            store.get("a/broken"),
            Err(StoreError::NotFound(_))
        ));
    }

    #[test]
    fn compare_and_swap_writes_refuse_a_version_they_did_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).unwrap();
        let first = store.put_if("promotion/journal", b"one", None).unwrap();
        assert!(matches!(
            store.put_if("promotion/journal", b"again", None),
            Err(StoreError::AlreadyExists(_))
        ));
        let second = store
            .put_if("promotion/journal", b"two", Some(&first))
            .unwrap();
        assert!(matches!(
            store.put_if("promotion/journal", b"stale", Some(&first)),
            Err(StoreError::Changed(_))
        ));
        assert!(matches!(
            store.delete_if("promotion/journal", &first),
            Err(StoreError::Changed(_))
        ));
        assert_eq!(
            store.get_versioned("promotion/journal").unwrap(),
            (b"two".to_vec(), second.clone())
        );
        store.delete_if("promotion/journal", &second).unwrap();
        assert_eq!(
            store.list("promotion/").unwrap(),
            Vec::<String>::new(),
            "no lock file is listed"
        );
    }

    #[test]
    fn a_failed_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).unwrap();
        // A folder where the object should go: the rename must fail.
        fs::create_dir_all(dir.path().join("t/x/inside")).unwrap();
        assert!(store.put("t/x", b"bytes").is_err());
        let left: Vec<_> = fs::read_dir(dir.path().join("t")).unwrap().collect();
        assert_eq!(left.len(), 1, "only the folder stays: {left:?}");
    }
}
