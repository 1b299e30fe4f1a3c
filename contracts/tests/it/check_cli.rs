//! `contracts lock` and `contracts check` on the shipped contracts.

use std::path::Path;
use std::process::{Command, Output};

fn contracts(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_contracts"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The repository's root (where contracts/schemas is committed).
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

#[test]
fn the_committed_lock_is_current() {
    let output = contracts(root(), &["check"]);
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(text(&output.stdout).ends_with("2 table(s) against contracts/schemas: ok\n"));
}

#[test]
fn a_stale_lock_fails_with_a_diff_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("schemas");
    assert!(
        contracts(root(), &["lock", "--dir", lock.to_str().unwrap()])
            .status
            .success()
    );
    let ddl = lock.join("raw_binance_btcusdt_spot/table.sql");
    let edited = std::fs::read_to_string(&ddl)
        .unwrap()
        .replace("`symbol` STRING", "`symbol` BYTES");
    std::fs::write(&ddl, edited).unwrap();
    let output = contracts(
        root(),
        &[
            "check",
            "--dir",
            lock.to_str().unwrap(),
            "--format",
            "junit",
        ],
    );
    let junit = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{junit}");
    assert!(
        junit.contains("<failure type=\"stale_artifact\""),
        "{junit}"
    );
    assert!(
        junit.contains("-  `symbol` BYTES NOT NULL OPTIONS"),
        "{junit}"
    );
    assert!(
        junit.contains("+  `symbol` STRING NOT NULL OPTIONS"),
        "{junit}"
    );
    assert!(
        junit.contains("run `contracts lock` and commit the result"),
        "{junit}"
    );
}

#[test]
fn the_check_compares_with_a_git_ref() {
    let output = contracts(root(), &["check", "--against", "HEAD", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(output.status.success(), "{json}");
    assert_eq!(json["against"], "contracts/schemas at HEAD");
    let output = contracts(root(), &["check", "--against", "no-such-ref-anywhere"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("no-such-ref-anywhere"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn warehouse_drift_and_sample_data_are_checked_too() {
    let dir = tempfile::tempdir().unwrap();
    assert!(contracts(dir.path(), &["run", "--quiet"]).status.success());
    let lock = root().join("contracts/schemas");
    let output = contracts(
        dir.path(),
        &["check", "--dir", lock.to_str().unwrap(), "--warehouse"],
    );
    assert!(output.status.success(), "{}", text(&output.stdout));

    let output = contracts(
        dir.path(),
        &[
            "check",
            "--dir",
            lock.to_str().unwrap(),
            "--warehouse",
            "--dataset",
            "staging_missing",
        ],
    );
    let shown = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(shown.contains("error: raw_binance_btcusdt_spot [warehouse/table_missing]: staging_missing.raw_binance_btcusdt_spot does not exist"), "{shown}");

    let csv = dir.path().join("bad.csv");
    std::fs::write(&csv, "bar_start,symbol\n2024-03-01T00:00:00Z,btc\n").unwrap();
    let pair = format!("processed_binance_btcusdt_spot={}", csv.display());
    let output = contracts(
        dir.path(),
        &[
            "check",
            "--dir",
            lock.to_str().unwrap(),
            "--data",
            &pair,
            "--format",
            "markdown",
        ],
    );
    let shown = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("| ❌ | `processed_binance_btcusdt_spot.symbol` | data/symbol.regex |"),
        "{shown}"
    );
}

#[test]
fn files_beside_the_tables_at_a_git_ref_are_no_tables() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let output = Command::new("git")
            .current_dir(dir.path())
            .args(args)
            .env("GIT_AUTHOR_NAME", "test")
            .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
            .env("GIT_COMMITTER_NAME", "test")
            .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            text(&output.stderr)
        );
    };
    git(&["init", "-q"]);
    let lock = dir.path().join("contracts/schemas");
    assert!(
        contracts(root(), &["lock", "--dir", lock.to_str().unwrap()])
            .status
            .success()
    );
    std::fs::write(lock.join("README.md"), "What this folder is.\n").unwrap();
    std::fs::write(lock.join(".gitattributes"), "*.json text\n").unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "lock"]);
    // Whatever language git speaks here: the answer comes from its exit
    // codes, not from its messages.
    let output = Command::new(env!("CARGO_BIN_EXE_contracts"))
        .current_dir(dir.path())
        .args(["check", "--against", "HEAD", "--format", "json"])
        .env("LANG", "de_DE.UTF-8")
        .env("LC_ALL", "de_DE.UTF-8")
        .output()
        .unwrap();
    let report = text(&output.stdout);
    assert!(output.status.success(), "{report}{}", text(&output.stderr));
    assert!(!report.contains("README"), "{report}");
    assert!(!report.contains("table_removed"), "{report}");
    // A ref that is no commit is an error, not an empty lock.
    let output = contracts(dir.path(), &["check", "--against", "no-such-branch"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("is not a commit"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn each_failure_of_lock_and_check_keeps_its_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    // A lock folder that cannot be created (a file stands in its way): the
    // disk's failure, not the call's.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let output = contracts(
        root(),
        &["lock", "--dir", file.join("schemas").to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("cannot create"));

    // A committed contract that is not one: the input's.
    let lock = dir.path().join("schemas");
    assert!(
        contracts(root(), &["lock", "--dir", lock.to_str().unwrap()])
            .status
            .success()
    );
    let committed = lock.join("raw_binance_btcusdt_spot/contract.json");
    std::fs::write(&committed, "{ not json").unwrap();
    let output = contracts(root(), &["check", "--dir", lock.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("contract.json: not a contract"),
        "{}",
        text(&output.stderr)
    );

    // Sample data for a table there is no contract for: the call's.
    let output = contracts(root(), &["check", "--data", "nope=x.csv"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no contract for table `nope`"));
}
