//! Properties of the validation engine over generated frames: a frame the
//! strategy generates passes, breaking one check fails that check and no
//! other, and the native kernels report exactly what Polars reports.

use chrono::{DateTime, NaiveDate, Utc};
use datacontract::report::Status;
use datacontract::testing::{valid_frames, violate};
use datacontract::validate::{Input, Kernels, Options, validate};
use datacontract::{DataContract, Report};
use polars::prelude::*;
use proptest::prelude::*;

/// One check per column, so one broken value breaks one check.
#[derive(DataContract)]
#[contract(dedup_key(k1, k2), rule("lo <= hi"))]
#[allow(dead_code)]
struct Sample {
    k1: i64,
    #[contract(regex = "^[A-Z]{2}$")]
    k2: String,
    #[contract(min = -5, max_exclusive = 100)]
    n: i64,
    #[contract(min_exclusive = 0.0, max = 1.0)]
    ratio: Option<f64>,
    #[contract(length(min = 1, max = 5))]
    word: String,
    #[contract(one_of("a", "b"))]
    choice: Option<String>,
    #[contract(unique)]
    serial: i64,
    #[contract(min = "2020-01-01", max = "2020-12-31")]
    day: NaiveDate,
    #[contract(max = "2030-01-01T00:00:00Z")]
    at: DateTime<Utc>,
    #[contract(email)]
    mail: Option<String>,
    lo: i64,
    hi: i64,
}

/// The checks `violate` can break, and the REQUIRED columns' not-null checks.
const BREAKABLE: &[&str] = &[
    "k2.regex",
    "n.range",
    "ratio.range",
    "word.length",
    "choice.one_of",
    "serial.unique",
    "day.range",
    "at.range",
    "mail.email",
    "dedup_key",
    "k1.not_null",
    "word.not_null",
];

fn check(frame: DataFrame) -> Report {
    validate(frame, &Sample::contract(), &Options::default()).unwrap()
}

fn failed(report: &Report) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.id.clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_frames_pass(frame in valid_frames(&Sample::contract(), 0..30)) {
        let report = check(frame);
        prop_assert!(failed(&report).is_empty(), "{}", report.render_text(false));
    }

    #[test]
    fn one_violation_fails_exactly_its_check(
        frame in valid_frames(&Sample::contract(), 2..20),
        which in 0..BREAKABLE.len(),
    ) {
        let id = BREAKABLE[which];
        // Rows dropped for keys or rules may leave fewer than the two rows a
        // duplicate needs; then there is nothing to break.
        if let Some(broken) = violate(&frame, &Sample::contract(), id) {
            let report = check(broken);
            prop_assert_eq!(failed(&report), vec![id.to_string()], "{}", report.render_text(false));
        }
    }

    #[test]
    fn the_native_kernels_report_what_polars_reports(
        frame in valid_frames(&Sample::contract(), 0..40),
        broken in proptest::sample::subsequence(BREAKABLE.to_vec(), 0..=3),
    ) {
        let frame = broken.iter().fold(frame, |frame, id| {
            violate(&frame, &Sample::contract(), id).unwrap_or(frame)
        });
        let with = |input: Input, kernels| {
            let options = Options { kernels, ..Options::default() };
            validate(input, &Sample::contract(), &options).unwrap().checks
        };
        let polars = with(frame.clone().into(), Kernels::Polars);
        prop_assert_eq!(&with(frame.clone().into(), Kernels::Native), &polars, "on {}", frame);
        // A lazy input streams: its keys are hashed in the pass and decided
        // after it.
        prop_assert_eq!(&with(frame.clone().lazy().into(), Kernels::Native), &polars, "on {}", frame);
    }

    #[test]
    fn a_false_rule_fails_only_the_rule(frame in valid_frames(&Sample::contract(), 1..20)) {
        prop_assume!(frame.height() > 0, "keys or rules dropped every row");
        let broken = frame
            .lazy()
            .with_column(
                when(col("lo").cum_count(false).eq(lit(1)))
                    .then(col("hi") + lit(1))
                    .otherwise(col("lo"))
                    .alias("lo"),
            )
            .collect()
            .unwrap();
        let report = check(broken);
        prop_assert_eq!(failed(&report), vec!["rule.lo_le_hi".to_string()]);
    }
}

#[test]
fn every_breakable_check_exists() {
    let ids: Vec<String> = datacontract::check::plan(&Sample::contract())
        .into_iter()
        .map(|c| c.id)
        .collect();
    for id in BREAKABLE {
        assert!(
            ids.contains(&id.to_string()),
            "{id} is not a check of Sample: {ids:?}"
        );
    }
}

#[test]
fn violate_can_break_every_listed_check() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = valid_frames(&Sample::contract(), 10..11);
    let frame = loop {
        let frame = strategy.new_tree(&mut runner).unwrap().current();
        let keys_have_values = frame.column("serial").unwrap().null_count() == 0;
        if frame.height() >= 2 && keys_have_values {
            break frame;
        }
    };
    for id in BREAKABLE {
        let broken = violate(&frame, &Sample::contract(), id);
        assert!(broken.is_some(), "cannot break {id}");
        assert_eq!(failed(&check(broken.unwrap())), [id.to_string()]);
    }
}
