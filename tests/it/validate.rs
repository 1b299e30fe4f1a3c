//! The validation engine on small frames: every kind of check, examples,
//! schema policies, the split, and the edge cases.

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use datacontract::report::{FAILED_CHECKS_COLUMN, Status};
use datacontract::validate::{Kernels, Options, SchemaPolicy, validate};
use datacontract::{DataContract, Report, Validate};
use polars::prelude::*;

/// The reference workload's table, as a contract.
#[derive(DataContract)]
#[contract(
    name = "flights",
    dedup_key(date, delay, distance, origin, destination),
    rule("origin != destination"),
    row_count(min = 1),
    freshness(date, max_age = "2d")
)]
#[allow(dead_code)]
struct Flight {
    #[contract(min = "2001-01-01T00:00:00", max_exclusive = "2002-01-01T00:00:00")]
    date: chrono::NaiveDateTime,
    #[contract(min = -720, max = 1440, expect(mean(min = -10, max = 30, severity = "warn")))]
    delay: i64,
    #[contract(min_exclusive = 0, max = 5000)]
    distance: i64,
    #[contract(regex = "^[A-Z]{3}$")]
    origin: String,
    #[contract(regex = "^[A-Z]{3}$", one_of("SFO", "LAX", "JFK", "ORD"))]
    destination: String,
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2001, 1, d).unwrap()
}

fn flights(rows: &[(u32, i64, i64, &str, &str)]) -> DataFrame {
    let dates: Vec<_> = rows
        .iter()
        .map(|r| day(r.0).and_hms_opt(10, 0, 0).unwrap())
        .collect();
    df!(
        "date" => dates,
        "delay" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "distance" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "origin" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        "destination" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
    )
    .unwrap()
    .lazy()
    .with_column(col("date").cast(DataType::Datetime(TimeUnit::Microseconds, None)))
    .collect()
    .unwrap()
}

fn options() -> Options {
    Options {
        reference_time: Some(Utc.with_ymd_and_hms(2001, 1, 5, 0, 0, 0).unwrap()),
        ..Options::default()
    }
}

fn coerced() -> Options {
    Options {
        schema_policy: SchemaPolicy::Coerce,
        ..options()
    }
}

fn run(frame: DataFrame) -> Report {
    validate(frame, &Flight::contract(), &options()).unwrap()
}

fn failing(report: &Report, id: &str) -> u64 {
    let check = report.check(id).unwrap_or_else(|| panic!("no check {id}"));
    check
        .failing_rows
        .unwrap_or_else(|| panic!("{id} counts no rows"))
}

/// Ids of the checks that failed.
fn failed(report: &Report) -> Vec<&str> {
    report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.id.as_str())
        .collect()
}

const CLEAN: &[(u32, i64, i64, &str, &str)] = &[
    (3, 5, 300, "SFO", "LAX"),
    (3, -3, 2500, "JFK", "SFO"),
    (4, 20, 700, "ORD", "JFK"),
];

#[test]
fn clean_data_passes_every_check() {
    let report = run(flights(CLEAN));
    assert!(report.passed, "{}", report.render_text(false));
    assert_eq!(failed(&report), Vec::<&str>::new());
    assert_eq!(report.input.rows, 3);
    assert_eq!(report.summary.skipped, 0);
    let ids: Vec<_> = report.checks.iter().map(|c| c.id.as_str()).collect();
    for id in [
        "date.not_null",
        "date.range",
        "delay.range",
        "distance.range",
        "origin.regex",
        "destination.regex",
        "destination.one_of",
        "dedup_key",
        "rule.origin_ne_destination",
        "delay.mean",
        "row_count",
        "freshness",
    ] {
        assert!(ids.contains(&id), "missing {id} in {ids:?}");
    }
}

#[test]
fn each_violation_fails_its_own_check_with_examples() {
    let rows = [
        (3, 5, 300, "SFO", "LAX"),
        (3, 2000, 300, "SFO", "LAX"), // delay out of range
        (3, 5, 0, "SFO", "LAX"),      // distance: exclusive minimum
        (3, 5, 300, "sfo", "LAX"),    // origin regex
        (3, 5, 300, "SFO", "BOS"),    // one_of
        (3, 5, 300, "LAX", "LAX"),    // rule
    ];
    let report = run(flights(&rows));
    assert!(!report.passed);
    assert_eq!(failing(&report, "delay.range"), 1);
    assert_eq!(failing(&report, "distance.range"), 1);
    assert_eq!(failing(&report, "origin.regex"), 1);
    assert_eq!(failing(&report, "destination.one_of"), 1);
    assert_eq!(failing(&report, "rule.origin_ne_destination"), 1);
    assert_eq!(failing(&report, "dedup_key"), 0);
    let delay = report.check("delay.range").unwrap();
    assert_eq!(delay.examples.len(), 1);
    assert_eq!(delay.examples[0].row, Some(1));
    assert_eq!(delay.examples[0].values["delay"], serde_json::json!(2000));
    assert_eq!(delay.expected, ">= -720 and <= 1440");
    let rule = report.check("rule.origin_ne_destination").unwrap();
    assert_eq!(rule.columns, ["origin", "destination"]);
    assert_eq!(rule.examples[0].values["origin"], serde_json::json!("LAX"));
    assert!(report.check("delay.mean").unwrap().status == Status::Fail);
    assert_eq!(report.summary.failed_warnings, 1);
}

#[test]
fn dedup_counts_rows_and_distinct_keys() {
    let rows = [
        (3, 5, 300, "SFO", "LAX"),
        (3, 5, 300, "SFO", "LAX"),
        (3, 5, 300, "SFO", "LAX"),
        (4, 1, 10, "JFK", "ORD"),
        (4, 1, 10, "JFK", "ORD"),
        (4, 2, 10, "JFK", "ORD"),
    ];
    let report = run(flights(&rows));
    let dedup = report.check("dedup_key").unwrap();
    assert_eq!(dedup.failing_rows, Some(5));
    assert_eq!(
        dedup.observed,
        Some(serde_json::json!({"duplicated_rows": 5, "duplicated_keys": 2}))
    );
    let rows: Vec<u64> = dedup.examples.iter().filter_map(|e| e.row).collect();
    assert_eq!(rows, [0, 1, 2, 3, 4]);
}

#[test]
fn examples_are_bounded() {
    let rows: Vec<_> = (0..50).map(|i| (3, 2000 + i, 300, "SFO", "LAX")).collect();
    let report = validate(
        flights(&rows),
        &Flight::contract(),
        &Options {
            max_examples: 4,
            ..options()
        },
    )
    .unwrap();
    let delay = report.check("delay.range").unwrap();
    assert_eq!(delay.failing_rows, Some(50));
    assert_eq!(delay.failing_fraction, Some(1.0));
    assert_eq!(
        delay
            .examples
            .iter()
            .filter_map(|e| e.row)
            .collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
}

#[test]
fn statistics_report_the_observed_value() {
    let report = run(flights(CLEAN));
    let mean = report.check("delay.mean").unwrap();
    assert_eq!(mean.status, Status::Pass);
    let observed = mean.observed.as_ref().unwrap().as_f64().unwrap();
    assert!((observed - 22.0 / 3.0).abs() < 1e-9);
    assert_eq!(mean.expected, "mean between -10 and 30");
    let rows = report.check("row_count").unwrap();
    assert_eq!(rows.observed, Some(serde_json::json!(3.0)));
}

#[test]
fn freshness_is_measured_against_the_reference_time() {
    let report = run(flights(CLEAN));
    let fresh = report.check("freshness").unwrap();
    assert_eq!(fresh.status, Status::Pass, "{:?}", fresh.observed);
    assert_eq!(fresh.observed.as_ref().unwrap()["age_seconds"], 14 * 3600);
    let later = Options {
        reference_time: Some(Utc.with_ymd_and_hms(2001, 1, 9, 0, 0, 0).unwrap()),
        ..Options::default()
    };
    let stale = validate(flights(CLEAN), &Flight::contract(), &later).unwrap();
    assert_eq!(stale.check("freshness").unwrap().status, Status::Fail);
}

#[test]
fn a_missing_column_is_one_finding_and_its_checks_are_skipped() {
    let frame = flights(CLEAN).drop("distance").unwrap();
    let report = run(frame);
    let missing = report.check("distance.missing").unwrap();
    assert_eq!(missing.status, Status::Fail);
    let range = report.check("distance.range").unwrap();
    assert_eq!(range.status, Status::Skipped);
    assert_eq!(
        range.message.as_deref(),
        Some("skipped: the column is missing")
    );
    assert_eq!(report.check("dedup_key").unwrap().status, Status::Skipped);
    assert_eq!(report.check("delay.range").unwrap().status, Status::Pass);
    assert!(!report.passed);
}

#[test]
fn a_wrong_dtype_is_a_finding_unless_coerced() {
    let frame = flights(CLEAN)
        .lazy()
        .with_column(col("delay").cast(DataType::Int32))
        .collect()
        .unwrap();
    let strict = run(frame.clone());
    assert_eq!(strict.check("delay.dtype").unwrap().status, Status::Fail);
    assert_eq!(strict.check("delay.range").unwrap().status, Status::Skipped);
    let coerced = validate(frame, &Flight::contract(), &coerced()).unwrap();
    assert!(coerced.passed, "{}", coerced.render_text(false));
    assert_eq!(coerced.check("delay.parse").unwrap().failing_rows, Some(0));
}

#[test]
fn coercion_reports_values_that_do_not_parse() {
    let frame = df!(
        "date" => ["2001-01-03T10:00:00", "yesterday", "2001-01-04T08:30:00"],
        "delay" => ["5", "7", "soon"],
        "distance" => [300i64, 400, 500],
        "origin" => ["SFO", "JFK", "ORD"],
        "destination" => ["LAX", "SFO", "JFK"],
    )
    .unwrap();
    let report = validate(frame, &Flight::contract(), &coerced()).unwrap();
    let date = report.check("date.parse").unwrap();
    assert_eq!(date.failing_rows, Some(1));
    assert_eq!(date.examples[0].row, Some(1));
    assert_eq!(
        date.examples[0].values["date"],
        serde_json::json!("yesterday")
    );
    assert_eq!(report.check("delay.parse").unwrap().failing_rows, Some(1));
    assert!(!report.passed);
}

#[test]
fn strict_policy_rejects_extra_columns() {
    let frame = flights(CLEAN)
        .lazy()
        .with_column(lit(1).alias("extra"))
        .collect()
        .unwrap();
    let lenient = run(frame.clone());
    assert!(lenient.passed);
    let strict = validate(
        frame,
        &Flight::contract(),
        &Options {
            schema_policy: SchemaPolicy::Strict,
            ..options()
        },
    )
    .unwrap();
    assert_eq!(
        strict.check("extra.unexpected").unwrap().status,
        Status::Fail
    );
}

#[test]
fn split_quarantines_rows_failing_error_checks() {
    let rows = [
        (3, 5, 300, "SFO", "LAX"),
        (3, 2000, 300, "SFO", "SFO"),
        (4, 20, 700, "ORD", "JFK"),
    ];
    let report = validate(
        flights(&rows),
        &Flight::contract(),
        &Options {
            split: true,
            ..options()
        },
    )
    .unwrap();
    let split = report.split.as_ref().unwrap();
    assert_eq!(split.valid.height(), 2);
    assert_eq!(split.quarantined.height(), 1);
    let failed = split
        .quarantined
        .column(FAILED_CHECKS_COLUMN)
        .unwrap()
        .get(0)
        .unwrap();
    let AnyValue::List(ids) = failed else {
        panic!("{failed:?}")
    };
    let ids: Vec<String> = ids
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(String::from)
        .collect();
    assert_eq!(ids, ["delay.range", "rule.origin_ne_destination"]);
    assert_eq!(
        split.valid.get_column_names(),
        split.quarantined.get_column_names()[..5]
    );
}

#[test]
fn an_empty_frame_fails_only_its_row_count_and_freshness() {
    let report = run(flights(&[]));
    assert_eq!(report.input.rows, 0);
    assert_eq!(failed(&report), ["row_count", "freshness"]);
    assert_eq!(report.check("dedup_key").unwrap().failing_rows, Some(0));
    assert_eq!(report.check("delay.mean").unwrap().status, Status::Skipped);
}

/// Floats, NULLs, time zones and text for the edge cases.
#[derive(DataContract)]
#[allow(dead_code)]
struct Edges {
    #[contract(min = 0.0, max = 1.0)]
    ratio: Option<f64>,
    #[contract(regex = "^[\\p{L} ]+$", length(max = 8))]
    name: Option<String>,
    #[contract(unique)]
    code: Option<i64>,
    at: DateTime<Utc>,
}

fn edges(ratio: Vec<Option<f64>>, name: Vec<Option<&str>>, code: Vec<Option<i64>>) -> DataFrame {
    let n = ratio.len() as i64;
    df!("ratio" => ratio, "name" => name, "code" => code, "at" => (0..n).collect::<Vec<_>>())
        .unwrap()
        .lazy()
        .with_column(col("at").cast(DataType::Datetime(
            TimeUnit::Microseconds,
            Some(polars::prelude::TimeZone::UTC),
        )))
        .collect()
        .unwrap()
}

#[test]
fn nan_and_infinities_fail_a_range_and_nulls_pass_it() {
    let frame = edges(
        vec![
            Some(0.5),
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(f64::NEG_INFINITY),
            None,
        ],
        vec![None; 5],
        vec![None; 5],
    );
    let report = validate(frame, &Edges::contract(), &Options::default()).unwrap();
    assert_eq!(failing(&report, "ratio.range"), 3);
    let values: Vec<_> = report
        .check("ratio.range")
        .unwrap()
        .examples
        .iter()
        .map(|e| e.values["ratio"].clone())
        .collect();
    assert_eq!(
        values,
        [
            serde_json::json!("NaN"),
            serde_json::json!("inf"),
            serde_json::json!("-inf")
        ]
    );
}

#[test]
fn an_all_null_column_passes_value_checks_and_unique() {
    let report = validate(
        edges(vec![None; 3], vec![None; 3], vec![None; 3]),
        &Edges::contract(),
        &Options::default(),
    )
    .unwrap();
    assert!(report.passed, "{}", report.render_text(false));
    assert_eq!(failing(&report, "code.unique"), 0);
}

#[test]
fn unicode_strings_under_regex_and_length() {
    let frame = edges(
        vec![None; 4],
        vec![Some("Zoë"), Some("Ærøskøbing"), Some("北京"), Some("R2D2")],
        vec![Some(1), Some(2), Some(2), None],
    );
    let report = validate(frame, &Edges::contract(), &Options::default()).unwrap();
    assert_eq!(failing(&report, "name.regex"), 1, "digits are not letters");
    assert_eq!(
        failing(&report, "name.length"),
        1,
        "Ærøskøbing has 10 characters"
    );
    assert_eq!(failing(&report, "code.unique"), 2);
}

#[test]
fn timestamps_without_a_time_zone_do_not_match_timestamp() {
    let frame = edges(vec![None], vec![None], vec![None])
        .lazy()
        .with_column(col("at").cast(DataType::Datetime(TimeUnit::Microseconds, None)))
        .collect()
        .unwrap();
    let report = validate(frame.clone(), &Edges::contract(), &Options::default()).unwrap();
    let finding = report.check("at.dtype").unwrap();
    assert_eq!(
        finding.message.as_deref(),
        Some("the column is datetime[μs], not datetime[μs, UTC]")
    );
    let nanos = frame
        .lazy()
        .with_column(col("at").cast(DataType::Datetime(
            TimeUnit::Nanoseconds,
            Some(polars::prelude::TimeZone::UTC),
        )))
        .collect()
        .unwrap();
    let coerced = validate(
        nanos,
        &Edges::contract(),
        &Options {
            schema_policy: SchemaPolicy::Coerce,
            ..Options::default()
        },
    )
    .unwrap();
    assert!(coerced.passed, "{}", coerced.render_text(false));
}

#[test]
fn a_lazy_scan_is_validated_in_one_streaming_pass() {
    let report = Flight::validate(flights(CLEAN).lazy()).unwrap();
    assert_eq!(report.input.rows, 3);
    assert_eq!(report.input.description, "lazy frame");
}

#[test]
fn the_report_has_a_json_schema() {
    let schema = serde_json::to_value(Report::json_schema()).unwrap();
    assert_eq!(schema["title"], "Report");
    let required = schema["required"].as_array().unwrap();
    for key in [
        "format", "contract", "input", "timings", "passed", "summary", "checks",
    ] {
        assert!(required.contains(&key.into()), "{key} is not required");
    }
    insta::assert_json_snapshot!("report.schema.json", schema);
}

#[test]
fn text_is_coloured_only_when_asked() {
    let rows = [(3, 2000, 300, "SFO", "LAX")];
    let report = run(flights(&rows));
    let plain = report.render_text(false);
    let coloured = report.render_text(true);
    assert!(!plain.contains('\x1b'));
    assert!(
        coloured.contains("\x1b[31mFAIL \x1b[0m delay.range"),
        "{coloured}"
    );
    assert!(
        plain.contains("FAIL  delay.range: 1 rows (100.00%) fail; expected >= -720 and <= 1440")
    );
    assert!(plain.contains("        row 0 delay=2000"), "{plain}");
}

/// A record column, for shape checks.
#[derive(DataContract)]
#[allow(dead_code)]
struct Point {
    x: i64,
    #[contract(min = 0)]
    y: i64,
}

/// A table with a record and an array.
#[derive(DataContract)]
#[allow(dead_code)]
struct Shapes {
    point: Point,
    tags: Vec<String>,
}

fn shapes(y: &[i64], point_fields: &[&str]) -> DataFrame {
    let n = y.len();
    let mut fields = Vec::new();
    for name in point_fields {
        let values: Vec<i64> = if *name == "y" { y.to_vec() } else { vec![1; n] };
        fields.push(Series::new((*name).into(), values));
    }
    let point = StructChunked::from_series("point".into(), n, fields.iter())
        .unwrap()
        .into_series();
    let tags = Series::new("tags".into(), vec![Series::new("".into(), ["a", "b"]); n]);
    DataFrame::new_infer_height(vec![point.into_column(), tags.into_column()]).unwrap()
}

#[test]
fn record_sub_fields_are_checked_under_dotted_ids() {
    let report = validate(
        shapes(&[1, -2, 3], &["x", "y"]),
        &Shapes::contract(),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(failed(&report), ["point.y.range"]);
    assert_eq!(
        report.check("point.y.range").unwrap().examples[0].row,
        Some(1)
    );
    assert_eq!(
        report.check("tags.not_null").map(|c| c.status),
        None,
        "arrays are never NULL"
    );
}

#[test]
fn a_record_of_the_wrong_shape_is_one_finding() {
    let report = validate(
        shapes(&[1, 2], &["x"]),
        &Shapes::contract(),
        &Options::default(),
    )
    .unwrap();
    let finding = report.check("point.dtype").unwrap();
    assert_eq!(finding.status, Status::Fail);
    assert!(
        finding.message.as_deref().unwrap().contains("struct[1]"),
        "{finding:?}"
    );
    assert_eq!(
        report.check("point.y.range").unwrap().status,
        Status::Skipped
    );
}

#[test]
fn a_bound_that_is_not_a_number_is_an_error_not_ignored() {
    let mut contract = Flight::contract();
    let delay = contract
        .fields
        .iter_mut()
        .find(|field| field.name == "delay")
        .unwrap();
    delay.expectations[0].min = Some(datacontract::Literal::String("ten".into()));
    let frame = flights(&[(1, 5, 100, "SFO", "LAX")]);
    let error = validate(frame, &contract, &options())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("delay.mean") && error.contains("ten") && error.contains("not a number"),
        "{error}"
    );
}

/// A table keyed by two columns, with a code, for files read in morsels.
#[derive(DataContract)]
#[contract(name = "keyed", dedup_key(a, b))]
#[allow(dead_code)]
struct Keyed {
    a: i64,
    b: i64,
    #[contract(regex = "^[A-Z]{3}$")]
    code: String,
}

/// Files are validated on the streaming engine, which reads them in
/// morsels: a key repeated in the first and the last row, and one repeated
/// in three row groups, are found across them and counted as two keys, and
/// a bad code in the middle is found, by either kernels alike (the native
/// ones keep a hash per row in the pass and decide the rows sharing one
/// afterwards).
#[test]
fn a_file_s_duplicates_are_found_across_its_morsels_by_either_kernels() {
    let rows = 300_000i64;
    let key_of = |row: i64| match row {
        _ if row == rows - 1 => 0,
        150_000 | 250_000 => 100_000,
        _ => row,
    };
    let a: Vec<i64> = (0..rows).map(key_of).collect();
    let b: Vec<i64> = (0..rows).map(|row| key_of(row) * 7).collect();
    let code: Vec<&str> = (0..rows)
        .map(|row| if row == rows / 2 { "AB1" } else { "ABC" })
        .collect();
    let mut frame = df!("a" => a, "b" => b, "code" => code).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyed.parquet");
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .with_row_group_size(Some(10_000))
        .finish(&mut frame)
        .unwrap();
    let mut reports = Vec::new();
    for kernels in [Kernels::Native, Kernels::Polars] {
        let input =
            datacontract::input::read_files(std::slice::from_ref(&path), &Default::default())
                .unwrap();
        let options = Options {
            kernels,
            ..Options::default()
        };
        let report = validate(input, &Keyed::contract(), &options).unwrap();
        let dedup = report.check("dedup_key").unwrap();
        assert_eq!(failing(&report, "dedup_key"), 5, "{kernels:?}");
        assert_eq!(
            dedup.observed.as_ref().unwrap()["duplicated_keys"],
            2,
            "{kernels:?}"
        );
        let duplicates: Vec<u64> = dedup.examples.iter().filter_map(|e| e.row).collect();
        let last = rows as u64 - 1;
        assert_eq!(
            duplicates,
            [0, 100_000, 150_000, 250_000, last],
            "{kernels:?}"
        );
        assert_eq!(failing(&report, "code.regex"), 1, "{kernels:?}");
        reports.push(report.checks);
    }
    assert_eq!(reports[0], reports[1]);
}
