//! The lock: every registered contract's generated artifacts, committed
//! under `contracts/schemas/<table>/`, and where to read a committed copy
//! from (the lock folder, or the same folder at a git ref).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::schema::DdlOptions;
use crate::{Contract, Registry};

/// The file holding a contract's canonical description, version included.
pub const CONTRACT_FILE: &str = "contract.json";

/// A contract's artifacts: (file name, content), in a fixed order.
pub fn artifacts(contract: &Contract) -> Result<Vec<(&'static str, String)>, String> {
    let ddl = contract
        .ddl(&DdlOptions {
            if_not_exists: true,
            ..DdlOptions::default()
        })
        .map_err(|error| format!("{}: {error}", contract.name))?;
    Ok(vec![
        (
            "bigquery.json",
            format!("{}\n", contract.bigquery_schema_json()),
        ),
        ("table.sql", format!("{ddl}\n")),
        ("row.schema.json", pretty(&contract.json_schema())),
        (CONTRACT_FILE, pretty(contract)),
    ])
}

/// Writes every contract's artifacts under `dir/<table>/`; returns the
/// files written.
pub fn write_lock(dir: &Path, registry: &Registry) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for contract in registry.contracts() {
        let folder = dir.join(&contract.name);
        std::fs::create_dir_all(&folder)
            .map_err(|error| format!("cannot create {}: {error}", folder.display()))?;
        for (file, text) in artifacts(contract)? {
            let path = folder.join(file);
            std::fs::write(&path, text)
                .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
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
    pub fn read(&self, table: &str, file: &str) -> Result<Option<String>, String> {
        match self {
            Committed::Folder(folder) => {
                let path = folder.join(table).join(file);
                match std::fs::read_to_string(&path) {
                    Ok(text) => Ok(Some(text)),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(error) => Err(format!("cannot read {}: {error}", path.display())),
                }
            }
            Committed::GitRef { reference, folder } => {
                if reference.starts_with('-') || reference.contains(':') {
                    return Err(format!("`{reference}` is not a git ref"));
                }
                let path = folder.join(table).join(file);
                let spec = format!("{reference}:./{}", path.display());
                let output = Command::new("git")
                    .args(["show", &spec])
                    .output()
                    .map_err(|error| format!("cannot run git: {error}"))?;
                if output.status.success() {
                    return Ok(Some(String::from_utf8_lossy(&output.stdout).into_owned()));
                }
                let stderr = String::from_utf8_lossy(&output.stderr);
                if stderr.contains("does not exist")
                    || stderr.contains("exists on disk, but not in")
                {
                    Ok(None)
                } else {
                    Err(format!("git show {spec}: {}", stderr.trim()))
                }
            }
        }
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

/// Pretty JSON with a final newline.
fn pretty(value: &impl serde::Serialize) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(value).expect("artifacts are plain data")
    )
}
