//! Why a run or a command failed, and what kind of failure it was. The kind
//! decides the exit code (one table, in [`crate::cli`]), so that a CronJob
//! can tell bad data (a gate failed: not an error) from a bad command or
//! unreadable input (fix the call or the file) from a failed service
//! (BigQuery is down: retry later).

use std::error::Error;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::config::ConfigError;
use super::promote::PromoteError;
use super::source::ExtractError;
use crate::compat::LockError;
use crate::store::{PartitionError, StoreError};
use crate::validate::ValidationError;
use crate::warehouse::{Blame, WarehouseError};

/// What kind of failure stopped a run or a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The command or its configuration is wrong: flags, settings, an
    /// unknown table, a contract the warehouse cannot hold.
    Usage,
    /// The data cannot be read or used: a malformed file, a value that
    /// does not fit its type, a transform that fails on it.
    Input,
    /// A service or the machine failed: the object store, the warehouse,
    /// the source's API, the disk, a signal, another run promoting.
    /// Running again later may succeed.
    Service,
}

impl FailureKind {
    /// The kind's name, as reports spell it.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Usage => "usage",
            FailureKind::Input => "input",
            FailureKind::Service => "service",
        }
    }
}

/// A failure with its kind, its message (contexts first, outermost
/// first), and the error it came from.
#[derive(Debug)]
pub struct RunError {
    kind: FailureKind,
    message: String,
    source: Option<Box<dyn Error + Send + Sync + 'static>>,
}

impl RunError {
    /// A failure of `kind` described by `message`.
    pub fn new(kind: FailureKind, message: impl fmt::Display) -> Self {
        RunError {
            kind,
            message: message.to_string(),
            source: None,
        }
    }

    /// A wrong command or configuration.
    pub fn usage(message: impl fmt::Display) -> Self {
        RunError::new(FailureKind::Usage, message)
    }

    /// Data that cannot be read or used.
    pub fn input(message: impl fmt::Display) -> Self {
        RunError::new(FailureKind::Input, message)
    }

    /// A failed service or machine.
    pub fn service(message: impl fmt::Display) -> Self {
        RunError::new(FailureKind::Service, message)
    }

    /// A failure of `kind` caused by `source`, described as it describes
    /// itself.
    pub fn caused_by(kind: FailureKind, source: impl Error + Send + Sync + 'static) -> Self {
        RunError {
            kind,
            message: source.to_string(),
            source: Some(Box::new(source)),
        }
    }

    /// The same failure, described within `context` (`loading t: …`).
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// What kind of failure it is.
    pub fn kind(&self) -> FailureKind {
        self.kind
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for RunError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn Error + 'static))
    }
}

impl From<WarehouseError> for RunError {
    fn from(error: WarehouseError) -> Self {
        RunError::caused_by(warehouse_kind(&error), error)
    }
}

impl From<PromoteError> for RunError {
    fn from(error: PromoteError) -> Self {
        RunError::caused_by(promote_kind(&error), error)
    }
}

/// A promotion fails as its store or warehouse failed, when one did (the
/// failure itself, not what followed it); any other failure of it (the
/// lease, another promotion, a damaged journal) is the service's.
fn promote_kind(error: &PromoteError) -> FailureKind {
    match error {
        PromoteError::Store { source, .. } => store_kind(source),
        PromoteError::Warehouse { source, .. } => warehouse_kind(source),
        PromoteError::Failed { failure, .. } => promote_kind(failure),
        _ => FailureKind::Service,
    }
}

fn warehouse_kind(error: &WarehouseError) -> FailureKind {
    match error {
        WarehouseError::Contract { .. }
        | WarehouseError::Identifier(_)
        | WarehouseError::Refused { .. }
        | WarehouseError::NoTable(_)
        | WarehouseError::Engine {
            blame: Blame::Statement,
            ..
        } => FailureKind::Usage,
        _ => FailureKind::Service,
    }
}

impl From<StoreError> for RunError {
    fn from(error: StoreError) -> Self {
        RunError::caused_by(store_kind(&error), error)
    }
}

fn store_kind(error: &StoreError) -> FailureKind {
    match error {
        StoreError::InvalidKey { .. } => FailureKind::Usage,
        _ => FailureKind::Service,
    }
}

impl From<PartitionError> for RunError {
    fn from(error: PartitionError) -> Self {
        match error {
            PartitionError::Store(error) => error.into(),
            PartitionError::Layout(_) => RunError::caused_by(FailureKind::Usage, error),
            _ => RunError::caused_by(FailureKind::Input, error),
        }
    }
}

impl From<ValidationError> for RunError {
    fn from(error: ValidationError) -> Self {
        match error {
            ValidationError::Warehouse(error) => error.into(),
            ValidationError::Unmeasured { .. } => RunError::caused_by(FailureKind::Service, error),
            ValidationError::NoReferencedRows { .. } => {
                RunError::caused_by(FailureKind::Usage, error)
            }
            ValidationError::Engine(_) | ValidationError::Damaged(_) => {
                RunError::caused_by(FailureKind::Input, error)
            }
        }
    }
}

impl From<ExtractError> for RunError {
    fn from(error: ExtractError) -> Self {
        RunError::new(error.kind, error.message)
    }
}

impl From<LockError> for RunError {
    fn from(error: LockError) -> Self {
        RunError::caused_by(error.kind(), error)
    }
}

impl From<ConfigError> for RunError {
    fn from(error: ConfigError) -> Self {
        RunError::caused_by(FailureKind::Usage, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warehouse_failure_is_a_service_failure_and_a_contract_it_cannot_hold_is_usage() {
        let down = WarehouseError::Result {
            operation: "a query".into(),
            message: "503".into(),
        };
        assert_eq!(RunError::from(down).kind(), FailureKind::Service);
        let contract = WarehouseError::Contract {
            contract: "t".into(),
            problem: "a reserved column".into(),
        };
        let error = RunError::from(contract).context("loading s.t");
        assert_eq!(error.kind(), FailureKind::Usage);
        assert!(error.to_string().starts_with("loading s.t: "));
        assert!(error.source().is_some());
    }

    #[test]
    fn damaged_data_is_input_and_an_unmeasured_check_is_a_service_failure() {
        let damaged = ValidationError::Damaged("f.parquet: damaged".into());
        assert_eq!(RunError::from(damaged).kind(), FailureKind::Input);
        let unmeasured = ValidationError::Unmeasured {
            check: "dedup_key".into(),
            problem: "no count".into(),
        };
        assert_eq!(RunError::from(unmeasured).kind(), FailureKind::Service);
        let missing = StoreError::NotFound("k".into());
        assert_eq!(RunError::from(missing).kind(), FailureKind::Service);
    }

    #[test]
    fn a_promotion_fails_as_its_warehouse_failed_and_keeps_the_chain() {
        let rejected = WarehouseError::Engine {
            engine: "BigQuery",
            operation: "a MERGE".into(),
            job_id: None,
            message: "invalidQuery: Unrecognized name".into(),
            blame: Blame::Statement,
        };
        let failed = PromoteError::Failed {
            failure: Box::new(PromoteError::Warehouse {
                step: "loading p.t".into(),
                source: rejected,
            }),
            aftermath: crate::pipeline::promote::Aftermath::RolledBack,
        };
        assert_eq!(
            failed.to_string(),
            "loading p.t: BigQuery a MERGE failed: invalidQuery: Unrecognized name \
             (production was rolled back and is unchanged)"
        );
        let error = RunError::from(failed);
        assert_eq!(error.kind(), FailureKind::Usage);
        let promote = error.source().expect("the promotion's error");
        let load = promote.source().expect("the step's error");
        assert!(load.source().is_some(), "the warehouse's error");
        let store = PromoteError::Store {
            step: "writing promotion/epoch.json".into(),
            source: StoreError::NotFound("k".into()),
        };
        assert_eq!(RunError::from(store).kind(), FailureKind::Service);
        assert_eq!(
            RunError::from(PromoteError::InProgress).kind(),
            FailureKind::Service
        );
        let bad_key = PromoteError::Failed {
            failure: Box::new(PromoteError::Store {
                step: "copying a part".into(),
                source: StoreError::InvalidKey {
                    key: "../x".into(),
                    reason: "has a `..` segment",
                },
            }),
            aftermath: crate::pipeline::promote::Aftermath::RolledBack,
        };
        assert_eq!(RunError::from(bad_key).kind(), FailureKind::Usage);
    }
}
