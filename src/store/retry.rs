//! Retries with jittered exponential backoff, bounded, each one logged.

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
}

/// A number in [0, 1) from the clock's nanoseconds: enough to spread
/// retries of concurrent clients, no random generator needed.
fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    f64::from(nanos % 1000) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

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
