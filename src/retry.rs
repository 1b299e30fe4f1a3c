//! Retries with jittered exponential backoff, bounded, each one logged:
//! the object stores and the BigQuery warehouse share one policy type.

use std::fmt::Display;
use std::time::Duration;

/// How often and how long to retry a transient failure (HTTP 429, 5xx,
/// timeouts and dropped connections).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The wait before the first retry; doubled for each further one.
    pub first_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            first_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first retry): the
    /// doubled delay, capped, scaled by a jitter factor in [0.5, 1).
    pub fn delay(&self, retry: u32) -> Duration {
        let doubled = self
            .first_delay
            .saturating_mul(1 << retry.saturating_sub(1).min(16));
        doubled.min(self.max_delay).mul_f64(0.5 + jitter() / 2.0)
    }

    /// Runs `attempt` until it succeeds, fails for good (`transient` says
    /// the error is not worth another try), or the attempts run out; the
    /// last error is returned. Each retry of `operation` is logged.
    pub fn run<T, E: Display>(
        &self,
        operation: &str,
        attempt: impl FnMut() -> Result<T, E>,
        transient: impl Fn(&E) -> bool,
    ) -> Result<T, E> {
        self.run_counting(operation, attempt, transient).0
    }

    /// [`RetryPolicy::run`], also saying how many attempts were made: an
    /// answer after a retry may be the echo of an earlier attempt that
    /// took effect but whose answer was lost (an object already there, a
    /// deleted one missing).
    pub fn run_counting<T, E: Display>(
        &self,
        operation: &str,
        mut attempt: impl FnMut() -> Result<T, E>,
        transient: impl Fn(&E) -> bool,
    ) -> (Result<T, E>, u32) {
        let mut tries = 0;
        loop {
            tries += 1;
            match attempt() {
                Err(error) if tries < self.attempts && transient(&error) => {
                    let delay = self.delay(tries);
                    tracing::warn!(operation, attempt = tries, ?delay, %error, "retrying a transient failure");
                    std::thread::sleep(delay);
                }
                outcome => return (outcome, tries),
            }
        }
    }
}

/// A random number in [0, 1).
fn jitter() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// 64 random bits, from the standard library's randomly keyed hasher (a
/// fresh key each call): enough for jitter and unique ids, no random
/// generator needed.
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick(attempts: u32) -> RetryPolicy {
        RetryPolicy {
            attempts,
            first_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        }
    }

    #[test]
    fn transient_errors_are_retried_until_success() {
        let mut calls = 0;
        let outcome = quick(5).run(
            "test",
            || {
                calls += 1;
                if calls < 3 { Err("busy") } else { Ok(calls) }
            },
            |_| true,
        );
        assert_eq!(outcome, Ok(3));
    }

    #[test]
    fn lasting_errors_end_at_once_and_transient_ones_after_the_attempts() {
        let mut calls = 0;
        let lasting: Result<(), &str> = quick(5).run(
            "test",
            || {
                calls += 1;
                Err("denied")
            },
            |error| *error == "busy",
        );
        assert_eq!((lasting, calls), (Err("denied"), 1));
        let mut calls = 0;
        let exhausted: Result<(), &str> = quick(4).run(
            "test",
            || {
                calls += 1;
                Err("busy")
            },
            |_| true,
        );
        assert_eq!((exhausted, calls), (Err("busy"), 4));
    }

    #[test]
    fn delays_double_are_capped_and_jittered() {
        let policy = RetryPolicy {
            attempts: 10,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
        };
        for (retry, full) in [(1, 100), (2, 200), (3, 350), (9, 350)] {
            let delay = policy.delay(retry).as_millis();
            assert!(
                delay >= full / 2 && delay <= full,
                "retry {retry}: {delay} ms"
            );
        }
    }
}
