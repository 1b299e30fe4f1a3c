//! Why the lock cannot be written or read: a wrong call (a ref that is no
//! commit), a committed file that is not what it should be, or a machine
//! that failed (the disk, git).

use std::path::PathBuf;

use crate::pipeline::FailureKind;

/// A failure writing or reading the lock, with what it concerns.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// `--against` names no git ref, or a lock folder git cannot address.
    #[error("{0}")]
    Usage(String),
    /// A contract whose artifacts cannot be generated (its DDL).
    #[error("{table}: {message}")]
    Artifact {
        /// The contract's table.
        table: String,
        /// Why.
        message: String,
    },
    /// A committed `contract.json` that is not a contract.
    #[error("{path}: not a contract: {source}")]
    NotAContract {
        /// Where it was read, `folder[ at ref]/table/contract.json`.
        path: String,
        /// What the parser said.
        source: serde_json::Error,
    },
    /// A file or folder of the lock that cannot be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// `read`, `write`, `create`.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// git cannot run, or fails reading an object it said was there.
    #[error("{0}")]
    Git(String),
}

impl LockError {
    /// What kind of failure it is: the call's, the committed files', or
    /// the machine's.
    pub fn kind(&self) -> FailureKind {
        match self {
            LockError::Usage(_) | LockError::Artifact { .. } => FailureKind::Usage,
            LockError::NotAContract { .. } => FailureKind::Input,
            LockError::Io { .. } | LockError::Git(_) => FailureKind::Service,
        }
    }
}
