//! The deployed hourly job makes the bars a daily run makes. Two local
//! setups start from the same promoted day; then one runs the next day's
//! klines at once, the other hour by hour, 24 runs, each reading the
//! production history of the 24 hours before it. Both must leave the very
//! same production rows, returns, volatility and outlier flags included.
//! A third setup runs the same hours with the transform inside the
//! warehouse (`transform = "warehouse"`, its SQL over DuckDB, the history
//! read there too): its rows must be the daily run's, floats within a
//! relative 1e-9.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::support::runs;

use runs::{PROCESSED, RAW, run_on, shifted_klines, succeed, workdir, write_parquet};

/// The sample's klines as they arrived (the first run's raw partition),
/// `days` days later.
fn sample_klines(days: i64) -> DataFrame {
    let dir = workdir("history-sample");
    succeed(&dir, &["run", "--quiet"], &[]);
    shifted_klines(&dir, days)
}

/// Every production row of both tables, data columns only, in key order.
fn production(dir: &Path) -> String {
    [
        (RAW, "symbol, \"interval\", open_time"),
        (PROCESSED, "symbol, bar_start"),
    ]
    .iter()
    .map(|(table, key)| {
        succeed(
            dir,
            &[
                "query",
                &format!(
                    "SELECT * EXCLUDE (created_at, updated_at) FROM production.{table} ORDER BY {key}"
                ),
                "--format",
                "csv",
            ],
            &[],
        )
    })
    .collect()
}

#[test]
fn twenty_four_hourly_runs_make_the_bars_of_one_daily_run() {
    let files = workdir("history-files");
    let day_before = write_parquet(&sample_klines(0), &files.join("day-before.parquet"));
    let day = sample_klines(1);
    let whole_day = write_parquet(&day, &files.join("day.parquet"));
    let hour = col("open_time").dt().hour();
    let hours: Vec<PathBuf> = (0..24)
        .map(|h| {
            let rows = day
                .clone()
                .lazy()
                .filter(hour.clone().eq(lit(h as i8)))
                .collect()
                .unwrap();
            assert!(rows.height() > 0, "hour {h} has no kline");
            write_parquet(&rows, &files.join(format!("hour-{h:02}.parquet")))
        })
        .collect();

    let daily = workdir("history-daily");
    run_on(&daily, &day_before, &[]);
    run_on(&daily, &whole_day, &[]);

    let hourly = workdir("history-hourly");
    run_on(&hourly, &day_before, &[]);
    for file in &hours {
        run_on(&hourly, file, &[]);
    }

    let in_warehouse = workdir("history-hourly-in-warehouse");
    let warehouse = [
        ("DATACONTRACT_TRANSFORM", "warehouse"),
        ("DATACONTRACT_VALIDATION", "warehouse"),
    ];
    run_on(&in_warehouse, &day_before, &warehouse);
    for file in &hours {
        run_on(&in_warehouse, file, &warehouse);
    }

    let (from_daily, from_hourly) = (production(&daily), production(&hourly));
    assert!(
        from_daily == from_hourly,
        "the hourly runs left other rows than the daily run:\n{}",
        first_difference(&from_daily, &from_hourly)
    );
    let from_sql = production(&in_warehouse);
    assert_eq!(from_sql.lines().count(), from_daily.lines().count());
    if let Some((daily, sql)) = from_daily
        .lines()
        .zip(from_sql.lines())
        .find(|(daily, sql)| !same_row(daily, sql))
    {
        panic!("the hourly runs in the warehouse left another row:\ndaily: {daily}\nsql:   {sql}");
    }
    // And the history was used: the next day's first bar has its return
    // and its volatility (the day before's 24 bars precede it).
    let first_bar = succeed(
        &hourly,
        &[
            "query",
            &format!(
                "SELECT return_1h IS NOT NULL AND volatility_24h IS NOT NULL AS complete \
                 FROM production.{PROCESSED} ORDER BY bar_start LIMIT 1 OFFSET 24"
            ),
            "--format",
            "csv",
        ],
        &[],
    );
    assert_eq!(first_bar, "complete\ntrue\n");
}

/// Whether two CSV rows hold the same values, numbers within a relative
/// 1e-9.
fn same_row(a: &str, b: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.split(',').collect(), b.split(',').collect());
    a.len() == b.len()
        && a.iter().zip(&b).all(|(a, b)| {
            a == b
                || match (a.parse::<f64>(), b.parse::<f64>()) {
                    (Ok(a), Ok(b)) => (a - b).abs() <= 1e-12_f64.max(1e-9 * a.abs().max(b.abs())),
                    _ => false,
                }
        })
}

fn first_difference(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .find(|(a, b)| a != b)
        .map(|(a, b)| format!("daily:  {a}\nhourly: {b}"))
        .unwrap_or_else(|| format!("{} lines against {}", a.lines().count(), b.lines().count()))
}
