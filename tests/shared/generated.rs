//! Property tests whose cases run against engines: each case costs round
//! trips to DuckDB and the emulators, so a run has few cases (more with
//! `PROPTEST_CASES`, to search longer), shrinks nothing, and writes no
//! regression files.

use proptest::test_runner::{Config, TestRunner};

/// A runner of `default` cases, or of `PROPTEST_CASES` when it is set.
pub fn engine_runner(default: u32) -> TestRunner {
    TestRunner::new(Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|cases| cases.parse().ok())
            .unwrap_or(default),
        max_shrink_iters: 0,
        failure_persistence: None,
        ..Config::default()
    })
}
