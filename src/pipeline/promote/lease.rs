//! The promotion's lease, and the one writer of its journal.
//!
//! A promotion (or a recovery) takes the journal: it writes it with itself
//! as holder and a lease end, and from then on every write of the journal
//! is a compare-and-swap on the version it last wrote
//! ([`ObjectStore::put_if`]), made here, one at a time: the renewal a
//! second thread makes every quarter lease while the work goes on, and the
//! promotion's own updates (its plan, its commit). A write that finds
//! another version, or no journal, means another process has taken the
//! journal over (the lease had run out): the lease is lost, and this holder
//! writes nothing more, to the journal or to production, and undoes
//! nothing. A holder that merely fails to renew stops before another
//! process may take over: [`Lease::check`] fails once less than a quarter
//! of the lease is left.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{Scope, ScopedJoinHandle};

use chrono::Utc;

use super::{IN_PROGRESS, Journal, PromoteError, to_json};
use crate::store::{ObjectStore, StoreError, Version};

/// What the renewing thread and the work share.
struct State {
    /// The journal as last written.
    journal: Journal,
    /// Its version in the store.
    version: Version,
    /// Whether another process took the journal over.
    lost: bool,
    /// Set when the work is done with the lease.
    stopped: bool,
}

/// A journal held under a lease, renewed by a scoped thread until
/// [`Lease::release`].
pub struct Lease<'scope> {
    shared: Arc<(Mutex<State>, Condvar)>,
    store: &'scope dyn ObjectStore,
    duration: chrono::Duration,
    renewer: Option<ScopedJoinHandle<'scope, ()>>,
}

/// Why the journal could not be taken.
pub enum NotTaken {
    /// Another process holds it, or took it first.
    Held,
    /// The store failed.
    Store(StoreError),
}

impl<'scope> Lease<'scope> {
    /// Takes the journal: writes `journal` (its holder and lease end as
    /// given) where none is (`expected` = `None`, a new promotion) or over
    /// the version `expected` (a dead holder's, taken over), then renews it
    /// every quarter of `duration`.
    pub fn take<'env>(
        scope: &'scope Scope<'scope, 'env>,
        store: &'env dyn ObjectStore,
        journal: Journal,
        expected: Option<&Version>,
        duration: chrono::Duration,
    ) -> Result<Self, NotTaken>
    where
        'env: 'scope,
    {
        let version = match store.put_if(IN_PROGRESS, &to_json(&journal), expected) {
            Ok(version) => version,
            Err(
                StoreError::AlreadyExists(_) | StoreError::Changed(_) | StoreError::NotFound(_),
            ) => {
                return Err(NotTaken::Held);
            }
            Err(error) => return Err(NotTaken::Store(error)),
        };
        let shared = Arc::new((
            Mutex::new(State {
                journal,
                version,
                lost: false,
                stopped: false,
            }),
            Condvar::new(),
        ));
        let renewing = Arc::clone(&shared);
        let renewer = scope.spawn(move || renew(store, duration, &renewing));
        Ok(Lease {
            shared,
            store,
            duration,
            renewer: Some(renewer),
        })
    }

    /// Fails when the work must not take another step: the lease is lost,
    /// or about to run out unrenewed.
    pub fn check(&self) -> Result<(), PromoteError> {
        let state = lock(&self.shared.0);
        if state.lost {
            return Err(PromoteError::LeaseLost);
        }
        let held_until = state.journal.lease_until.unwrap_or_else(Utc::now);
        if Utc::now() + self.duration / 4 > held_until {
            return Err(PromoteError::LeaseEnding(held_until));
        }
        Ok(())
    }

    /// The journal as last written.
    pub fn journal(&self) -> Journal {
        lock(&self.shared.0).journal.clone()
    }

    /// Changes the journal and writes it, with a fresh lease end; fails
    /// (and the lease is lost) when another process has taken it over.
    pub fn update(&self, change: impl FnOnce(&mut Journal)) -> Result<(), PromoteError> {
        let mut state = lock(&self.shared.0);
        let mut journal = state.journal.clone();
        change(&mut journal);
        write(self.store, &mut state, journal, self.duration)
    }

    /// Stops renewing and deletes the journal: the end of the promotion.
    /// The journal is already archived; when another process has taken it
    /// over meanwhile, that process ends it.
    pub fn release(mut self) -> Result<(), PromoteError> {
        self.halt();
        let state = lock(&self.shared.0);
        if state.lost {
            return Ok(());
        }
        match self.store.delete_if(IN_PROGRESS, &state.version) {
            Ok(()) | Err(StoreError::NotFound(_)) => Ok(()),
            Err(StoreError::Changed(_)) => {
                tracing::warn!(
                    "the finished promotion's journal was taken over; its new owner ends it"
                );
                Ok(())
            }
            Err(error) => Err(PromoteError::store(
                format!("deleting {IN_PROGRESS}"),
                error,
            )),
        }
    }

    fn halt(&mut self) {
        lock(&self.shared.0).stopped = true;
        self.shared.1.notify_all();
        if let Some(renewer) = self.renewer.take() {
            let _ = renewer.join();
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.halt();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes `journal` over the version `state` holds, with a lease end
/// `duration` from now; a store that finds another version (or none) means
/// the lease is lost.
fn write(
    store: &dyn ObjectStore,
    state: &mut State,
    mut journal: Journal,
    duration: chrono::Duration,
) -> Result<(), PromoteError> {
    if state.lost {
        return Err(PromoteError::LeaseLost);
    }
    journal.lease_until = Some(Utc::now() + duration);
    let bytes = to_json(&journal);
    match store.put_if(IN_PROGRESS, &bytes, Some(&state.version)) {
        Ok(version) => {
            state.version = version;
            state.journal = journal;
            Ok(())
        }
        // The outcome is unknown (the store failed after its retries): if
        // the write landed after all, it is ours, and its version is kept.
        Err(error @ (StoreError::Remote { .. } | StoreError::Io { .. })) => {
            match store.get_versioned(IN_PROGRESS) {
                Ok((now, version)) if now == bytes => {
                    state.version = version;
                    state.journal = journal;
                    Ok(())
                }
                _ => Err(PromoteError::store(format!("writing {IN_PROGRESS}"), error)),
            }
        }
        Err(StoreError::Changed(_) | StoreError::NotFound(_)) => {
            state.lost = true;
            Err(PromoteError::LeaseLost)
        }
        Err(error) => Err(PromoteError::store(format!("writing {IN_PROGRESS}"), error)),
    }
}

/// The renewing thread: every quarter lease, writes the journal again with
/// a lease end one lease from now.
fn renew(store: &dyn ObjectStore, duration: chrono::Duration, shared: &(Mutex<State>, Condvar)) {
    let period = (duration / 4)
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(1));
    let mut state = lock(&shared.0);
    loop {
        // A full period, whatever wakes the wait early (a signal, say).
        let due = std::time::Instant::now() + period;
        while !state.stopped && std::time::Instant::now() < due {
            let left = due.saturating_duration_since(std::time::Instant::now());
            state = shared
                .1
                .wait_timeout(state, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        if state.stopped || state.lost {
            return;
        }
        let journal = state.journal.clone();
        if let Err(error) = write(store, &mut state, journal, duration) {
            // Logged without the lock held: the work may be waiting on it.
            drop(state);
            tracing::warn!(%error, "could not renew the promotion lease");
            state = lock(&shared.0);
        }
    }
}
