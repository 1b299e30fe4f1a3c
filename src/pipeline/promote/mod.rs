//! Promotion: staging to production, all or nothing.
//!
//! A promotion is journaled at [`IN_PROGRESS`] before it touches
//! production:
//! 1. every production table it will load is backed up (a copy beside it,
//!    `{table}__rollback`), or recorded as absent;
//! 2. the staging partitions are copied to production keys (objects that
//!    already exist, from an earlier promotion of the same rows, are kept);
//! 3. the production tables load the production partitions (a MERGE on the
//!    dedup key, so no row is duplicated);
//! 4. the last-promoted pointer moves to this run, the journal is archived
//!    under the run, and [`IN_PROGRESS`] is deleted: that deletion is the
//!    commit.
//!
//! When a step fails, the promotion rolls back: the objects it created
//! are deleted, each table is restored from its backup (or dropped if it
//! did not exist), the pointer is restored. When the process dies instead,
//! the journal stays behind, and [`recover`] (which every run and every
//! query calls first) rolls back the same way. Production is then exactly
//! as it was before the promotion.
//!
//! The journal names its holder (host and process id). [`recover`] leaves
//! a journal alone while its holder lives: a process on this host that is
//! still running, or, for another host, for [`LEASE_HOURS`] after it
//! started. A second promotion meanwhile fails with "in progress".

use serde::{Deserialize, Serialize};

use super::run_id::RunId;
use crate::Contract;
use crate::sql::TableRef;
use crate::store::layout::{PartitionKey, run_key};
use crate::store::{ObjectStore, StoreError};
use crate::warehouse::{LoadMode, Warehouse};

/// The journal of the promotion in progress, if any.
pub const IN_PROGRESS: &str = "promotion/in-progress.json";
/// Which run production was last promoted from.
pub const LAST_PROMOTED: &str = "promotion/last-promoted.json";
/// The environment variable that injects a failure (or a pause) at a named
/// point of the promotion, for tests: `promote:after-store-copy`, with
/// `:pause` appended to wait there for a minute instead.
pub const FAILPOINT_VARIABLE: &str = "DATACONTRACT_FAILPOINT";
/// How long a promotion journal written on another host counts as live.
pub const LEASE_HOURS: i64 = 6;

/// What a promotion copies and loads.
pub struct Plan<'a> {
    /// The run being promoted.
    pub run_id: RunId,
    /// Staging partitions and the production partitions they become.
    pub partitions: Vec<(PartitionKey, PartitionKey)>,
    /// Production tables, each with its contract and the production
    /// partition it loads.
    pub loads: Vec<(TableRef, &'a Contract, PartitionKey)>,
    /// The production partition of the processed table (for drift).
    pub processed: PartitionKey,
}

/// The last promoted run and its processed partition in production.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastPromoted {
    /// The run.
    pub run_id: RunId,
    /// Its processed partition, as a production key.
    pub processed: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum State {
    Started,
    Committed,
    RolledBack,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TableState {
    table: TableRef,
    existed: bool,
}

/// The process that holds a promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Holder {
    host: String,
    pid: u32,
    started_at: chrono::DateTime<chrono::Utc>,
}

impl Holder {
    fn this_process() -> Self {
        Holder {
            host: host_name(),
            pid: std::process::id(),
            started_at: chrono::Utc::now(),
        }
    }

    /// Whether the holder may still be promoting.
    fn may_be_alive(&self) -> bool {
        if self.host == host_name() {
            std::path::Path::new(&format!("/proc/{}", self.pid)).exists()
        } else {
            chrono::Utc::now() < self.started_at + chrono::Duration::hours(LEASE_HOURS)
        }
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Journal {
    run_id: RunId,
    holder: Holder,
    state: State,
    /// Production objects this promotion created (deleted on rollback).
    created: Vec<String>,
    tables: Vec<TableState>,
    /// The last-promoted pointer before this promotion.
    previous: Option<LastPromoted>,
}

/// What a promotion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promoted {
    /// Production objects created.
    pub objects: Vec<String>,
    /// Production tables loaded, with their row counts after the load.
    pub tables: Vec<(String, u64)>,
}

/// Runs `plan` all or nothing (see the module's description).
pub fn promote(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
    plan: &Plan<'_>,
) -> Result<Promoted, String> {
    recover(store, warehouse)?;
    let mut tables = Vec::new();
    for (table, _, _) in &plan.loads {
        tables.push(TableState {
            table: table.clone(),
            existed: warehouse.table_exists(table).map_err(|e| e.to_string())?,
        });
    }
    let mut journal = Journal {
        run_id: plan.run_id.clone(),
        holder: Holder::this_process(),
        state: State::Started,
        created: Vec::new(),
        tables,
        previous: last_promoted(store)?,
    };
    // The parts production does not hold yet: listed once, journaled, then
    // copied.
    let mut copies = Vec::new();
    for (from, to) in &plan.partitions {
        for (source, target) in part_pairs(store, from, to)? {
            if !store.exists(&target).map_err(|e| e.to_string())? {
                copies.push((source, target));
            }
        }
    }
    journal.created = copies.iter().map(|(_, target)| target.clone()).collect();
    write_journal(store, &journal)?;
    match apply(store, warehouse, plan, &journal, &copies) {
        Ok(loaded) => {
            commit(store, warehouse, plan, journal.clone())?;
            Ok(Promoted {
                objects: journal.created,
                tables: loaded,
            })
        }
        Err(error) => {
            tracing::error!(%error, run_id = %plan.run_id, "promotion failed; rolling back");
            roll_back(store, warehouse, journal)
                .map_err(|rollback| format!("{error}; and the rollback failed too: {rollback}"))?;
            Err(format!(
                "{error} (production was rolled back and is unchanged)"
            ))
        }
    }
}

/// Rolls back a promotion a dead process left half done, if any; returns
/// its run. A promotion whose holder may still be running is left alone.
pub fn recover(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
) -> Result<Option<RunId>, String> {
    let journal = match store.get(IN_PROGRESS) {
        Ok(bytes) => serde_json::from_slice::<Journal>(&bytes)
            .map_err(|error| format!("{IN_PROGRESS} is not a promotion journal: {error}"))?,
        Err(StoreError::NotFound(_)) => return Ok(None),
        Err(error) => return Err(error.to_string()),
    };
    if journal.holder.may_be_alive() {
        tracing::info!(
            run_id = %journal.run_id,
            pid = journal.holder.pid,
            host = %journal.holder.host,
            "a promotion is in progress; leaving it alone"
        );
        return Ok(None);
    }
    let run_id = journal.run_id.clone();
    tracing::warn!(%run_id, "found an interrupted promotion; rolling it back");
    roll_back(store, warehouse, journal)?;
    Ok(Some(run_id))
}

/// Which run production was last promoted from.
pub fn last_promoted(store: &dyn ObjectStore) -> Result<Option<LastPromoted>, String> {
    match store.get(LAST_PROMOTED) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|error| format!("{LAST_PROMOTED} is not readable: {error}")),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(error) => Err(error.to_string()),
    }
}

fn apply(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
    plan: &Plan<'_>,
    journal: &Journal,
    copies: &[(String, String)],
) -> Result<Vec<(String, u64)>, String> {
    // A rollback copy left by an earlier promotion (whose cleanup failed)
    // must never be restored by this one.
    for state in &journal.tables {
        warehouse
            .drop_table(&backup_of(&state.table)?)
            .map_err(|e| e.to_string())?;
    }
    for state in journal.tables.iter().filter(|state| state.existed) {
        warehouse
            .copy_table(&state.table, &backup_of(&state.table)?)
            .map_err(|e| format!("backing up {}: {e}", state.table))?;
    }
    for (source, target) in copies {
        store
            .copy(source, target)
            .map_err(|e| format!("copying {source} to {target}: {e}"))?;
    }
    failpoint("promote:after-store-copy")?;
    let mut loaded = Vec::new();
    for (table, contract, partition) in &plan.loads {
        warehouse
            .ensure_dataset(&table.dataset)
            .and_then(|()| warehouse.create_table(table, contract))
            .and_then(|()| {
                warehouse.load_partition(table, contract, store, partition, LoadMode::Append)
            })
            .map(|outcome| loaded.push((table.to_string(), outcome.table_rows)))
            .map_err(|e| format!("loading {table}: {e}"))?;
    }
    failpoint("promote:after-warehouse-load")?;
    Ok(loaded)
}

fn commit(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
    plan: &Plan<'_>,
    mut journal: Journal,
) -> Result<(), String> {
    let pointer = LastPromoted {
        run_id: plan.run_id.clone(),
        processed: plan.processed.to_string(),
    };
    store
        .put(LAST_PROMOTED, &to_json(&pointer))
        .map_err(|e| e.to_string())?;
    journal.state = State::Committed;
    archive(store, &journal)?;
    store.delete(IN_PROGRESS).map_err(|e| e.to_string())?;
    for state in journal.tables.iter().filter(|state| state.existed) {
        if let Err(error) = warehouse.drop_table(&backup_of(&state.table)?) {
            tracing::warn!(%error, table = %state.table, "could not drop the rollback copy");
        }
    }
    Ok(())
}

fn roll_back(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
    mut journal: Journal,
) -> Result<(), String> {
    for key in &journal.created {
        match store.delete(key) {
            Ok(()) | Err(StoreError::NotFound(_)) => {}
            Err(error) => return Err(format!("deleting {key}: {error}")),
        }
    }
    for state in &journal.tables {
        let table = checked(&state.table)?;
        let backup = backup_of(&table)?;
        if !state.existed {
            warehouse.drop_table(&table).map_err(|e| e.to_string())?;
        } else if warehouse.table_exists(&backup).map_err(|e| e.to_string())? {
            warehouse
                .copy_table(&backup, &table)
                .map_err(|e| format!("restoring {table}: {e}"))?;
            warehouse.drop_table(&backup).map_err(|e| e.to_string())?;
        }
        // An existing table without a backup was never touched: the
        // backups are taken before anything else.
    }
    match &journal.previous {
        Some(previous) => store.put(LAST_PROMOTED, &to_json(previous)),
        None => match store.delete(LAST_PROMOTED) {
            Err(StoreError::NotFound(_)) => Ok(()),
            other => other,
        },
    }
    .map_err(|e| e.to_string())?;
    journal.state = State::RolledBack;
    archive(store, &journal)?;
    store.delete(IN_PROGRESS).map_err(|e| e.to_string())?;
    Ok(())
}

/// Each part of the staging partition `from` and its production key.
fn part_pairs(
    store: &dyn ObjectStore,
    from: &PartitionKey,
    to: &PartitionKey,
) -> Result<Vec<(String, String)>, String> {
    let parts = crate::warehouse::partition_parts(store, from).map_err(|e| e.to_string())?;
    Ok(parts
        .into_iter()
        .map(|source| {
            let file = source.rsplit('/').next().unwrap_or(&source).to_string();
            (source, format!("{}{file}", to.folder()))
        })
        .collect())
}

fn write_journal(store: &dyn ObjectStore, journal: &Journal) -> Result<(), String> {
    store
        .put_new(IN_PROGRESS, &to_json(journal))
        .map_err(|error| match error {
            StoreError::AlreadyExists(_) => {
                "another promotion is in progress (promotion/in-progress.json exists)".to_string()
            }
            other => other.to_string(),
        })
}

fn archive(store: &dyn ObjectStore, journal: &Journal) -> Result<(), String> {
    let key = run_key(journal.run_id.as_str(), "promotion.json").map_err(|e| e.to_string())?;
    store
        .put(&key, &to_json(journal))
        .map_err(|e| e.to_string())
}

fn backup_of(table: &TableRef) -> Result<TableRef, String> {
    table
        .sibling(&format!("{}__rollback", table.table))
        .map_err(|e| e.to_string())
}

/// A table read back from a journal, validated again before it enters SQL.
fn checked(table: &TableRef) -> Result<TableRef, String> {
    let valid = TableRef::new(&table.dataset, &table.table).map_err(|e| e.to_string())?;
    match &table.project {
        Some(project) => valid.in_project(project).map_err(|e| e.to_string()),
        None => Ok(valid),
    }
}

fn to_json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec_pretty(value).expect("journals are plain data")
}

/// Fails (or, with `:pause`, waits a minute) when [`FAILPOINT_VARIABLE`]
/// names `point`.
fn failpoint(point: &str) -> Result<(), String> {
    let Ok(wanted) = std::env::var(FAILPOINT_VARIABLE) else {
        return Ok(());
    };
    match wanted.strip_prefix(point) {
        Some("") => Err(format!("injected failure at {point}")),
        Some(":pause") => {
            eprintln!("failpoint {point}: pausing");
            std::thread::sleep(std::time::Duration::from_secs(60));
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_lives_while_its_process_does_or_within_the_lease() {
        let mut holder = Holder::this_process();
        assert!(holder.may_be_alive());
        let mut child = std::process::Command::new("true").spawn().unwrap();
        holder.pid = child.id();
        child.wait().unwrap();
        assert!(!holder.may_be_alive(), "a reaped process is dead");
        holder.host = "another-host".into();
        assert!(
            holder.may_be_alive(),
            "another host's promotion is live within the lease"
        );
        holder.started_at -= chrono::Duration::hours(LEASE_HOURS + 1);
        assert!(!holder.may_be_alive());
    }
}
