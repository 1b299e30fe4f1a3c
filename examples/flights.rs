//! One run of the reference validation workload, for measuring a single
//! pass from outside (peak memory with `/usr/bin/time -v`):
//!
//! ```text
//! cargo run --release --example flights -- datacontract 4
//! cargo run --release --example flights -- hand_written 4
//! ```
//!
//! Arguments: the engine (`datacontract` or `hand_written`) and the number
//! of copies of the data; the data is `$DATACONTRACT_BENCH_DATA` or
//! `../shared/data/flights-3m.parquet`.

#[path = "../benches/support/flights.rs"]
mod flights;

use std::time::Instant;

use chrono::{TimeZone, Utc};
use datacontract::DataContract;
use datacontract::validate::{Options, validate};

fn main() {
    let mut args = std::env::args().skip(1);
    let engine = args.next().unwrap_or_else(|| "datacontract".into());
    let copies: i64 = args
        .next()
        .map_or(1, |n| n.parse().expect("copies is a number"));
    let frame = flights::load(&flights::data_path(), copies);
    let started = Instant::now();
    match engine.as_str() {
        "datacontract" => {
            let options = Options {
                reference_time: Some(Utc.with_ymd_and_hms(2002, 1, 1, 0, 0, 0).unwrap()),
                ..Options::default()
            };
            let report = validate(frame, &flights::Flight::contract(), &options).unwrap();
            for check in report
                .checks
                .iter()
                .filter(|c| c.failing_rows.unwrap_or(0) > 0)
            {
                println!("{}: {}", check.id, check.failing_rows.unwrap_or(0));
            }
            println!("rows {}", report.input.rows);
        }
        "hand_written" => println!("{}", flights::hand_written(&frame)),
        other => panic!("unknown engine {other}: datacontract or hand_written"),
    }
    println!("{engine}: {:.3} s", started.elapsed().as_secs_f64());
}
