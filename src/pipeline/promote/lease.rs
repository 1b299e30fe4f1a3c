//! The promotion's lease: while a promotion works, a thread renews the
//! time its journal says it holds production until, so that a holder that
//! dies is known dead within one lease period, and a live one never is.
//!
//! Before each renewal the thread reads the journal back: if it is gone,
//! or another promotion's, the lease is lost. Before each step, the
//! promotion asks [`Lease::check`]; it stops (and rolls back) when the
//! lease is lost, or when renewals have failed for so long that less than
//! a quarter of the lease is left, well before another process may take
//! over.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{Scope, ScopedJoinHandle};

use chrono::{DateTime, Utc};

use super::{IN_PROGRESS, Journal, to_json};
use crate::store::ObjectStore;

/// What the renewing thread and the promotion share.
struct State {
    /// The end of the lease as last written to the journal.
    held_until: DateTime<Utc>,
    /// Why the lease is lost, once it is.
    lost: Option<String>,
    /// Set when the promotion is done with the lease.
    stopped: bool,
}

/// A lease being renewed by a scoped thread until [`Lease::stop`].
pub struct Lease<'scope> {
    shared: Arc<(Mutex<State>, Condvar)>,
    duration: chrono::Duration,
    renewer: Option<ScopedJoinHandle<'scope, ()>>,
}

impl<'scope> Lease<'scope> {
    /// Starts renewing `journal`'s lease (already written, holding until
    /// `journal.lease_until`) every quarter of `duration`.
    pub fn start<'env>(
        scope: &'scope Scope<'scope, 'env>,
        store: &'env dyn ObjectStore,
        journal: Journal,
        duration: chrono::Duration,
    ) -> Self {
        let held_until = journal.lease_until.unwrap_or_else(Utc::now);
        let shared = Arc::new((
            Mutex::new(State {
                held_until,
                lost: None,
                stopped: false,
            }),
            Condvar::new(),
        ));
        let renewing = Arc::clone(&shared);
        let renewer = scope.spawn(move || renew(store, journal, duration, &renewing));
        Lease {
            shared,
            duration,
            renewer: Some(renewer),
        }
    }

    /// Fails when the promotion must not take another step: the lease is
    /// lost, or about to run out unrenewed.
    pub fn check(&self) -> Result<(), String> {
        let state = lock(&self.shared.0);
        if let Some(lost) = &state.lost {
            return Err(format!("the promotion lost its lease: {lost}"));
        }
        if Utc::now() + self.duration / 4 > state.held_until {
            return Err(format!(
                "the promotion could not renew its lease (it ends at {}); stopping before another process may take over",
                state.held_until
            ));
        }
        Ok(())
    }

    /// Stops renewing, and waits for the renewing thread to finish: after
    /// this, nothing but the promotion itself writes the journal.
    pub fn stop(mut self) {
        self.halt();
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

/// The renewing thread: every quarter lease, checks the journal is still
/// this promotion's and moves its lease end forward.
fn renew(
    store: &dyn ObjectStore,
    mut journal: Journal,
    duration: chrono::Duration,
    shared: &(Mutex<State>, Condvar),
) {
    let period = (duration / 4)
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(1));
    let mut state = lock(&shared.0);
    loop {
        state = shared
            .1
            .wait_timeout(state, period)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0;
        if state.stopped || state.lost.is_some() {
            return;
        }
        drop(state);
        let renewal = renew_once(store, &mut journal, duration);
        state = lock(&shared.0);
        match renewal {
            Ok(until) => state.held_until = until,
            Err(Renewal::Lost(why)) => state.lost = Some(why),
            Err(Renewal::Failed(why)) => {
                tracing::warn!(error = %why, "could not renew the promotion lease; trying again")
            }
        }
    }
}

enum Renewal {
    /// The journal is gone or another promotion's.
    Lost(String),
    /// The store failed; the next period tries again.
    Failed(String),
}

fn renew_once(
    store: &dyn ObjectStore,
    journal: &mut Journal,
    duration: chrono::Duration,
) -> Result<DateTime<Utc>, Renewal> {
    let current = match store.get(IN_PROGRESS) {
        Ok(bytes) => serde_json::from_slice::<Journal>(&bytes)
            .map_err(|error| Renewal::Lost(format!("{IN_PROGRESS} is unreadable: {error}")))?,
        Err(crate::store::StoreError::NotFound(_)) => {
            return Err(Renewal::Lost(format!("{IN_PROGRESS} was removed")));
        }
        Err(error) => return Err(Renewal::Failed(error.to_string())),
    };
    if current.holder.token != journal.holder.token {
        return Err(Renewal::Lost(format!(
            "{IN_PROGRESS} now belongs to run {}",
            current.run_id
        )));
    }
    let until = Utc::now() + duration;
    journal.lease_until = Some(until);
    store
        .put(IN_PROGRESS, &to_json(journal))
        .map_err(|error| Renewal::Failed(error.to_string()))?;
    Ok(until)
}
