//! `contracts check`: what `cargo sqlx prepare --check` is to queries.
//!
//! [`lock`] writes every contract's generated artifacts where they are
//! committed; [`check_lock`] compares them with what the code generates
//! now (stale artifacts, as a unified diff) and the committed contract with
//! the current one ([`changes`]: breaking and additive changes). The CLI
//! adds warehouse drift and sample data. Every [`Finding`] names the table,
//! the column and the rule, and says how to fix it; [`CheckReport`] renders
//! them as text, JSON, JUnit XML and Markdown.

pub mod changes;
mod error;
pub mod lock;
mod render;

use serde::Serialize;
use similar::TextDiff;

pub use changes::{Change, Impact};
pub use error::LockError;
pub use lock::{Committed, artifacts, write_lock};

use crate::{Contract, Registry};

/// The command that rewrites the lock.
pub const LOCK_COMMAND: &str = "contracts lock";

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Fails the check.
    Error,
    /// Listed; does not fail the check.
    Info,
}

/// Which part of the check found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Committed artifacts against generated ones.
    Artifacts,
    /// The committed contract against the current one.
    Compatibility,
    /// A deployed table against its contract.
    Warehouse,
    /// Sample data against its contract.
    Data,
}

/// One finding of `contracts check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The table.
    pub table: String,
    /// The column, when the finding is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Which part of the check found it.
    pub area: Area,
    /// The rule, e.g. `stale_artifact`, `column_removed`.
    pub rule: String,
    /// Whether it fails the check.
    pub level: Level,
    /// What was found.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// A unified diff, for stale artifacts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// Everything `contracts check` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// The tables checked.
    pub tables: Vec<String>,
    /// What was compared against, e.g. `contracts/schemas at origin/main`.
    pub against: String,
    /// The findings, errors first.
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// Whether any finding fails the check.
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.level == Level::Error)
    }

    /// Adds findings, keeping errors first.
    pub fn extend(&mut self, findings: impl IntoIterator<Item = Finding>) {
        self.findings.extend(findings);
        self.findings
            .sort_by(|a, b| (a.level, &a.table, a.area).cmp(&(b.level, &b.table, b.area)));
    }
}

/// Compares every registered contract's artifacts with the lock folder
/// (stale artifacts) and its committed contract at `against` with the
/// current one (breaking and additive changes).
pub fn check_lock(
    registry: &Registry,
    folder: &Committed,
    against: &Committed,
) -> Result<CheckReport, LockError> {
    let mut report = CheckReport {
        tables: registry
            .contracts()
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        against: against.describe(),
        findings: Vec::new(),
    };
    for contract in registry.contracts() {
        report.extend(stale_artifacts(contract, folder)?);
        report.extend(compatibility(contract, against)?);
    }
    let removed = against
        .tables()?
        .into_iter()
        .filter(|table| registry.get(table).is_none())
        .map(|table| Finding {
            message: format!(
                "the table has a committed contract in {} but none in the code: removed or renamed",
                against.describe()
            ),
            table,
            column: None,
            area: Area::Compatibility,
            rule: "table_removed".into(),
            level: Level::Error,
            fix: format!(
                "register the contract again, or, if its consumers are gone, delete its folder from the lock (`{LOCK_COMMAND}` does not)"
            ),
            diff: None,
        });
    report.extend(removed);
    Ok(report)
}

fn stale_artifacts(contract: &Contract, folder: &Committed) -> Result<Vec<Finding>, LockError> {
    let mut findings = Vec::new();
    for (file, generated) in artifacts(contract)? {
        let committed = folder.read(&contract.name, file)?;
        if committed.as_deref() == Some(generated.as_str()) {
            continue;
        }
        let path = format!("{}/{}/{file}", folder.describe(), contract.name);
        let old = committed.clone().unwrap_or_default();
        let diff = TextDiff::from_lines(&old, &generated)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string();
        findings.push(Finding {
            table: contract.name.clone(),
            column: None,
            area: Area::Artifacts,
            rule: if committed.is_some() {
                "stale_artifact"
            } else {
                "missing_artifact"
            }
            .into(),
            level: Level::Error,
            message: if committed.is_some() {
                format!("{path} differs from what the contract generates")
            } else {
                format!("{path} is not committed")
            },
            fix: format!("run `{LOCK_COMMAND}` and commit the result"),
            diff: Some(diff),
        });
    }
    Ok(findings)
}

fn compatibility(contract: &Contract, against: &Committed) -> Result<Vec<Finding>, LockError> {
    let Some(text) = against.read(&contract.name, lock::CONTRACT_FILE)? else {
        return Ok(vec![Finding {
            table: contract.name.clone(),
            column: None,
            area: Area::Compatibility,
            rule: "new_table".into(),
            level: Level::Info,
            message: format!(
                "no committed contract in {}: a new table",
                against.describe()
            ),
            fix: format!("run `{LOCK_COMMAND}` and commit the result"),
            diff: None,
        }]);
    };
    let committed: Contract =
        serde_json::from_str(&text).map_err(|source| LockError::NotAContract {
            path: format!(
                "{}/{}/{}",
                against.describe(),
                contract.name,
                lock::CONTRACT_FILE
            ),
            source,
        })?;
    Ok(changes::changes(&committed, contract)
        .into_iter()
        .map(|change| Finding {
            table: contract.name.clone(),
            column: change.column,
            area: Area::Compatibility,
            level: match change.impact {
                Impact::Breaking => Level::Error,
                Impact::AllowedByMajorBump | Impact::Additive => Level::Info,
            },
            fix: match change.impact {
                Impact::Breaking => format!(
                    "revert it, or bump the major version of `{}` (now {}, committed {}) and tell its consumers",
                    contract.name, contract.version, committed.version
                ),
                Impact::AllowedByMajorBump => "allowed: the major version was bumped".into(),
                Impact::Additive => format!("nothing: additive; `{LOCK_COMMAND}` records it"),
            },
            message: match change.impact {
                Impact::AllowedByMajorBump => format!("{} (breaking, allowed by the major bump)", change.message),
                _ => change.message,
            },
            rule: change.rule,
            diff: None,
        })
        .collect())
}
