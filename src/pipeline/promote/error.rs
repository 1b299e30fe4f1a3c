//! Why a promotion or a recovery failed, keeping the error it came from,
//! and what became of production after it.

use std::fmt;

use chrono::{DateTime, Utc};

use super::IN_PROGRESS;
use crate::pipeline::run_id::RunId;
use crate::sql::IdentifierError;
use crate::store::StoreError;
use crate::store::layout::LayoutError;
use crate::warehouse::WarehouseError;

/// A promotion or recovery that did not finish.
#[derive(Debug, thiserror::Error)]
pub enum PromoteError {
    /// Another process holds the promotion journal.
    #[error("another promotion is in progress ({IN_PROGRESS} exists)")]
    InProgress,
    /// A promotion ran while this run ran: what it read of production may
    /// be stale.
    #[error(
        "another promotion ran while run {0} ran, so the production history and drift reference it read may be stale; run it again"
    )]
    Stale(RunId),
    /// Another process took the journal over; this holder stops.
    #[error("the promotion lost its lease: {IN_PROGRESS} was taken over by another process")]
    LeaseLost,
    /// The lease could not be renewed and is about to run out.
    #[error(
        "the promotion could not renew its lease (it ends at {0}); stopping before another process may take over"
    )]
    LeaseEnding(DateTime<Utc>),
    /// The object store failed at a step.
    #[error("{step}: {source}")]
    Store {
        /// What was being done.
        step: String,
        /// The store's error.
        #[source]
        source: StoreError,
    },
    /// The warehouse failed at a step.
    #[error("{step}: {source}")]
    Warehouse {
        /// What was being done.
        step: String,
        /// The warehouse's error.
        #[source]
        source: WarehouseError,
    },
    /// A record in the store (a journal, the pointer) cannot be read.
    #[error("{record} is not {what}: {source}")]
    Damaged {
        /// The record's key.
        record: &'static str,
        /// What it should be.
        what: &'static str,
        /// Why it cannot be read.
        #[source]
        source: serde_json::Error,
    },
    /// A table or key named in a journal is not a valid name.
    #[error("a name in the promotion journal: {0}")]
    Name(String),
    /// A failpoint failed the step (test builds only).
    #[error("{0}")]
    Failpoint(String),
    /// The promotion failed, and what became of production afterwards.
    #[error("{failure}{aftermath}")]
    Failed {
        /// Why it failed.
        #[source]
        failure: Box<PromoteError>,
        /// What followed.
        aftermath: Aftermath,
    },
}

/// What became of a promotion that failed before its commit point.
#[derive(Debug)]
pub enum Aftermath {
    /// Nothing had been touched, but the journal could not be removed.
    NotReleased(Box<PromoteError>),
    /// Rolled back: production is unchanged.
    RolledBack,
    /// The rollback failed too; the next recovery finishes it.
    RollbackFailed(Box<PromoteError>),
    /// The journal was taken over: its new owner finishes the promotion.
    LeftToOwner(Box<PromoteError>),
}

impl fmt::Display for Aftermath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Aftermath::NotReleased(error) => write!(f, "; and {error}"),
            Aftermath::RolledBack => f.write_str(" (production was rolled back and is unchanged)"),
            Aftermath::RollbackFailed(error) => {
                write!(f, "; and the rollback failed too: {error}")
            }
            Aftermath::LeftToOwner(lost) => write!(
                f,
                "; {lost}: nothing more was done here, and whoever holds {IN_PROGRESS} finishes the promotion (run `contracts recover`)"
            ),
        }
    }
}

impl PromoteError {
    /// `source`, failing `step` in the store.
    pub(super) fn store(step: impl fmt::Display, source: StoreError) -> Self {
        PromoteError::Store {
            step: step.to_string(),
            source,
        }
    }

    /// `source`, failing `step` in the warehouse.
    pub(super) fn warehouse(step: impl fmt::Display, source: WarehouseError) -> Self {
        PromoteError::Warehouse {
            step: step.to_string(),
            source,
        }
    }
}

impl From<IdentifierError> for PromoteError {
    fn from(error: IdentifierError) -> Self {
        PromoteError::Name(error.to_string())
    }
}

impl From<LayoutError> for PromoteError {
    fn from(error: LayoutError) -> Self {
        PromoteError::Name(error.to_string())
    }
}
