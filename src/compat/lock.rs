//! The lock: every registered contract's generated artifacts, committed
//! under `contracts/schemas/<table>/`, and where to read a committed copy
//! from (the lock folder, or the same folder at a git ref).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::LockError;
use crate::schema::DdlOptions;
use crate::{Contract, Registry};

/// The file holding a contract's canonical description, version included.
pub const CONTRACT_FILE: &str = "contract.json";

/// A contract's artifacts: (file name, content), in a fixed order.
pub fn artifacts(contract: &Contract) -> Result<Vec<(&'static str, String)>, LockError> {
    let ddl = contract
        .ddl(&DdlOptions {
            if_not_exists: true,
            ..DdlOptions::default()
        })
        .map_err(|error| LockError::Artifact {
            table: contract.name.clone(),
            message: error.to_string(),
        })?;
    Ok(vec![
        (
            "bigquery.json",
            format!("{}\n", contract.bigquery_schema_json()),
        ),
        ("table.sql", format!("{ddl}\n")),
        ("row.schema.json", pretty(&contract.json_schema())),
        (
            "odcs.yaml",
            crate::odcs::to_yaml(&crate::odcs::export(
                contract,
                &crate::odcs::Servers::default(),
            )),
        ),
        (CONTRACT_FILE, pretty(contract)),
    ])
}

/// Writes every contract's artifacts under `dir/<table>/`; returns the
/// files written.
pub fn write_lock(dir: &Path, registry: &Registry) -> Result<Vec<PathBuf>, LockError> {
    let mut written = Vec::new();
    for contract in registry.contracts() {
        let folder = dir.join(&contract.name);
        std::fs::create_dir_all(&folder).map_err(|source| LockError::Io {
            action: "create",
            path: folder.clone(),
            source,
        })?;
        for (file, text) in artifacts(contract)? {
            let path = folder.join(file);
            if let Err(source) = std::fs::write(&path, text) {
                return Err(LockError::Io {
                    action: "write",
                    path,
                    source,
                });
            }
            written.push(path);
        }
    }
    Ok(written)
}

/// Where the committed artifacts are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    /// The lock folder in the working tree.
    Folder(PathBuf),
    /// The lock folder as committed at a git ref, e.g. `origin/main`.
    GitRef {
        /// The ref.
        reference: String,
        /// The lock folder, relative to the current directory.
        folder: PathBuf,
    },
}

impl Committed {
    /// The committed `file` of `table`, or `None` when there is none.
    pub fn read(&self, table: &str, file: &str) -> Result<Option<String>, LockError> {
        match self {
            Committed::Folder(folder) => {
                let path = folder.join(table).join(file);
                match std::fs::read_to_string(&path) {
                    Ok(text) => Ok(Some(text)),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(LockError::Io {
                        action: "read",
                        path,
                        source,
                    }),
                }
            }
            Committed::GitRef { reference, folder } => {
                let spec = git_spec(reference, &folder.join(table).join(file))?;
                if object_type(reference, &spec)?.as_deref() != Some("blob") {
                    return Ok(None);
                }
                let output = git(&["cat-file", "blob", &spec])?;
                if !output.status.success() {
                    return Err(LockError::Git(format!(
                        "git cat-file blob {spec}: {}",
                        String::from_utf8_lossy(&output.stderr).trim()
                    )));
                }
                Ok(Some(String::from_utf8_lossy(&output.stdout).into_owned()))
            }
        }
    }

    /// The tables that have a committed folder.
    pub fn tables(&self) -> Result<Vec<String>, LockError> {
        let mut tables = match self {
            Committed::Folder(folder) => match std::fs::read_dir(folder) {
                Ok(entries) => entries
                    .filter_map(Result::ok)
                    .filter(|entry| entry.path().is_dir())
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .collect(),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(source) => {
                    return Err(LockError::Io {
                        action: "read",
                        path: folder.clone(),
                        source,
                    });
                }
            },
            Committed::GitRef { reference, folder } => {
                let spec = git_spec(reference, folder)?;
                if object_type(reference, &spec)?.as_deref() != Some("tree") {
                    // No lock folder at that ref: no committed tables.
                    return Ok(Vec::new());
                }
                let output = git(&["ls-tree", "-z", &spec])?;
                if !output.status.success() {
                    return Err(LockError::Git(format!(
                        "git ls-tree {spec}: {}",
                        String::from_utf8_lossy(&output.stderr).trim()
                    )));
                }
                // `mode type hash\tname`, NUL-terminated: the folders only.
                String::from_utf8_lossy(&output.stdout)
                    .split('\0')
                    .filter_map(|entry| entry.split_once('\t'))
                    .filter(|(meta, _)| meta.split(' ').nth(1) == Some("tree"))
                    .map(|(_, name)| name.to_string())
                    .collect()
            }
        };
        tables.sort();
        Ok(tables)
    }

    /// Where this reads from, for messages.
    pub fn describe(&self) -> String {
        match self {
            Committed::Folder(folder) => folder.display().to_string(),
            Committed::GitRef { reference, folder } => {
                format!("{} at {reference}", folder.display())
            }
        }
    }
}

/// `ref:./path`, for a ref that cannot pass for an option and a path
/// relative to the current directory.
fn git_spec(reference: &str, path: &Path) -> Result<String, LockError> {
    if reference.is_empty() || reference.starts_with('-') || reference.contains(':') {
        return Err(LockError::Usage(format!("`{reference}` is not a git ref")));
    }
    if path.is_absolute() {
        return Err(LockError::Usage(format!(
            "--against reads the lock folder at a git ref, so it must be relative to the current directory, not {}",
            path.display()
        )));
    }
    Ok(format!("{reference}:./{}", path.display()))
}

/// The type of the object `spec` names (`blob`, `tree`), or `None` when
/// there is none at that path; an error when `reference` is no commit.
/// Decided by exit codes, whatever language git speaks.
fn object_type(reference: &str, spec: &str) -> Result<Option<String>, LockError> {
    let commit = format!("{reference}^{{commit}}");
    let verified = git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        &commit,
    ])?;
    if !verified.status.success() {
        return Err(LockError::Usage(format!(
            "`{reference}` is not a commit in this repository"
        )));
    }
    let output = git(&["cat-file", "-t", spec])?;
    Ok(output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string()))
}

fn git(args: &[&str]) -> Result<std::process::Output, LockError> {
    Command::new("git")
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .map_err(|error| LockError::Git(format!("cannot run git: {error}")))
}

/// Pretty JSON with a final newline.
fn pretty(value: &impl serde::Serialize) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(value).expect("artifacts are plain data")
    )
}
