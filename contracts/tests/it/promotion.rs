//! Promotion under crashes, leases and signals, through the `contracts`
//! binary, on the local setup and on the emulators (fake-gcs and
//! bqemulator, started by scripts/test.sh; without them the emulator tests
//! fail).
//!
//! The crash test kills the process (SIGKILL, from a failpoint) at every
//! failpoint of the promotion and of its rollback, one after the other.
//! After each kill, `contracts recover` must leave production byte for byte
//! and row for row exactly as before the promotion (a kill before its
//! commit point) or exactly as a promotion that was never interrupted
//! leaves it (a kill after): never a mix.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use datacontract::pipeline::promote::{
    COMMIT_POINT, FAILPOINTS, IN_PROGRESS, LAST_PROMOTED, ROLLBACK_FAILPOINTS,
};
use datacontract::store::{GcsStore, ObjectStore};
use sha2::{Digest, Sha256};

use crate::support::runs;

use runs::{
    Emulators, PROCESSED, RAW, borrowed, contracts, later_input, run_on, succeed, text, walk,
    workdir,
};

/// Where production lives, and how to read it.
enum Setup {
    Local(PathBuf),
    Emulated {
        dir: PathBuf,
        env: Vec<(String, String)>,
        bucket: Box<GcsStore>,
        production: String,
    },
}

/// Production as a reader sees it: every object (key and bytes) and every
/// row of both tables, metadata columns included.
#[derive(Clone)]
struct Production {
    objects: Vec<(String, Vec<u8>)>,
    tables: Vec<String>,
    /// Which run the last-promoted pointer names.
    pointer: Option<String>,
}

impl Setup {
    fn local(name: &str) -> Self {
        Setup::Local(workdir(name))
    }

    fn emulated(name: &str) -> Self {
        let emulators = Emulators::from_env();
        let suffix = format!("{name}_{}", std::process::id()).replace('-', "_");
        let bucket_name = format!("crash-{suffix}").replace('_', "-");
        let production = format!("production_{suffix}");
        let env = emulators.env(&bucket_name, &format!("staging_{suffix}"), &production);
        let bucket = GcsStore::emulator(&bucket_name, &emulators.gcs).unwrap();
        bucket.create_bucket().unwrap();
        Setup::Emulated {
            dir: workdir(name),
            env,
            bucket: Box::new(bucket),
            production,
        }
    }

    fn dir(&self) -> &Path {
        match self {
            Setup::Local(dir) | Setup::Emulated { dir, .. } => dir,
        }
    }

    fn env(&self) -> Vec<(&str, &str)> {
        match self {
            Setup::Local(_) => Vec::new(),
            Setup::Emulated { env, .. } => borrowed(env),
        }
    }

    fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> std::process::Output {
        let mut env = self.env();
        env.extend_from_slice(extra);
        contracts(self.dir(), args, &env)
    }

    fn succeed(&self, args: &[&str]) -> String {
        succeed(self.dir(), args, &self.env())
    }

    /// `table` as the production dataset names it in SQL.
    fn table(&self, table: &str) -> String {
        match self {
            Setup::Local(_) => format!("production.{table}"),
            Setup::Emulated { production, .. } => format!("`test-proj`.`{production}`.`{table}`"),
        }
    }

    /// Every production object, by key (the store's promotion bookkeeping
    /// and run reports aside).
    fn objects(&self) -> Vec<(String, Vec<u8>)> {
        let mut objects: Vec<(String, Vec<u8>)> = match self {
            Setup::Local(dir) => walk(&dir.join("data/production"))
                .into_iter()
                .map(|path| {
                    let key = path.strip_prefix(dir.join("data")).unwrap();
                    (key.display().to_string(), std::fs::read(&path).unwrap())
                })
                .collect(),
            Setup::Emulated {
                bucket, production, ..
            } => bucket
                .list(&format!("{production}/"))
                .unwrap()
                .into_iter()
                .map(|key| {
                    let bytes = bucket.get(&key).unwrap();
                    (key, bytes)
                })
                .collect(),
        };
        objects.sort();
        objects
    }

    /// Every backup the archived journals (`runs/*/promotion.json`) name.
    fn backups_named(&self) -> Vec<String> {
        let journals: Vec<Vec<u8>> = match self {
            Setup::Local(dir) => walk(&dir.join("data/runs"))
                .into_iter()
                .filter(|path| path.ends_with("promotion.json"))
                .map(|path| std::fs::read(path).unwrap())
                .collect(),
            Setup::Emulated { bucket, .. } => bucket
                .list("runs/")
                .unwrap()
                .into_iter()
                .filter(|key| key.ends_with("/promotion.json"))
                .map(|key| bucket.get(&key).unwrap())
                .collect(),
        };
        journals
            .iter()
            .flat_map(|bytes| {
                let journal: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                journal["tables"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|table| {
                        let backup = &table["backup"];
                        let scoped = &backup["scoped"]["table"];
                        backup["table"].as_str().or(scoped["table"].as_str())
                    })
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Whether production holds a table of this name.
    fn table_exists(&self, table: &str) -> bool {
        let (schema_filter, tables) = match self {
            Setup::Local(_) => (
                "table_schema = 'production' AND ",
                "information_schema.tables".to_string(),
            ),
            Setup::Emulated { production, .. } => (
                "",
                format!("`test-proj`.`{production}`.INFORMATION_SCHEMA.TABLES"),
            ),
        };
        let found = self.query(&format!(
            "SELECT COUNT(*) AS n FROM {tables} WHERE {schema_filter}table_name = '{table}'"
        ));
        found.trim() != "n\n0"
    }

    fn journal_exists(&self) -> bool {
        match self {
            Setup::Local(dir) => dir.join("data").join(IN_PROGRESS).exists(),
            Setup::Emulated { bucket, .. } => bucket.exists(IN_PROGRESS).unwrap(),
        }
    }

    /// The rows of `select` as CSV, through `contracts query`.
    fn query(&self, select: &str) -> String {
        text(
            self.succeed(&["query", select, "--format", "csv"])
                .as_bytes(),
        )
    }

    /// Production now; `columns` picks the columns of both tables (`*`, or
    /// the data columns alone).
    fn production(&self, data_only: bool) -> Production {
        let tables = [
            (RAW, "symbol, `interval`, open_time"),
            (PROCESSED, "symbol, bar_start"),
        ]
        .iter()
        .map(|(table, key)| {
            let key = match self {
                Setup::Local(_) => key.replace('`', "\""),
                Setup::Emulated { .. } => key.to_string(),
            };
            let columns = match (data_only, self) {
                (false, _) => "*",
                (true, Setup::Local(_)) => "* EXCLUDE (created_at, updated_at)",
                (true, Setup::Emulated { .. }) => "* EXCEPT (created_at, updated_at)",
            };
            self.query(&format!(
                "SELECT {columns} FROM {} ORDER BY {key}",
                self.table(table)
            ))
        })
        .collect();
        Production {
            objects: self.objects(),
            tables,
            pointer: self.pointer(),
        }
    }

    /// The run the last-promoted pointer names, if any.
    fn pointer(&self) -> Option<String> {
        let bytes = match self {
            Setup::Local(dir) => std::fs::read(dir.join("data").join(LAST_PROMOTED)).ok()?,
            Setup::Emulated { bucket, .. } => bucket.get(LAST_PROMOTED).ok()?,
        };
        let pointer: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        pointer["run_id"].as_str().map(str::to_string)
    }
}

/// Asserts `got` is `want`, showing the first difference only.
fn assert_same(got: &Production, want: &Production, what: &str) {
    assert_eq!(
        got.pointer, want.pointer,
        "{what}: the last-promoted pointer differs"
    );
    let keys = |production: &Production| -> Vec<String> {
        production
            .objects
            .iter()
            .map(|(key, _)| key.clone())
            .collect()
    };
    assert_eq!(keys(got), keys(want), "{what}: the objects' keys differ");
    for ((key, got), (_, want)) in got.objects.iter().zip(&want.objects) {
        assert!(got == want, "{what}: the bytes of {key} differ");
    }
    for (got, want) in got.tables.iter().zip(&want.tables) {
        let (got, want): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
        assert_eq!(got.len(), want.len(), "{what}: row counts differ");
        for (got, want) in got.iter().zip(&want) {
            assert_eq!(got, want, "{what}: a row differs");
        }
    }
}

/// Objects with their dataset dropped, partition times blanked and bytes
/// hashed: what two promotions of the same rows at different times, into
/// datasets of different names, have in common.
fn normalized(production: &Production) -> Production {
    let mut objects: Vec<(String, Vec<u8>)> = production
        .objects
        .iter()
        .map(|(key, bytes)| {
            let key: Vec<&str> = key
                .split('/')
                .skip(1)
                .map(|segment| {
                    if segment.starts_with("created_at=") {
                        "created_at=…"
                    } else {
                        segment
                    }
                })
                .collect();
            (key.join("/"), Sha256::digest(bytes).to_vec())
        })
        .collect();
    objects.sort();
    Production {
        objects,
        tables: production.tables.clone(),
        // Which run: the two promotions are different runs.
        pointer: production.pointer.as_ref().map(|_| "a run".to_string()),
    }
}

/// A setup whose production holds the sample, promoted once; the input of
/// a second run; production as it is; and production as the second run,
/// uninterrupted, leaves it (normalized, data columns only).
struct Scenario {
    input: PathBuf,
    before: Production,
    after: Production,
}

fn prepare(name: &str, setup: &Setup, reference: &Setup) -> Scenario {
    let input = shifted_sample(name);
    setup.succeed(&["run", "--quiet"]);
    reference.succeed(&["run", "--quiet"]);
    let before = setup.production(false);
    run_on(reference.dir(), &input, &reference.env());
    let after = normalized(&reference.production(true));
    assert!(
        after.objects.len() > before.objects.len(),
        "the second run must change production, or the test proves nothing"
    );
    Scenario {
        input,
        before,
        after,
    }
}

/// The sample's klines a day later, as a Parquet file: the input of a
/// second run (the sample is landed locally once, in a folder of its own).
fn shifted_sample(name: &str) -> PathBuf {
    let dir = workdir(&format!("{name}-input"));
    succeed(&dir, &["run", "--quiet"], &[]);
    later_input(&dir, 1)
}

/// Kills a second run at `points` (`point:crash`, after `also`, e.g. a
/// failure that starts a rollback), recovers, and checks production is
/// exactly `before` or exactly `after`.
fn crash_and_recover(setup: &Setup, scenario: &Scenario, crash: &str, also: &str) {
    let failpoints = if also.is_empty() {
        format!("{crash}:crash")
    } else {
        format!("{also},{crash}:crash")
    };
    let input = scenario.input.to_str().unwrap();
    let output = setup.run(
        &["run", "--quiet", "--source", "files", "--files", input],
        &[("DATACONTRACT_FAILPOINT", failpoints.as_str())],
    );
    assert_eq!(
        output.status.signal(),
        Some(9),
        "{crash}: the run was not killed there: {}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(setup.journal_exists(), "{crash}: no journal was left");
    if let (Setup::Local(dir), "promote:after-backups") = (setup, crash) {
        assert_backups_scoped(dir);
    }
    let refused = setup.run(&["query", "SELECT 1 AS one"], &[]);
    assert!(
        !refused.status.success(),
        "{crash}: a query ran over a half-written production"
    );
    assert!(
        text(&refused.stderr).contains("contracts recover"),
        "{crash}: {}",
        text(&refused.stderr)
    );
    let recovered = setup.succeed(&["recover"]);
    assert!(
        !setup.journal_exists(),
        "{crash}: recovery left the journal"
    );
    let committed = FAILPOINTS
        .iter()
        .position(|point| *point == crash)
        .is_some_and(|index| index >= FAILPOINTS.iter().position(|p| *p == COMMIT_POINT).unwrap());
    let now = setup.production(false);
    if committed {
        assert!(recovered.contains("completed"), "{crash}: {recovered}");
        let data = setup.production(true);
        assert_same(&normalized(&data), &scenario.after, crash);
        assert_ne!(
            now.pointer, scenario.before.pointer,
            "{crash}: the pointer did not move"
        );
        for object in &scenario.before.objects {
            assert!(
                now.objects.contains(object),
                "{crash}: {} changed",
                object.0
            );
        }
    } else {
        assert!(recovered.contains("rolled back"), "{crash}: {recovered}");
        assert_same(&now, &scenario.before, crash);
    }
    let backups = setup.backups_named();
    let planned = crash != "promote:after-claim";
    assert_eq!(
        !backups.is_empty(),
        planned,
        "{crash}: a journal named backups {backups:?} although its plan was {}",
        if planned { "written" } else { "never written" }
    );
    for backup in backups {
        assert!(
            !setup.table_exists(&backup),
            "{crash}: the backup {backup} was left behind"
        );
    }
}

/// Checks that the interrupted promotion in `dir` (local: DuckDB) backed
/// up only the rows its loads can change: each production table's backup
/// holds the rows within the scope its journal records, fewer than the
/// table (the second run's day is not the first's).
fn assert_backups_scoped(dir: &Path) {
    use datacontract::sql::{Dialect, Query};
    use datacontract::warehouse::{DuckDbWarehouse, Warehouse};
    let journal: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("data").join(IN_PROGRESS)).unwrap())
            .unwrap();
    let warehouse = DuckDbWarehouse::open_read_only(&dir.join("data/warehouse.duckdb")).unwrap();
    let count = |sql: String| {
        let mut query = Query::new(Dialect::DuckDb);
        query.sql = sql;
        let frame = warehouse.query(&query).unwrap();
        frame
            .column("n")
            .unwrap()
            .get(0)
            .unwrap()
            .extract::<u64>()
            .unwrap()
    };
    let tables = journal["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 2, "{journal}");
    for state in tables {
        let scoped = &state["backup"]["scoped"];
        assert!(
            scoped.is_object(),
            "a whole-table backup on DuckDB: {state}"
        );
        let (table, backup) = (
            state["table"]["table"].as_str().unwrap(),
            scoped["table"]["table"].as_str().unwrap(),
        );
        let column = scoped["scope"]["column"].as_str().unwrap();
        let bounds = &scoped["scope"]["bounds"]["timestamp"];
        let (from, until) = (
            bounds["from"].as_str().unwrap(),
            bounds["until"].as_str().unwrap(),
        );
        let rows = count(format!("SELECT COUNT(*) AS n FROM production.{table}"));
        let backed_up = count(format!("SELECT COUNT(*) AS n FROM production.{backup}"));
        let within = count(format!(
            "SELECT COUNT(*) AS n FROM production.{table} \
             WHERE {column} IS NULL OR ({column} >= '{from}' AND {column} < '{until}')"
        ));
        assert_eq!(
            backed_up, within,
            "{table}: the backup is not the scope's rows"
        );
        assert!(
            backed_up < rows,
            "{table}: the backup holds {backed_up} of {rows} rows; the scope should leave the first day out"
        );
    }
}

/// Copies `from`'s working folder into a fresh one named `name`.
fn copy_of(from: &Setup, name: &str) -> Setup {
    let to = workdir(name);
    let status = Command::new("cp")
        .args(["-a", "data"])
        .arg(&to)
        .current_dir(from.dir())
        .status()
        .unwrap();
    assert!(status.success());
    Setup::Local(to)
}

#[test]
fn a_kill_at_any_step_leaves_local_production_before_or_after() {
    let base = Setup::local("crash-base");
    let reference = Setup::local("crash-reference");
    let scenario = prepare("crash-local", &base, &reference);
    for (index, point) in FAILPOINTS.iter().enumerate() {
        let setup = copy_of(&base, &format!("crash-{index}"));
        crash_and_recover(&setup, &scenario, point, "");
    }
    for (index, point) in ROLLBACK_FAILPOINTS.iter().enumerate() {
        let setup = copy_of(&base, &format!("crash-rollback-{index}"));
        crash_and_recover(&setup, &scenario, point, "promote:after-first-load");
    }
}

#[test]
fn a_kill_at_any_step_leaves_emulated_production_before_or_after() {
    let reference = Setup::emulated("reference");
    let points: Vec<(&str, &str)> = FAILPOINTS
        .iter()
        .map(|point| (*point, ""))
        .chain(
            ROLLBACK_FAILPOINTS
                .iter()
                .map(|point| (*point, "promote:after-first-load")),
        )
        .collect();
    let mut scenario = None;
    for (index, (point, also)) in points.into_iter().enumerate() {
        let setup = Setup::emulated(&format!("crash{index}"));
        let scenario =
            scenario.get_or_insert_with(|| prepare("crash-emulated", &setup, &reference));
        if index > 0 {
            setup.succeed(&["run", "--quiet"]);
            scenario.before = setup.production(false);
        }
        crash_and_recover(&setup, scenario, point, also);
    }
}

/// Writes a journal as `contracts` before this version wrote it: host, pid
/// and start, no lease, no backup names.
fn legacy_journal(data: &Path, pid: u32, started: &str, table: &str) {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string();
    let journal = serde_json::json!({
        "run_id": "20000101T000000000Z-000001",
        "holder": { "host": host, "pid": pid, "started_at": started },
        "state": "started",
        "created": [],
        "tables": [{ "table": { "project": null, "dataset": "production", "table": table }, "existed": true }],
        "previous": null,
    });
    let path = data.join(IN_PROGRESS);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_vec_pretty(&journal).unwrap()).unwrap();
}

#[test]
fn an_old_journal_naming_pid_1_is_recovered_and_an_unnamed_backup_is_never_restored() {
    let setup = Setup::local("legacy");
    setup.succeed(&["run", "--quiet"]);
    let before = setup.production(false);
    // An empty leftover backup an earlier version left behind, and a dead
    // holder's journal from the year 2000 naming PID 1 on this host.
    let duckdb = setup.dir().join("data/warehouse.duckdb");
    {
        let warehouse = datacontract::warehouse::DuckDbWarehouse::open(&duckdb).unwrap();
        let mut query = datacontract::sql::Query::new(datacontract::sql::Dialect::DuckDb);
        query.sql = format!(
            "CREATE TABLE production.{PROCESSED}__rollback AS SELECT * FROM production.{PROCESSED} WHERE FALSE"
        );
        use datacontract::warehouse::Warehouse;
        warehouse.execute(&query).unwrap();
    }
    legacy_journal(
        &setup.dir().join("data"),
        1,
        "2000-01-01T00:00:00Z",
        PROCESSED,
    );
    let recovered = setup.succeed(&["recover"]);
    assert!(recovered.contains("rolled back"), "{recovered}");
    assert_same(&setup.production(false), &before, "recovery");
    // The next run promotes, and the leftover backup is gone.
    setup.succeed(&["run", "--quiet"]);
    let left = setup.query(&format!(
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = '{PROCESSED}__rollback'"
    ));
    assert_eq!(left.trim(), "n\n0", "{left}");
}

#[test]
fn another_hosts_promotion_holds_production_until_its_lease_ends() {
    let setup = Setup::local("lease");
    setup.succeed(&["run", "--quiet"]);
    let journal = serde_json::json!({
        "run_id": "20260101T000000000Z-000002",
        "holder": { "host": "another-host", "pid": 1, "started_at": chrono::Utc::now() },
        "lease_until": chrono::Utc::now() + chrono::Duration::seconds(3),
        "state": "started",
        "created": [],
        "tables": [],
        "previous": null,
    });
    std::fs::write(
        setup.dir().join("data").join(IN_PROGRESS),
        serde_json::to_vec(&journal).unwrap(),
    )
    .unwrap();
    let held = setup.run(&["recover"], &[]);
    assert_eq!(held.status.code(), Some(1), "{}", text(&held.stdout));
    assert!(text(&held.stdout).contains("left alone"));
    let refused = setup.run(&["query", "SELECT 1 AS one"], &[]);
    assert!(text(&refused.stderr).contains("promoting to production right now"));
    std::thread::sleep(std::time::Duration::from_secs(4));
    let recovered = setup.succeed(&["recover"]);
    assert!(recovered.contains("rolled back"), "{recovered}");
}

/// A `contracts run` paused at a failpoint; its standard error goes to a
/// file, read once it has ended.
struct Paused {
    child: std::process::Child,
    stderr: PathBuf,
}

impl Paused {
    /// Waits for the run to end: its status, standard output and error.
    fn finish(self) -> (std::process::ExitStatus, String, String) {
        let output = self.child.wait_with_output().unwrap();
        let stderr = std::fs::read_to_string(&self.stderr).unwrap();
        (output.status, text(&output.stdout), stderr)
    }
}

/// Starts `contracts run` on `input` paused at failpoint `point` (until
/// `resume` exists), and returns it once it says it has paused.
fn paused_run(setup: &Setup, input: &Path, point: &str, resume: &Path, lease: &str) -> Paused {
    let stderr = setup
        .dir()
        .join(format!("stderr-{}", point.replace(':', "-")));
    let child = Command::new(env!("CARGO_BIN_EXE_contracts"))
        .current_dir(setup.dir())
        .args(["run", "--quiet", "--source", "files", "--files"])
        .arg(input)
        .env("DATACONTRACT_FAILPOINT", format!("{point}:pause"))
        .env("DATACONTRACT_FAILPOINT_RESUME", resume)
        .env("DATACONTRACT_PROMOTION_LEASE_SECONDS", lease)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let marker = format!("failpoint {point}: pausing");
    let began = std::time::Instant::now();
    while !std::fs::read_to_string(&stderr).unwrap().contains(&marker) {
        assert!(
            began.elapsed() < std::time::Duration::from_secs(60),
            "the run never reached {point}: {}",
            std::fs::read_to_string(&stderr).unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Paused { child, stderr }
}

fn signal(paused: &Paused, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &paused.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_live_promotion_renews_its_lease_and_is_never_taken_over() {
    let setup = Setup::local("renew");
    setup.succeed(&["run", "--quiet"]);
    let input = later_input(setup.dir(), 1);
    let resume = setup.dir().join("resume");
    let child = paused_run(&setup, &input, "promote:after-first-load", &resume, "2");
    // Three lease periods later the holder still holds it, and has kept
    // renewing the lease its journal shows the world.
    std::thread::sleep(std::time::Duration::from_secs(6));
    let journal: serde_json::Value =
        serde_json::from_slice(&std::fs::read(setup.dir().join("data").join(IN_PROGRESS)).unwrap())
            .unwrap();
    let lease_until: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(journal["lease_until"].clone()).unwrap();
    assert!(
        lease_until > chrono::Utc::now(),
        "the lease ran out at {lease_until} while its holder lived"
    );
    let held = setup.run(
        &["recover"],
        &[("DATACONTRACT_PROMOTION_LEASE_SECONDS", "2")],
    );
    assert_eq!(held.status.code(), Some(1), "{}", text(&held.stdout));
    std::fs::write(&resume, b"").unwrap();
    let (status, stdout, stderr) = child.finish();
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(!setup.journal_exists());
}

#[test]
fn sigterm_before_a_promotion_stops_the_run_and_production_stays() {
    let setup = Setup::local("sigterm-before");
    setup.succeed(&["run", "--quiet"]);
    let before = setup.production(false);
    let input = later_input(setup.dir(), 1);
    let resume = setup.dir().join("resume");
    let child = paused_run(&setup, &input, "run:before-promote", &resume, "120");
    signal(&child, "TERM");
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::write(&resume, b"").unwrap();
    let (status, stdout, stderr) = child.finish();
    // Stopped by a signal: a service failure (exit 3), to be run again.
    assert_eq!(status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("stopped by a signal (SIGTERM or SIGINT) before the stage `promote`"),
        "{stdout}"
    );
    assert_same(&setup.production(false), &before, "a stopped run");
}

#[test]
fn sigterm_during_a_promotion_lets_it_commit_first() {
    let setup = Setup::local("sigterm-during");
    setup.succeed(&["run", "--quiet"]);
    let input = later_input(setup.dir(), 1);
    let resume = setup.dir().join("resume");
    let child = paused_run(&setup, &input, "promote:after-first-load", &resume, "120");
    signal(&child, "TERM");
    signal(&child, "INT");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        setup.journal_exists(),
        "the signals must not end the promotion"
    );
    std::fs::write(&resume, b"").unwrap();
    let (status, stdout, stderr) = child.finish();
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("promoted"), "{stdout}");
    assert!(!setup.journal_exists());
    let bars = setup.query(&format!(
        "SELECT COUNT(*) AS n FROM {}",
        setup.table(PROCESSED)
    ));
    assert_eq!(bars.trim(), "n\n48");
}

#[test]
fn a_holder_whose_journal_was_taken_over_touches_nothing_more() {
    let setup = Setup::local("taken-over");
    setup.succeed(&["run", "--quiet"]);
    let before = setup.production(false);
    let input = later_input(setup.dir(), 1);
    let resume = setup.dir().join("resume");
    let child = paused_run(&setup, &input, "promote:after-first-load", &resume, "2");
    // Another process takes the journal over (as a recovery would once the
    // lease looked dead): same plan, another holder, an expired lease.
    let journal_path = setup.dir().join("data").join(IN_PROGRESS);
    let mut journal: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&journal_path).unwrap()).unwrap();
    journal["holder"]["host"] = "another-host".into();
    journal["holder"]["token"] = "taken-over".into();
    journal["lease_until"] = "2000-01-01T00:00:00Z".into();
    let taken = serde_json::to_vec_pretty(&journal).unwrap();
    std::fs::write(&journal_path, &taken).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    std::fs::write(&resume, b"").unwrap();
    let (status, stdout, stderr) = child.finish();
    // Another process's doing, not the call's: a service failure.
    assert_eq!(status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains("lost its lease"), "{stdout}");
    // It neither rolled back nor removed the journal: that is the new
    // owner's to do.
    assert_eq!(std::fs::read(&journal_path).unwrap(), taken);
    let recovered = setup.succeed(&["recover"]);
    assert!(recovered.contains("rolled back"), "{recovered}");
    assert_same(
        &setup.production(false),
        &before,
        "after the new owner's recovery",
    );
}
