//! The reference validation workload of ../shared/bench/peers.py: the
//! flights contract, the data at K copies, and the same counts written by
//! hand in Polars. Shared by `benches/validate.rs` and
//! `examples/flights.rs` (which one-shot runs are measured with).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use datacontract::DataContract;
use polars::prelude::*;

/// The workload of peers.py as a contract: every check has severity error.
#[derive(DataContract)]
#[contract(
    name = "flights",
    dedup_key(date, delay, distance, origin, destination),
    rule("origin != destination")
)]
#[allow(dead_code)]
pub struct Flight {
    #[contract(min = "2001-01-01T00:00:00", max_exclusive = "2002-01-01T00:00:00")]
    date: chrono::NaiveDateTime,
    #[contract(min = -720, max = 1440)]
    delay: i64,
    #[contract(min_exclusive = 0, max = 5000)]
    distance: i64,
    #[contract(regex = "^[A-Z]{3}$")]
    origin: String,
    #[contract(regex = "^[A-Z]{3}$")]
    destination: String,
}

/// The data stacked `copies` times, copy i shifted by i seconds (as peers.py).
pub fn load(path: &Path, copies: i64) -> DataFrame {
    assert!(
        path.exists(),
        "no benchmark data at {}: set DATACONTRACT_BENCH_DATA",
        path.display()
    );
    let scan = LazyFrame::scan_parquet(
        PlRefPath::from(path.to_string_lossy().as_ref()),
        Default::default(),
    )
    .expect("a Parquet file");
    let copies: Vec<LazyFrame> = (0..copies)
        .map(|i| {
            scan.clone()
                .with_column(col("date") + lit(Duration::parse(&format!("{i}s"))))
        })
        .collect();
    concat(
        copies,
        UnionArgs {
            rechunk: true,
            ..Default::default()
        },
    )
    .and_then(LazyFrame::collect)
    .expect("the flights data loads")
}

/// The same counts, written by hand: one select of failure sums.
pub fn hand_written(frame: &DataFrame) -> DataFrame {
    let start = lit(NaiveDate::from_ymd_opt(2001, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap());
    let end = lit(NaiveDate::from_ymd_opt(2002, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap());
    let code = |name: &str| col(name).str().contains(lit("^[A-Z]{3}$"), true).not();
    let key = as_struct(
        ["date", "delay", "distance", "origin", "destination"]
            .map(col)
            .to_vec(),
    );
    frame
        .clone()
        .lazy()
        .select([
            len(),
            col("date")
                .lt(start)
                .or(col("date").gt_eq(end))
                .sum()
                .alias("date"),
            col("delay")
                .lt(lit(-720))
                .or(col("delay").gt(lit(1440)))
                .sum()
                .alias("delay"),
            col("distance")
                .lt_eq(lit(0))
                .or(col("distance").gt(lit(5000)))
                .sum()
                .alias("distance"),
            code("origin").sum().alias("origin"),
            code("destination").sum().alias("destination"),
            col("origin").eq(col("destination")).sum().alias("rule"),
            key.is_duplicated().sum().alias("dedup"),
        ])
        .collect()
        .expect("the hand-written query runs")
}

/// The data file: `$DATACONTRACT_BENCH_DATA`, or
/// `../shared/data/flights-3m.parquet` beside the checkout.
pub fn data_path() -> PathBuf {
    std::env::var_os("DATACONTRACT_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/flights-3m.parquet")
        })
}
