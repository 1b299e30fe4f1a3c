//! The whole pipeline, through the `contracts` binary, on both setups: the
//! local one (a folder and DuckDB) and the emulators (fake-gcs and
//! bqemulator; run with scripts/test.sh, which starts them and sets
//! DATACONTRACT_GCS_EMULATOR and BIGQUERY_EMULATOR_HOST; without them the
//! emulator test fails).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::runs;

use runs::{
    Emulators, PROCESSED, RAW, borrowed, contracts, later_input, succeed, text, walk, workdir,
};

/// Every production object and the CSV of both production tables: what
/// "production is exactly as it was" compares.
fn production(dir: &Path) -> (Vec<(String, Vec<u8>)>, String) {
    let mut tables = String::new();
    for table in [RAW, PROCESSED] {
        let sql = format!("SELECT * FROM production.{table} ORDER BY ALL");
        let output = contracts(dir, &["query", &sql, "--format", "csv"], &[]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        tables.push_str(&text(&output.stdout));
    }
    let mut objects = Vec::new();
    for table in [RAW, PROCESSED] {
        let folder = dir.join("data/production").join(table);
        for entry in walk(&folder) {
            objects.push((
                entry.strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(&entry).unwrap(),
            ));
        }
    }
    objects.sort();
    (objects, tables)
}

/// Asserts that production is exactly `before`, showing only what differs.
fn assert_production_unchanged(dir: &Path, before: &(Vec<(String, Vec<u8>)>, String)) {
    let after = production(dir);
    let keys =
        |objects: &[(String, Vec<u8>)]| objects.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&after.0), keys(&before.0), "production objects");
    assert!(after.0 == before.0, "a production object's bytes changed");
    let (now, was): (Vec<&str>, Vec<&str>) =
        (after.1.lines().collect(), before.1.lines().collect());
    assert_eq!(now.len(), was.len(), "production rows");
    for (now, was) in now.iter().zip(&was) {
        assert_eq!(now, was, "a production row changed");
    }
}

fn count(dir: &Path, table: &str) -> i64 {
    let sql = format!("SELECT count(*) AS n FROM {table}");
    let output = contracts(dir, &["query", &sql, "--format", "json"], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let row: serde_json::Value = serde_json::from_str(text(&output.stdout).trim()).unwrap();
    row["n"].as_i64().unwrap()
}

#[test]
fn the_main_job_promotes_the_sample_and_reruns_add_no_row() {
    let dir = workdir("main");
    let summary = succeed(&dir, &["run"], &[]);
    assert!(summary.contains("promoted to production"), "{summary}");
    // Gate 1 reported the sample's defects with the contract's severities.
    assert!(
        summary.contains("dedup_key: warning failed on 1000 row(s)"),
        "{summary}"
    );
    assert!(
        summary.contains("rule.high_ge_low: warning failed on 2 row(s)"),
        "{summary}"
    );
    let report = summary
        .lines()
        .last()
        .unwrap()
        .strip_prefix("report: ")
        .unwrap();
    let html = std::fs::read_to_string(dir.join(report)).unwrap();
    assert!(
        html.contains("promoted to production") && html.contains("<svg"),
        "{html}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(report).with_file_name("report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["outcome"], "promoted");
    assert_eq!(json["raw_validation"]["passed"], true);
    let hours = json["reconciliation"][0].clone();
    assert_eq!(
        (hours["name"].as_str(), hours["passed"].as_bool()),
        (Some("hours_preserved"), Some(true))
    );
    assert!(dir.join(report).with_file_name("report.md").exists());

    let bars = count(&dir, &format!("production.{PROCESSED}"));
    let raw = count(&dir, &format!("production.{RAW}"));
    assert_eq!(bars, 24);
    assert_eq!(
        raw, 1435,
        "one row per key: 1440 minutes less the 5-minute gap"
    );
    let before = production(&dir);

    let again = contracts(&dir, &["run"], &[]);
    assert!(again.status.success(), "{}", text(&again.stdout));
    let summary = text(&again.stdout);
    assert!(
        summary.contains("the same rows were already landed"),
        "{summary}"
    );
    assert!(summary.contains("0 object(s) copied"), "{summary}");
    assert_eq!(count(&dir, &format!("production.{PROCESSED}")), bars);
    assert_eq!(count(&dir, &format!("production.{RAW}")), raw);
    // Staging keeps the extract as it arrived (the repeated page too),
    // once, however often it is loaded.
    assert_eq!(count(&dir, &format!("staging.{RAW}")), 1935);
    let (objects, _) = production(&dir);
    assert_eq!(objects, before.0, "no production object was added");
    // The second run measured drift against the first.
    let runs: Vec<PathBuf> = {
        let mut runs: Vec<PathBuf> = std::fs::read_dir(dir.join("data/runs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        runs.sort();
        runs
    };
    let second: serde_json::Value =
        serde_json::from_slice(&std::fs::read(runs[1].join("report.json")).unwrap()).unwrap();
    assert!(
        second["drift"].as_array().is_some_and(|d| !d.is_empty()),
        "{second}"
    );
    assert!(
        second["drift"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["drifted"] == false)
    );
}

#[test]
fn a_source_s_settings_are_checked_before_the_run_with_their_origin() {
    let dir = workdir("source-settings");
    let output = contracts(&dir, &["run", "--source", "ftp"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let error = text(&output.stderr);
    assert!(
        error.contains("`source` (from flag --source): `ftp` is not a source of this pipeline; its sources are `sample`, `binance`, `files`"),
        "{error}"
    );

    // A source's own setting, from a flag and from the environment.
    let output = contracts(&dir, &["run", "--interval", "5m"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let error = text(&output.stderr);
    assert!(
        error.contains(
            "`interval` (from flag --interval): `5m`: this pipeline aggregates 1m klines"
        ),
        "{error}"
    );
    let output = contracts(&dir, &["run"], &[("DATACONTRACT_SYMBOL", "btc")]);
    assert_eq!(output.status.code(), Some(2));
    let error = text(&output.stderr);
    assert!(
        error.contains("`symbol` (from environment variable DATACONTRACT_SYMBOL)"),
        "{error}"
    );
    assert!(
        !dir.join("data").exists(),
        "nothing was opened, nothing was written"
    );

    // The configuration file of every command may hold the sources'
    // settings; only `run` has their flags.
    std::fs::create_dir_all(dir.join("conf")).unwrap();
    std::fs::write(dir.join("conf/local.toml"), "symbol = \"ETHUSDT\"\n").unwrap();
    let output = contracts(&dir, &["recover"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let output = contracts(&dir, &["recover", "--symbol", "ETHUSDT"], &[]);
    assert_eq!(output.status.code(), Some(2));
}

/// Two raw klines as CSV; the second opens at `second_open`.
fn klines_csv(second_open: &str) -> String {
    format!(
        "open_time,open,high,low,close,volume,close_time,quote_asset_volume,number_of_trades,taker_buy_base_asset_volume,taker_buy_quote_asset_volume,symbol,interval\n\
         2024-03-01T00:00:00Z,62000,62010,61990,62005,1.5,2024-03-01T00:00:59.999Z,93000,10,0.5,31000,BTCUSDT,1m\n\
         2024-03-01T00:01:00Z,{second_open},62010,61990,62005,1.5,2024-03-01T00:01:59.999Z,93000,10,0.5,31000,BTCUSDT,1m\n"
    )
}

#[test]
fn an_error_at_the_raw_gate_stops_the_run_and_keeps_the_raw_partition() {
    let dir = workdir("gate");
    let csv = dir.join("bad.csv");
    std::fs::write(&csv, klines_csv("-5")).unwrap();
    let output = contracts(
        &dir,
        &[
            "run",
            "--source",
            "files",
            "--files",
            csv.to_str().unwrap(),
            "--log-format",
            "json",
        ],
        &[],
    );
    let summary = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{summary}\n{}",
        text(&output.stderr)
    );
    assert!(summary.contains("stopped at the raw gate"), "{summary}");
    assert!(
        summary.contains("open.range: error failed on 1 row(s)"),
        "{summary}"
    );
    // The failure is one ERROR line Cloud Logging reads, with the run's
    // labels and the failing check: a log-based alert needs nothing else.
    let lines: Vec<serde_json::Value> = text(&output.stderr)
        .lines()
        .map(|line| serde_json::from_str(line).expect("every log line is JSON"))
        .collect();
    let failure = lines
        .iter()
        .find(|line| line["severity"] == "ERROR" && line["fields"]["gate"] == "raw")
        .unwrap_or_else(|| panic!("an ERROR line for the raw gate in {lines:?}"));
    assert!(
        failure["message"]
            .as_str()
            .unwrap()
            .starts_with("not promoted"),
        "{failure}"
    );
    let labels = &failure["logging.googleapis.com/labels"];
    assert_eq!(labels["stage"], "gate_raw", "{failure}");
    assert!(!labels["run_id"].as_str().unwrap().is_empty(), "{failure}");
    assert!(
        failure["fields"]["failing_checks"]
            .as_str()
            .unwrap()
            .contains("open.range: 1 row(s), e.g. {\"open\":"),
        "{failure}"
    );
    assert_eq!(
        walk(&dir.join("data/staging").join(RAW)).len(),
        1,
        "the raw partition stays"
    );
    assert!(
        walk(&dir.join("data/production")).is_empty(),
        "nothing reached production"
    );
}

#[test]
fn an_error_at_the_processed_gate_stops_the_run_before_production() {
    use datacontract::pipeline::config::Layers;
    use datacontract::pipeline::{Environment, Outcome, RunOptions, run};
    let dir = workdir("processed-gate");
    let catalogue = datacontract_contracts::pipeline().catalogue();
    let mut layers = Layers::load(&catalogue, &dir, None, &|_| None).unwrap();
    let data = dir.join("data");
    layers
        .set_flag("data_dir", data.display().to_string())
        .unwrap();
    let duckdb = data.join("warehouse.duckdb");
    layers
        .set_flag("duckdb_path", duckdb.display().to_string())
        .unwrap();
    let config = layers.resolve().unwrap();
    let environment = Environment::open(&config).unwrap();
    let mut pipeline = datacontract_contracts::pipeline();
    // A broken transform that loses the first hour.
    pipeline.transform =
        Box::new(|raw| Ok(datacontract_contracts::transform::transform(raw)?.slice(1, 1000)));
    let output = run(
        &pipeline,
        &layers,
        &config,
        &environment,
        RunOptions::default(),
    );
    assert_eq!(output.report.outcome, Outcome::StoppedAtProcessedGate);
    let hours = &output.report.reconciliation[0];
    assert_eq!(
        (hours.name.as_str(), hours.passed),
        ("hours_preserved", false)
    );
    assert_eq!((hours.input, hours.output), (24.0, 23.0));
    assert!(!output.report.promotion.promoted);
    assert!(
        walk(&data.join("production")).is_empty(),
        "nothing reached production"
    );
    assert_eq!(walk(&data.join("staging").join(PROCESSED)).len(), 1);
}

/// The raw validation of the first run of `contracts run` with `flags`,
/// from its report.json.
fn raw_validation_of_a_run(name: &str, flags: &[&str]) -> serde_json::Value {
    let dir = workdir(name);
    let summary = succeed(&dir, &[&["run"], flags].concat(), &[]);
    report_of(&dir, &summary)["raw_validation"].clone()
}

#[test]
fn the_gates_can_run_inside_the_warehouse() {
    let pushed = raw_validation_of_a_run("pushdown", &["--validation", "warehouse"]);
    let described = pushed["input"]["description"].as_str().unwrap();
    assert!(
        described.starts_with("DuckDB table staging.")
            && described.contains("the rows of the partition created at"),
        "{described}"
    );
    // The gate judged the rows as they arrived, the sample's repeated page
    // included, and says what the gate in memory says of them: the same
    // checks, failing rows and examples.
    let in_memory = raw_validation_of_a_run("pushdown-polars", &[]);
    let verdicts = |validation: &serde_json::Value| -> Vec<serde_json::Value> {
        validation["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|check| check["kind"] != "schema")
            .map(|check| {
                serde_json::json!([
                    check["id"],
                    check["status"],
                    check["failing_rows"],
                    check["examples"]
                ])
            })
            .collect()
    };
    assert_eq!(verdicts(&pushed), verdicts(&in_memory));
    let dedup = pushed["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["id"] == "dedup_key")
        .unwrap();
    assert_eq!(dedup["failing_rows"], 1000, "{dedup}");
    assert_eq!(pushed["passed"], true, "a warning only");
}

/// The report of the run whose summary is `summary`, in `dir`.
fn report_of(dir: &Path, summary: &str) -> serde_json::Value {
    let report = summary
        .lines()
        .last()
        .unwrap()
        .strip_prefix("report: ")
        .unwrap();
    let json = std::fs::read(dir.join(report).with_file_name("report.json")).unwrap();
    serde_json::from_slice(&json).unwrap()
}

/// The stage `name` of a run's report.
fn stage<'r>(report: &'r serde_json::Value, name: &str) -> &'r serde_json::Value {
    report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|stage| stage["name"] == name)
        .unwrap_or_else(|| panic!("no stage {name} in {}", report["stages"]))
}

#[test]
fn the_transform_can_run_inside_the_warehouse() {
    let flags = [
        "run",
        "--transform",
        "warehouse",
        "--validation",
        "warehouse",
    ];
    let dir = workdir("transform-in-warehouse");
    let summary = succeed(&dir, &flags, &[]);
    let report = report_of(&dir, &summary);
    assert_eq!(report["outcome"], "promoted", "{summary}");
    let transform = stage(&report, "transform")["summary"].as_str().unwrap();
    assert!(transform.ends_with("inside DuckDB"), "{transform}");
    let export = stage(&report, "export_processed");
    assert_eq!(export["rows_out"], 24, "{export}");
    assert!(
        report["stages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|stage| stage["name"] != "land_processed" && stage["name"] != "load_processed"),
        "the processed rows never left the warehouse: {}",
        report["stages"]
    );
    let reconciliations = report["reconciliation"].as_array().unwrap();
    assert_eq!(reconciliations.len(), 2);
    assert!(
        reconciliations.iter().all(|r| r["passed"] == true),
        "{reconciliations:?}"
    );
    assert_eq!(count(&dir, &format!("production.{PROCESSED}")), 24);
    assert_eq!(count(&dir, &format!("production.{RAW}")), 1435);
    let exported: Vec<PathBuf> = walk(&dir.join("data/production").join(PROCESSED));
    assert_eq!(exported.len(), 1, "{exported:?}");
    // The same input again adds no object: the export finds the partition
    // that already holds its rows, and removes itself.
    let again = report_of(&dir, &succeed(&dir, &flags, &[]));
    let export = stage(&again, "export_processed");
    assert_eq!(export["details"]["reused"], true, "{export}");
    for area in ["production", "staging"] {
        let folder = dir.join("data").join(area).join(PROCESSED);
        assert_eq!(walk(&folder).len(), 1, "{area}: {:?}", walk(&folder));
    }
    assert_eq!(count(&dir, &format!("production.{PROCESSED}")), 24);
    // In truncate mode too: staging then holds only this run's rows.
    let truncating = report_of(
        &dir,
        &succeed(
            &dir,
            &[&flags[..], &["--load-mode", "truncate"]].concat(),
            &[],
        ),
    );
    assert_eq!(truncating["outcome"], "promoted");
    assert_eq!(count(&dir, &format!("staging.{PROCESSED}")), 24);
    assert_eq!(count(&dir, &format!("production.{PROCESSED}")), 24);

    // The gates must check where the rows are.
    let output = contracts(&dir, &["run", "--transform", "warehouse"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("set `validation = \"warehouse\"`"),
        "{}",
        text(&output.stderr)
    );

    // And in BigQuery, exporting to GCS: production's configuration.
    let run = twice_on_the_emulators(
        "sql-transform",
        &[
            ("DATACONTRACT_TRANSFORM", "warehouse"),
            ("DATACONTRACT_VALIDATION", "warehouse"),
        ],
    );
    // Every query was dry-run first, and the report says what each stage
    // and the run cost (bqemulator estimates and bills 0 bytes: it has no
    // cost model, so only the counts are checked here).
    let report = run.last_report();
    let mut counted = 0;
    for stage in report["stages"].as_array().unwrap() {
        if let Some(usage) = stage.get("usage") {
            assert_eq!(usage["dry_runs"], usage["queries"], "{stage}");
            counted += usage["queries"].as_u64().unwrap();
        }
    }
    for name in [
        "load_raw",
        "gate_raw",
        "transform",
        "export_processed",
        "gate_processed",
    ] {
        assert!(
            stage(&report, name).get("usage").is_some(),
            "{name}: {report}"
        );
    }
    let total = report["usage"]["queries"].as_u64().unwrap();
    assert!(
        total >= counted && counted > 0,
        "{total} queries in all, {counted} in stages"
    );
    // In truncate mode too, BigQuery exporting to GCS: staging holds only
    // this run's rows, production the sample's once.
    let mut truncating = borrowed(&run.env);
    truncating.push(("DATACONTRACT_LOAD_MODE", "truncate"));
    let summary = succeed(&run.dir, &["run"], &truncating);
    assert!(summary.contains("promoted to production"), "{summary}");
    assert_eq!(
        bigquery_rows(&run.dir, &truncating, &run.staging, PROCESSED),
        24
    );
    assert_eq!(
        bigquery_rows(&run.dir, &truncating, &run.production, PROCESSED),
        24
    );
    assert_eq!(
        bigquery_rows(&run.dir, &truncating, &run.production, RAW),
        1435
    );
    // Staging tables are partitioned and clustered by the load's time, so
    // a gate or the transform reads only its run's rows.
    for table in [RAW, PROCESSED] {
        let definition = run.table_definition(&run.staging, table);
        assert_eq!(
            definition["timePartitioning"],
            serde_json::json!({ "type": "DAY", "field": "created_at" }),
            "{definition}"
        );
        assert_eq!(
            definition["clustering"]["fields"],
            serde_json::json!(["created_at"])
        );
    }
}

/// Two runs of the pipeline on the emulators, in a bucket and datasets of
/// their own.
struct OnEmulators {
    dir: PathBuf,
    env: Vec<(String, String)>,
    bucket: String,
    staging: String,
    production: String,
    /// The second run's summary.
    summary: String,
}

impl OnEmulators {
    /// The second run's `report.json`, read from the bucket.
    fn last_report(&self) -> serde_json::Value {
        use datacontract::store::{GcsStore, ObjectStore};
        let uri = self
            .summary
            .lines()
            .last()
            .unwrap()
            .strip_prefix(&format!("report: gs://{}/", self.bucket))
            .unwrap();
        let key = uri.replace("report.html", "report.json");
        let store = GcsStore::emulator(&self.bucket, &Emulators::from_env().gcs).unwrap();
        serde_json::from_slice(&store.get(&key).unwrap()).unwrap()
    }

    /// The emulated BigQuery's `tables.get` of `dataset.table`.
    fn table_definition(&self, dataset: &str, table: &str) -> serde_json::Value {
        use std::io::{Read, Write};
        let host = Emulators::from_env().bigquery;
        let mut connection = std::net::TcpStream::connect(host.as_str()).unwrap();
        write!(
            connection,
            "GET /bigquery/v2/projects/test-proj/datasets/{dataset}/tables/{table} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        connection.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
    }
}

/// Runs the pipeline twice on the emulators with `settings`, in a bucket
/// and datasets of its own named after `name`: both runs succeed, and
/// production holds the sample's rows once. Returns the work folder, the
/// environment and the production dataset.
fn twice_on_the_emulators(name: &str, settings: &[(&str, &str)]) -> OnEmulators {
    let emulators = Emulators::from_env();
    let dir = workdir(name);
    let suffix = format!("{}_{}", name.replace('-', "_"), std::process::id());
    let bucket = format!("pipeline-{}", suffix.replace('_', "-"));
    let (staging, production) = (format!("staging_{suffix}"), format!("production_{suffix}"));
    let mut env = emulators.env(&bucket, &staging, &production);
    env.extend(
        settings
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string())),
    );
    let borrowed_env = borrowed(&env);
    let mut summary = String::new();
    for _ in 0..2 {
        summary = succeed(&dir, &["run"], &borrowed_env);
        assert!(
            summary.contains(&format!("report: gs://{bucket}/runs/")),
            "{summary}"
        );
    }
    assert_eq!(
        bigquery_rows(&dir, &borrowed_env, &production, PROCESSED),
        24
    );
    assert_eq!(bigquery_rows(&dir, &borrowed_env, &production, RAW), 1435);
    OnEmulators {
        dir,
        env,
        bucket,
        staging,
        production,
        summary,
    }
}

/// The rows of `dataset.table` in the emulated BigQuery.
fn bigquery_rows(dir: &Path, env: &[(&str, &str)], dataset: &str, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM `test-proj`.`{dataset}`.`{table}`");
    let output = contracts(dir, &["query", &sql, "--format", "json"], env);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let row: serde_json::Value = serde_json::from_str(text(&output.stdout).trim()).unwrap();
    row["n"].as_i64().unwrap()
}

#[test]
fn a_failed_promotion_leaves_production_exactly_as_it_was() {
    let dir = workdir("failpoint");
    assert!(contracts(&dir, &["run"], &[]).status.success());
    let before = production(&dir);
    let input = later_input(&dir, 1);
    let run_input = [
        "run",
        "--source",
        "files",
        "--files",
        input.to_str().unwrap(),
    ];
    let output = contracts(
        &dir,
        &run_input,
        &[("DATACONTRACT_FAILPOINT", "promote:after-store-copy")],
    );
    let summary = text(&output.stdout);
    // A failed call to a service: exit 3, not the 2 of a usage or input
    // error, so that a CronJob can tell the two apart.
    assert_eq!(output.status.code(), Some(3), "{summary}");
    assert!(
        summary.contains("injected failure at promote:after-store-copy"),
        "{summary}"
    );
    assert!(summary.contains("rolled back"), "{summary}");
    assert_production_unchanged(&dir, &before);
    // Without the failure, the same input promotes.
    let output = contracts(&dir, &run_input, &[]);
    assert!(output.status.success(), "{}", text(&output.stdout));
    assert_eq!(count(&dir, &format!("production.{PROCESSED}")), 48);
}

#[test]
fn a_promotion_killed_midway_is_rolled_back_before_anything_reads_production() {
    let dir = workdir("kill");
    assert!(contracts(&dir, &["run"], &[]).status.success());
    let before = production(&dir);
    let input = later_input(&dir, 1);
    let mut child = Command::new(env!("CARGO_BIN_EXE_contracts"))
        .current_dir(&dir)
        .args([
            "run",
            "--source",
            "files",
            "--files",
            input.to_str().unwrap(),
        ])
        .env(
            "DATACONTRACT_FAILPOINT",
            "promote:after-warehouse-load:pause",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    for line in stderr.lines() {
        if line
            .unwrap()
            .contains("failpoint promote:after-warehouse-load: pausing")
        {
            break;
        }
    }
    // Mid-promotion: the new objects are copied and the tables loaded.
    assert!(dir.join("data/promotion/in-progress.json").exists());
    // While its holder lives, nothing rolls the promotion back, and no
    // query reads the half-written production.
    let sql = format!("SELECT count(*) AS n FROM production.{PROCESSED}");
    let blocked = contracts(&dir, &["query", &sql], &[]);
    assert!(!blocked.status.success());
    assert!(contracts(&dir, &["recover"], &[]).status.code() != Some(0));
    assert!(dir.join("data/promotion/in-progress.json").exists());
    child.kill().unwrap();
    child.wait().unwrap();
    // A query says what to do; `contracts recover` does it.
    let refused = contracts(&dir, &["query", &sql], &[]);
    assert!(
        text(&refused.stderr).contains("run `contracts recover`"),
        "{}",
        text(&refused.stderr)
    );
    let recovered = succeed(&dir, &["recover"], &[]);
    assert!(recovered.contains("rolled back"), "{recovered}");
    assert_production_unchanged(&dir, &before);
    assert!(!dir.join("data/promotion/in-progress.json").exists());
}

#[test]
fn the_pipeline_runs_on_the_emulators() {
    let OnEmulators {
        dir,
        env,
        production,
        ..
    } = twice_on_the_emulators("emulators", &[]);
    let env = borrowed(&env);
    // The deployed BigQuery tables match their contracts.
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let lock = lock.to_str().unwrap();
    let check = [
        "check",
        "--dir",
        lock,
        "--warehouse",
        "--bigquery-project",
        "test-proj",
    ];
    let summary = succeed(
        &dir,
        &[&check[..], &["--dataset", &production]].concat(),
        &env,
    );
    assert!(summary.ends_with(": ok\n"), "{summary}");
    let missing = format!("{production}_missing");
    let output = contracts(&dir, &[&check[..], &["--dataset", &missing]].concat(), &env);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stdout).contains("[warehouse/table_missing]"));
}

#[test]
fn files_are_read_from_gcs_too() {
    use datacontract::store::{GcsStore, ObjectStore};
    let gcs = Emulators::from_env().gcs;
    let dir = workdir("gcs-files");
    let bucket = format!("files-{}", std::process::id());
    let store = GcsStore::emulator(&bucket, &gcs).unwrap();
    store.create_bucket().unwrap();
    store
        .put("input/klines.csv", klines_csv("62001").as_bytes())
        .unwrap();
    let uri = format!("gs://{bucket}/input/klines.csv");
    let summary = succeed(
        &dir,
        &["run", "--source", "files", "--files", &uri],
        &[("STORAGE_EMULATOR_HOST", gcs.as_str())],
    );
    assert!(
        summary.contains(&format!("2 rows from 1 file(s): {uri}")),
        "{summary}"
    );
    assert_eq!(count(&dir, &format!("production.{PROCESSED}")), 1);
}

#[test]
fn invalid_configuration_names_the_key_and_its_origin() {
    let dir = workdir("config");
    let output = contracts(&dir, &["run"], &[("DATACONTRACT_LOAD_MODE", "sometimes")]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr).trim(),
        "error: invalid configuration: `load_mode` (from environment variable DATACONTRACT_LOAD_MODE): `sometimes` is not `append` or `truncate` (also called `write`)"
    );
}

#[test]
fn the_committed_sample_is_what_the_seeded_generator_makes() {
    use datacontract_contracts::sample::{SAMPLE, SEED, generate};
    assert!(
        generate(SEED) == SAMPLE,
        "regenerate it: see contracts/src/sample.rs"
    );
}

#[test]
fn the_files_source_reads_csv_as_its_settings_say() {
    let dir = workdir("files-options");
    // No header, `;` between fields, day-first times without a zone.
    let csv = dir.join("klines.csv");
    std::fs::write(
        &csv,
        "01/03/2024 00:00:00.000;62000;62010;61990;62005;1.5;01/03/2024 00:00:59.999;93000;10;0.5;31000;BTCUSDT;1m\n\
         01/03/2024 00:01:00.000;62005;62010;61990;62000;1.5;01/03/2024 00:01:59.999;93000;10;0.5;31000;BTCUSDT;1m\n",
    )
    .unwrap();
    let file = csv.to_str().unwrap();
    let args = [
        "run",
        "--quiet",
        "--source",
        "files",
        "--files",
        file,
        "--files-delimiter",
        ";",
        "--files-header",
        "false",
        "--files-timestamp-format",
        "%d/%m/%Y %H:%M:%S%.3f",
    ];
    let output = contracts(&dir, &args, &[]);
    let summary = text(&output.stdout);
    let report = summary
        .lines()
        .last()
        .and_then(|line| line.strip_prefix("report: "))
        .unwrap_or_else(|| panic!("{summary}{}", text(&output.stderr)));
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(report).with_file_name("report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["stages"][0]["name"], "extract");
    assert_eq!(json["stages"][0]["rows_out"], 2, "{summary}");
    assert_eq!(json["raw_validation"]["passed"], true, "{summary}");

    // The same file read with the defaults: its first line is taken for a
    // header of one column, which the error explains.
    let output = contracts(
        &dir,
        &["run", "--quiet", "--source", "files", "--files", file],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stdout).contains("the file seems delimited by ';', not ','"),
        "{}",
        text(&output.stdout)
    );

    // A setting that makes no sense stops the run before it opens anything.
    let output = contracts(
        &dir,
        &[&args[..6], &["--files-delimiter", ";;"]].concat(),
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let error = text(&output.stderr);
    assert!(
        error.contains(
            "`files_delimiter` (from flag --files-delimiter): `;;` is not one ASCII character"
        ),
        "{error}"
    );
}
