//! Promotion: staging to production, all or nothing.
//!
//! (Longer than most modules, on purpose: the protocol below, its steps, its
//! commit point and its rollback are one argument, read top to bottom; its
//! holder's identity and its lease live apart, in `holder` and `lease`.)
//!
//! A promotion takes its journal at [`IN_PROGRESS`] (a claim, before it
//! plans), then writes its plan there before it touches production. The
//! journal names everything the promotion will do: the
//! production objects it will create, each production table with the
//! backup it will take (`{table}__rollback_{run}`, a name no other
//! promotion uses), and the last-promoted pointer it will replace. Then:
//! 1. every production table that exists is backed up: the rows its load
//!    can change (the load's scope, on engines that copy rows; see
//!    [`backup`](crate::warehouse::backup)), or the whole table;
//! 2. the staging partitions are copied to production keys (objects that
//!    already exist, from an earlier promotion of the same rows, are kept);
//! 3. the production tables load the production partitions (a MERGE on the
//!    dedup key, so no row is duplicated);
//! 4. the journal is rewritten as committed: **the commit point**;
//! 5. the last-promoted pointer moves to this run;
//! 6. the journal is archived under the run, the backups are dropped, and
//!    [`IN_PROGRESS`] is deleted.
//!
//! When a step before the commit point fails, the promotion rolls back:
//! the objects it created are deleted, each table is restored from the
//! backup the journal names (or dropped if it did not exist). When the
//! process dies instead, the journal stays behind, and [`recover`] (which
//! every run calls first, and `contracts recover` runs alone) finishes the
//! job: a journal that never committed is rolled back, a committed one is
//! completed (steps 5 and 6). Either way production is
//! exactly as it was before the promotion, or exactly as the promotion
//! left it: never a mix. A backup the journal does not name is never
//! restored.
//!
//! The journal names its [`Holder`]; [`recover`] leaves a journal alone
//! while its holder may be at work: on this machine, while that very
//! process runs; seen from elsewhere, until its lease runs out. The holder
//! renews the lease while it works (`lease`), so a holder that dies is
//! recovered from within one lease period. A second promotion meanwhile
//! fails with "in progress".
//!
//! The journal has one writer at a time: a promotion takes it before it
//! plans, a recovery takes it over before it undoes, and every write after
//! that is a compare-and-swap on the version written last, so a holder
//! whose journal was taken over can neither commit nor undo: it stops, and
//! the journal's new owner finishes.

mod error;
mod holder;
mod lease;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use error::{Aftermath, PromoteError};
pub use holder::Holder;
use lease::{Lease, NotTaken};

use super::failpoint;
use super::run_id::RunId;
use crate::Contract;
use crate::sql::{TableRef, check_column};
use crate::store::layout::{PartitionKey, run_key};
use crate::store::{ObjectStore, StoreError};
use crate::warehouse::{LoadMode, MergeScope, Warehouse, backup};

/// The journal of the promotion in progress, if any.
pub const IN_PROGRESS: &str = "promotion/in-progress.json";
/// Which run production was last promoted from.
pub const LAST_PROMOTED: &str = "promotion/last-promoted.json";
/// Names the latest promotion to start: rewritten by each promotion before
/// it touches production, so a reader that finds it unchanged across its
/// read knows no promotion ran meanwhile.
pub const EPOCH: &str = "promotion/epoch.json";
/// How long a promotion's lease lasts unless renewed, by default.
pub const DEFAULT_LEASE_SECONDS: i64 = 120;

/// Every failpoint of a promotion, in the order it passes them. A crash at
/// any of them up to [`COMMIT_POINT`] (exclusive) leaves a promotion that
/// [`recover`] rolls back; from it on, one that [`recover`] completes.
pub const FAILPOINTS: &[&str] = &[
    "promote:after-claim",
    "promote:after-journal",
    "promote:after-first-backup",
    "promote:after-backups",
    "promote:after-first-copy",
    "promote:after-store-copy",
    "promote:after-first-load",
    "promote:after-warehouse-load",
    COMMIT_POINT,
    "promote:after-pointer",
    "promote:after-archive",
    "promote:after-backups-dropped",
];

/// The failpoint right after the journal says committed.
pub const COMMIT_POINT: &str = "promote:after-commit";

/// Every failpoint of a rollback, in the order it passes them.
pub const ROLLBACK_FAILPOINTS: &[&str] = &[
    "rollback:after-objects-deleted",
    "rollback:after-first-table",
    "rollback:after-tables-restored",
    "rollback:after-pointer",
    "rollback:after-archive",
    "rollback:after-backups-dropped",
];

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
    /// The promotion epoch ([`epoch`]) when the run read production (its
    /// history, its drift reference): a promotion since then makes what it
    /// read stale, and this promotion is refused.
    pub read_at: Option<Vec<u8>>,
}

/// The last promoted run and its processed partition in production.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastPromoted {
    /// The run.
    pub run_id: RunId,
    /// Its processed partition, as a production key.
    pub processed: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum State {
    /// Taken, nothing planned or touched yet.
    Claimed,
    /// Planned: production may be touched.
    Started,
    Committed,
    RolledBack,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TableState {
    table: TableRef,
    existed: bool,
    /// The backup this promotion takes of the table (named before it is
    /// taken); `None` for a table that did not exist, and in journals of
    /// earlier versions, which named none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    backup: Option<Backup>,
}

/// A backup a promotion takes of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
enum Backup {
    /// The whole table, written as the backup's name alone, as every
    /// version writes and reads it.
    Whole(TableRef),
    /// The rows within the load's scope, written as `{"scoped": …}`. A
    /// version that knows only whole backups cannot read such a journal:
    /// it refuses it as damaged and touches nothing (the promotion stays
    /// for this version to recover), rather than leave the table loaded
    /// or restore a part of it as the whole.
    Scoped {
        /// The backup and its scope.
        scoped: ScopedBackup,
    },
}

/// A backup of the rows of a table within a load's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ScopedBackup {
    table: TableRef,
    scope: MergeScope,
}

impl TableState {
    /// The backup the promotion takes of the table, and its scope (`None`:
    /// the whole table).
    fn backup(&self) -> Option<(&TableRef, Option<&MergeScope>)> {
        match self.backup.as_ref()? {
            Backup::Whole(table) => Some((table, None)),
            Backup::Scoped { scoped } => Some((&scoped.table, Some(&scoped.scope))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Journal {
    run_id: RunId,
    holder: Holder,
    /// Until when the holder holds production, unless it renews.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_until: Option<DateTime<Utc>>,
    state: State,
    /// Production objects this promotion created (deleted on rollback).
    created: Vec<String>,
    tables: Vec<TableState>,
    /// The last-promoted pointer before this promotion.
    previous: Option<LastPromoted>,
    /// The last-promoted pointer this promotion sets once committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    promotes: Option<LastPromoted>,
    /// The holders this journal was taken over from, when a recovery took
    /// it from a dead one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    taken_over_from: Vec<Holder>,
}

/// What a promotion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promoted {
    /// Production objects created.
    pub objects: Vec<String>,
    /// Production tables loaded, with their row counts after the load.
    pub tables: Vec<(String, u64)>,
    /// Why the clean-up after the commit point did not finish, if it did
    /// not (the promotion stands; the next run or `contracts recover`
    /// finishes the clean-up).
    pub cleanup_pending: Option<String>,
}

/// What [`recover`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// No promotion was interrupted.
    Nothing,
    /// A promotion is in progress and its holder may be at work: left
    /// alone.
    InProgress(RunId),
    /// An interrupted promotion that had not committed: rolled back.
    RolledBack(RunId),
    /// An interrupted promotion that had committed: completed.
    Completed(RunId),
}

/// Runs `plan` all or nothing (see the module's description), holding a
/// lease of `lease` that it renews while it works.
pub fn promote(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
    plan: &Plan<'_>,
    lease: chrono::Duration,
) -> Result<Promoted, PromoteError> {
    recover(store, warehouse, lease)?;
    std::thread::scope(|scope| {
        // The journal is taken first, and the plan made under it: no other
        // promotion can commit between the two.
        let claim = Journal {
            run_id: plan.run_id.clone(),
            holder: Holder::this_process(),
            lease_until: Some(Utc::now() + lease),
            state: State::Claimed,
            created: Vec::new(),
            tables: Vec::new(),
            previous: None,
            promotes: None,
            taken_over_from: Vec::new(),
        };
        let held = match Lease::take(scope, store, claim, None, lease) {
            Ok(held) => held,
            Err(NotTaken::Held) => return Err(PromoteError::InProgress),
            Err(NotTaken::Store(error)) => {
                return Err(PromoteError::store(format!("writing {IN_PROGRESS}"), error));
            }
        };
        failpoint("promote:after-claim")?;
        let planned = unchanged_since(store, plan)
            .and_then(|()| plan_promotion(store, warehouse, plan))
            .and_then(|(tables, copies, previous)| {
                held.update(|journal| {
                    journal.state = State::Started;
                    journal.created = copies.iter().map(|(_, target)| target.clone()).collect();
                    journal.tables = tables;
                    journal.previous = previous;
                    journal.promotes = Some(LastPromoted {
                        run_id: plan.run_id.clone(),
                        processed: plan.processed.to_string(),
                    });
                })?;
                let started = serde_json::json!({
                    "run_id": plan.run_id,
                    "token": held.journal().holder.token,
                });
                store
                    .put(EPOCH, &to_json(&started))
                    .map_err(|error| PromoteError::store(format!("writing {EPOCH}"), error))?;
                Ok(copies)
            });
        let copies = match planned {
            Ok(copies) => copies,
            // Nothing is touched yet: the journal goes, production is as
            // it was.
            Err(error) => {
                return Err(match held.release() {
                    Ok(()) => error,
                    Err(release) => PromoteError::Failed {
                        failure: Box::new(error),
                        aftermath: Aftermath::NotReleased(Box::new(release)),
                    },
                });
            }
        };
        failpoint("promote:after-journal")?;
        match apply(store, warehouse, plan, &held.journal(), &copies, &held) {
            Ok(loaded) => {
                let cleanup_pending = commit(store, warehouse, held)?;
                Ok(Promoted {
                    objects: copies.into_iter().map(|(_, target)| target).collect(),
                    tables: loaded,
                    cleanup_pending,
                })
            }
            Err(error) => Err(undo(store, warehouse, held, error)),
        }
    })
}

/// Fails when a promotion started since the run read production.
fn unchanged_since(store: &dyn ObjectStore, plan: &Plan<'_>) -> Result<(), PromoteError> {
    if epoch(store)? == plan.read_at {
        return Ok(());
    }
    Err(PromoteError::Stale(plan.run_id.clone()))
}

/// What the promotion will do: each production table with the backup it
/// will take, the parts production does not hold yet (listed once), and
/// the last-promoted pointer it replaces.
#[allow(clippy::type_complexity)]
fn plan_promotion(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
    plan: &Plan<'_>,
) -> Result<(Vec<TableState>, Vec<(String, String)>, Option<LastPromoted>), PromoteError> {
    let mut copies = Vec::new();
    let mut loaded_parts = Vec::new();
    for (from, to) in &plan.partitions {
        // What the load will read once the copies are made: every part
        // production holds in the folder, and those copied in (read here
        // from their source).
        let mut parts: Vec<String> = store
            .list(&to.folder())
            .map_err(|e| PromoteError::store(format!("listing {}", to.folder()), e))?
            .into_iter()
            .filter(|key| key.ends_with(".parquet"))
            .collect();
        for (source, target) in part_pairs(store, from, to)? {
            if !parts.contains(&target) {
                parts.push(source.clone());
                copies.push((source, target));
            }
        }
        loaded_parts.push((to, parts));
    }
    let mut tables = Vec::new();
    for (table, contract, partition) in &plan.loads {
        let existed = warehouse
            .table_exists(table)
            .map_err(|e| PromoteError::warehouse(format!("looking up {table}"), e))?;
        let mut state = TableState {
            table: table.clone(),
            existed,
            backup: None,
        };
        if existed {
            let backup = backup_of(table, &plan.run_id)?;
            let parts = loaded_parts
                .iter()
                .find(|(to, _)| *to == partition)
                .map(|(_, parts)| parts.as_slice());
            let scope = match parts {
                Some(parts) => scope_to_back_up(store, warehouse, table, contract, parts)?,
                None => None,
            };
            state.backup = Some(match scope {
                Some(scope) => Backup::Scoped {
                    scoped: ScopedBackup {
                        table: backup,
                        scope,
                    },
                },
                None => Backup::Whole(backup),
            });
        }
        tables.push(state);
    }
    Ok((tables, copies, last_promoted(store)?))
}

/// The scope within which loading `parts` into `table` can change it
/// (what the promotion backs up), or `None` for a whole backup: the
/// engine backs up whole tables, the load has no scope, or the live table
/// holds the scope's column with another type than the contract's (a
/// value the load casts could then land outside the scope).
fn scope_to_back_up(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
    table: &TableRef,
    contract: &Contract,
    parts: &[String],
) -> Result<Option<MergeScope>, PromoteError> {
    let scope = warehouse
        .load_scope(contract, store, parts, LoadMode::Append)
        .map_err(|e| PromoteError::warehouse(format!("finding where {table}'s load reaches"), e))?;
    let Some(scope) = scope else {
        return Ok(None);
    };
    let drift = warehouse
        .drift(table, contract)
        .map_err(|e| PromoteError::warehouse(format!("comparing {table} with its contract"), e))?;
    let drifted = drift
        .missing
        .iter()
        .chain(&drift.changed_type)
        .any(|change| change.column == scope.column);
    Ok((!drifted).then_some(scope))
}

/// After a failure before the commit point: rolls back, unless the lease
/// is lost (then the journal's new owner finishes, and this holder touches
/// nothing). Returns the error to report.
fn undo(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
    held: Lease<'_>,
    error: PromoteError,
) -> PromoteError {
    tracing::error!(%error, "promotion failed; rolling back");
    // Proves the journal is still ours (and renews it) before anything is
    // undone; the journal must say not committed before any undoing.
    let aftermath = match held.update(|journal| journal.state = State::Started) {
        Err(lost) => Aftermath::LeftToOwner(Box::new(lost)),
        Ok(()) => match restore(store, warehouse, &held.journal(), &held)
            .and_then(|()| close(store, warehouse, held, State::RolledBack))
        {
            Ok(()) => Aftermath::RolledBack,
            Err(rollback) => Aftermath::RollbackFailed(Box::new(rollback)),
        },
    };
    PromoteError::Failed {
        failure: Box::new(error),
        aftermath,
    }
}

/// Finishes a promotion a dead process left behind, if any: rolls it back
/// if it had not committed, completes it if it had. A promotion whose
/// holder may still be at work is left alone. The journal is taken over
/// first (a compare-and-swap on the dead holder's version), so that two
/// processes never recover one promotion together.
pub fn recover(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
    lease: chrono::Duration,
) -> Result<Recovery, PromoteError> {
    let (journal, version) = match store.get_versioned(IN_PROGRESS) {
        Ok((bytes, version)) => (parse_journal(&bytes)?, version),
        Err(StoreError::NotFound(_)) => return Ok(Recovery::Nothing),
        Err(error) => return Err(PromoteError::store(format!("reading {IN_PROGRESS}"), error)),
    };
    let run_id = journal.run_id.clone();
    if journal
        .holder
        .may_be_alive(journal.lease_until, lease, Utc::now())
    {
        tracing::info!(
            %run_id,
            pid = journal.holder.pid,
            host = %journal.holder.host,
            "a promotion is in progress; leaving it alone"
        );
        return Ok(Recovery::InProgress(run_id));
    }
    std::thread::scope(|scope| {
        let mut taken = journal.clone();
        taken.taken_over_from.push(taken.holder.clone());
        taken.holder = Holder::this_process();
        taken.lease_until = Some(Utc::now() + lease);
        let held = match Lease::take(scope, store, taken, Some(&version), lease) {
            Ok(held) => held,
            Err(NotTaken::Held) => return Ok(Recovery::InProgress(run_id)),
            Err(NotTaken::Store(error)) => {
                return Err(PromoteError::store(
                    format!("taking over {IN_PROGRESS}"),
                    error,
                ));
            }
        };
        match journal.state {
            State::Committed => {
                tracing::warn!(%run_id, "found a committed promotion not yet cleaned up; completing it");
                close(store, warehouse, held, State::Committed)?;
                Ok(Recovery::Completed(run_id))
            }
            State::Claimed => {
                // Taken, never planned: nothing was touched.
                close(store, warehouse, held, State::RolledBack)?;
                Ok(Recovery::RolledBack(run_id))
            }
            State::Started | State::RolledBack => {
                tracing::warn!(%run_id, "found an interrupted promotion; rolling it back");
                restore(store, warehouse, &held.journal(), &held)?;
                close(store, warehouse, held, State::RolledBack)?;
                Ok(Recovery::RolledBack(run_id))
            }
        }
    })
}

/// The promotion in progress or interrupted, if any, without touching it:
/// its run, and whether its holder may still be at work.
pub fn pending(
    store: &dyn ObjectStore,
    lease: chrono::Duration,
) -> Result<Option<(RunId, bool)>, PromoteError> {
    Ok(read_journal(store)?.map(|journal| {
        let alive = journal
            .holder
            .may_be_alive(journal.lease_until, lease, Utc::now());
        (journal.run_id, alive)
    }))
}

/// Which run production was last promoted from.
pub fn last_promoted(store: &dyn ObjectStore) -> Result<Option<LastPromoted>, PromoteError> {
    match store.get(LAST_PROMOTED) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|source| PromoteError::Damaged {
                    record: LAST_PROMOTED,
                    what: "readable",
                    source,
                })
        }
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(error) => Err(PromoteError::store(
            format!("reading {LAST_PROMOTED}"),
            error,
        )),
    }
}

/// The promotion epoch ([`EPOCH`]): it changes whenever a promotion
/// starts.
pub fn epoch(store: &dyn ObjectStore) -> Result<Option<Vec<u8>>, PromoteError> {
    match store.get(EPOCH) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(error) => Err(PromoteError::store(format!("reading {EPOCH}"), error)),
    }
}

fn read_journal(store: &dyn ObjectStore) -> Result<Option<Journal>, PromoteError> {
    match store.get(IN_PROGRESS) {
        Ok(bytes) => parse_journal(&bytes).map(Some),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(error) => Err(PromoteError::store(format!("reading {IN_PROGRESS}"), error)),
    }
}

fn parse_journal(bytes: &[u8]) -> Result<Journal, PromoteError> {
    serde_json::from_slice(bytes).map_err(|source| PromoteError::Damaged {
        record: IN_PROGRESS,
        what: "a promotion journal",
        source,
    })
}

/// Passes the failpoint `point` (see [`failpoint`](super::failpoint)).
fn failpoint(point: &str) -> Result<(), PromoteError> {
    failpoint::hit(point).map_err(PromoteError::Failpoint)
}

/// Steps 1 to 3: backups, objects, tables; each step only while the lease
/// holds.
fn apply(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
    plan: &Plan<'_>,
    journal: &Journal,
    copies: &[(String, String)],
    lease: &Lease<'_>,
) -> Result<Vec<(String, u64)>, PromoteError> {
    for state in &journal.tables {
        // Earlier versions named every backup `{table}__rollback`; such a
        // table is never restored now, so it only takes room.
        let legacy = state
            .table
            .sibling(&format!("{}__rollback", state.table.table))?;
        warehouse
            .drop_table(&legacy)
            .map_err(|e| PromoteError::warehouse(format!("dropping the old backup {legacy}"), e))?;
    }
    let backups = journal
        .tables
        .iter()
        .filter_map(|state| Some((&state.table, state.backup()?)));
    steps(
        lease,
        backups,
        "promote:after-first-backup",
        |(table, (backup, scope))| {
            backup::take(warehouse, table, backup, scope)
                .map_err(|e| PromoteError::warehouse(format!("backing up {table}"), e))
        },
    )?;
    failpoint("promote:after-backups")?;
    steps(
        lease,
        copies,
        "promote:after-first-copy",
        |(source, target)| {
            store
                .copy(source, target)
                .map_err(|e| PromoteError::store(format!("copying {source} to {target}"), e))
        },
    )?;
    failpoint("promote:after-store-copy")?;
    let mut loaded = Vec::new();
    steps(
        lease,
        &plan.loads,
        "promote:after-first-load",
        |(table, contract, partition)| {
            warehouse
                .ensure_dataset(&table.dataset)
                .and_then(|()| warehouse.create_table(table, contract))
                .and_then(|()| {
                    warehouse.load_partition(table, contract, store, partition, LoadMode::Append)
                })
                .map(|outcome| loaded.push((table.to_string(), outcome.table_rows)))
                .map_err(|e| PromoteError::warehouse(format!("loading {table}"), e))
        },
    )?;
    failpoint("promote:after-warehouse-load")?;
    lease.check()?;
    Ok(loaded)
}

/// Runs `step` on each of `items`, each only while the lease holds, with
/// the failpoint `after_first` after the first.
fn steps<T>(
    lease: &Lease<'_>,
    items: impl IntoIterator<Item = T>,
    after_first: &str,
    mut step: impl FnMut(T) -> Result<(), PromoteError>,
) -> Result<(), PromoteError> {
    for (index, item) in items.into_iter().enumerate() {
        lease.check()?;
        step(item)?;
        if index == 0 {
            failpoint(after_first)?;
        }
    }
    Ok(())
}

/// Steps 4 to 6: the commit point, then the pointer and the clean-up. The
/// commit point is the journal's write as committed: a compare-and-swap,
/// so a holder that lost its lease can never commit, and nothing visible
/// to readers of the pointer moves before it. Once committed, the
/// promotion stands: a clean-up that fails is reported, not undone.
fn commit(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
    held: Lease<'_>,
) -> Result<Option<String>, PromoteError> {
    let committed = held
        .check()
        .and_then(|()| held.update(|journal| journal.state = State::Committed));
    if let Err(error) = committed {
        // Not committed, or not known to be: undone, by this holder if the
        // journal is still its own, else by the journal's new owner.
        return Err(undo(store, warehouse, held, error));
    }
    let closed =
        failpoint(COMMIT_POINT).and_then(|()| close(store, warehouse, held, State::Committed));
    Ok(closed.err().map(|error| {
        format!(
            "its clean-up is pending ({error}): the next run or `contracts recover` completes it"
        )
    }))
}

/// Undoes what a promotion may have done before its commit point, from
/// its journal alone; safe to run again after a crash half-way.
fn restore(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
    journal: &Journal,
    held: &Lease<'_>,
) -> Result<(), PromoteError> {
    held.check()?;
    for key in &journal.created {
        match store.delete(key) {
            Ok(()) | Err(StoreError::NotFound(_)) => {}
            Err(error) => return Err(PromoteError::store(format!("deleting {key}"), error)),
        }
    }
    failpoint("rollback:after-objects-deleted")?;
    for (index, state) in journal.tables.iter().enumerate() {
        held.check()?;
        let table = checked(&state.table)?;
        match state.backup() {
            _ if !state.existed => warehouse
                .drop_table(&table)
                .map_err(|e| PromoteError::warehouse(format!("dropping {table}"), e))?,
            Some((backup, scope)) => {
                let backup = checked(backup)?;
                if let Some(scope) = scope {
                    check_column(&scope.column)?;
                }
                // Backups are taken before anything else: a named backup
                // that was never taken means the table was never touched.
                let taken = warehouse
                    .table_exists(&backup)
                    .map_err(|e| PromoteError::warehouse(format!("looking up {backup}"), e))?;
                if taken {
                    backup::restore(warehouse, &backup, &table, scope)
                        .map_err(|e| PromoteError::warehouse(format!("restoring {table}"), e))?;
                }
            }
            None => tracing::warn!(
                %table,
                run_id = %journal.run_id,
                "the journal (written by an earlier version) names no backup of this table; it is left as it is"
            ),
        }
        if index == 0 {
            failpoint("rollback:after-first-table")?;
        }
    }
    failpoint("rollback:after-tables-restored")?;
    held.check()?;
    // The pointer moves after the commit point: only a promotion of an
    // earlier version moved it before, and only then is it put back.
    if last_promoted(store)?.is_some_and(|pointer| pointer.run_id == journal.run_id) {
        match &journal.previous {
            Some(previous) => store.put(LAST_PROMOTED, &to_json(previous)),
            None => match store.delete(LAST_PROMOTED) {
                Err(StoreError::NotFound(_)) => Ok(()),
                other => other,
            },
        }
        .map_err(|e| PromoteError::store(format!("restoring {LAST_PROMOTED}"), e))?;
    }
    failpoint("rollback:after-pointer")
}

/// The end of a promotion, committed or rolled back: the last-promoted
/// pointer moved (when committed), the journal archived under its run, the
/// backups dropped, [`IN_PROGRESS`] deleted (by the lease, if it is still
/// this holder's). Safe to run again after a crash half-way.
fn close(
    store: &dyn ObjectStore,
    warehouse: &dyn Warehouse,
    held: Lease<'_>,
    state: State,
) -> Result<(), PromoteError> {
    let mut journal = held.journal();
    journal.state = state;
    if let (State::Committed, Some(pointer)) = (state, &journal.promotes) {
        held.check()?;
        store
            .put(LAST_PROMOTED, &to_json(pointer))
            .map_err(|e| PromoteError::store(format!("writing {LAST_PROMOTED}"), e))?;
        failpoint("promote:after-pointer")?;
    }
    let key = run_key(journal.run_id.as_str(), "promotion.json")?;
    store
        .put(&key, &to_json(&journal))
        .map_err(|e| PromoteError::store(format!("archiving the journal at {key}"), e))?;
    failpoint(match state {
        State::Committed => "promote:after-archive",
        _ => "rollback:after-archive",
    })?;
    for (backup, _) in journal.tables.iter().filter_map(TableState::backup) {
        held.check()?;
        warehouse
            .drop_table(&checked(backup)?)
            .map_err(|e| PromoteError::warehouse(format!("dropping the backup {backup}"), e))?;
    }
    failpoint(match state {
        State::Committed => "promote:after-backups-dropped",
        _ => "rollback:after-backups-dropped",
    })?;
    held.release()
}

/// Each part of the staging partition `from` and its production key.
fn part_pairs(
    store: &dyn ObjectStore,
    from: &PartitionKey,
    to: &PartitionKey,
) -> Result<Vec<(String, String)>, PromoteError> {
    let parts = crate::warehouse::partition_parts(store, from)
        .map_err(|e| PromoteError::warehouse(format!("listing the parts of {from}"), e))?;
    Ok(parts
        .into_iter()
        .map(|source| {
            let file = source.rsplit('/').next().unwrap_or(&source).to_string();
            (source, format!("{}{file}", to.folder()))
        })
        .collect())
}

/// The backup `run` takes of `table`: `{table}__rollback_{run}`, the run id
/// in lowercase with `_` for `-`.
fn backup_of(table: &TableRef, run: &RunId) -> Result<TableRef, PromoteError> {
    let run = run.as_str().to_ascii_lowercase().replace('-', "_");
    Ok(table.sibling(&format!("{}__rollback_{run}", table.table))?)
}

/// A table read back from a journal, validated again before it enters SQL.
fn checked(table: &TableRef) -> Result<TableRef, PromoteError> {
    let valid = TableRef::new(&table.dataset, &table.table)?;
    Ok(match &table.project {
        Some(project) => valid.in_project(project)?,
        None => valid,
    })
}

fn to_json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec_pretty(value).expect("journals are plain data")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warehouse::ScopeBounds;

    /// A table's state as versions before scoped backups read it.
    #[derive(Debug, Deserialize)]
    struct Earlier {
        #[allow(dead_code)]
        table: TableRef,
        #[allow(dead_code)]
        existed: bool,
        #[serde(default)]
        backup: Option<TableRef>,
    }

    #[test]
    fn a_version_that_knows_only_whole_backups_cannot_read_a_scoped_one() {
        let table = TableRef::new("production", "klines").unwrap();
        let backup = table.sibling("klines__rollback_r1").unwrap();
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        let scoped = TableState {
            table: table.clone(),
            existed: true,
            backup: Some(Backup::Scoped {
                scoped: ScopedBackup {
                    table: backup.clone(),
                    scope: MergeScope {
                        column: "open_time".into(),
                        bounds: Some(ScopeBounds::Timestamp {
                            from: at("2024-03-01T00:00:00Z"),
                            until: at("2024-03-02T00:00:00Z"),
                        }),
                    },
                },
            }),
        };
        let json = serde_json::to_value(&scoped).unwrap();
        // An earlier version refuses the journal (damaged) and touches
        // nothing; this one reads it back as written.
        assert!(
            serde_json::from_value::<Earlier>(json.clone()).is_err(),
            "{json}"
        );
        assert_eq!(serde_json::from_value::<TableState>(json).unwrap(), scoped);
        // A whole backup reads the same in both.
        let whole = TableState {
            backup: Some(Backup::Whole(backup.clone())),
            ..scoped
        };
        let json = serde_json::to_value(&whole).unwrap();
        let earlier: Earlier = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(earlier.backup, Some(backup));
        assert_eq!(serde_json::from_value::<TableState>(json).unwrap(), whole);
    }

    #[cfg(feature = "duckdb")]
    #[test]
    fn a_table_whose_scope_column_drifted_is_backed_up_whole() {
        use crate::sql::{Dialect, Query};
        use crate::store::LocalStore;
        use crate::warehouse::DuckDbWarehouse;
        use crate::{DedupKey, Field, LogicalType, Mode, Partitioning, Severity, TimeGranularity};
        use polars::prelude::*;

        let contract = Contract {
            dedup_key: Some(DedupKey {
                columns: vec!["id".into(), "seen".into()],
                severity: Severity::Error,
            }),
            partitioning: Some(Partitioning::Time {
                column: "seen".into(),
                granularity: TimeGranularity::Day,
            }),
            ..Contract::new(
                "events",
                vec![
                    Field::new("id", LogicalType::Int64, Mode::Required),
                    Field::new("seen", LogicalType::Timestamp, Mode::Required),
                ],
            )
        };
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path()).unwrap();
        let mut rows = df!(
            "id" => [1i64, 2],
            "seen" => [1_709_287_200_000_000i64, 1_709_290_800_000_000],
        )
        .unwrap()
        .lazy()
        .with_column(col("seen").cast(DataType::Datetime(
            TimeUnit::Microseconds,
            Some(TimeZone::UTC),
        )))
        .collect()
        .unwrap();
        let file = std::fs::File::create(dir.path().join("part-0.parquet")).unwrap();
        ParquetWriter::new(file).finish(&mut rows).unwrap();
        let parts = ["part-0.parquet".to_string()];
        let warehouse = DuckDbWarehouse::in_memory().unwrap();
        warehouse.ensure_dataset("production").unwrap();
        let table = TableRef::new("production", "events").unwrap();
        warehouse.create_table(&table, &contract).unwrap();
        let scope = scope_to_back_up(&store, &warehouse, &table, &contract, &parts).unwrap();
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        assert_eq!(
            scope,
            Some(MergeScope {
                column: "seen".into(),
                bounds: Some(ScopeBounds::Timestamp {
                    from: at("2024-03-01T00:00:00Z"),
                    until: at("2024-03-02T00:00:00Z"),
                }),
            })
        );
        // The live column is a DATE: a loaded time would land at midnight,
        // maybe outside the scope, so the table is backed up whole.
        let drifted = TableRef::new("production", "drifted").unwrap();
        let mut query = Query::new(Dialect::DuckDb);
        query.sql = "CREATE TABLE production.drifted (id BIGINT NOT NULL, seen DATE NOT NULL, \
                     created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL)"
            .into();
        warehouse.execute(&query).unwrap();
        let scope = scope_to_back_up(&store, &warehouse, &drifted, &contract, &parts).unwrap();
        assert_eq!(scope, None);
    }
}
