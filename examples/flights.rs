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
//! `../shared/data/flights-3m.parquet`. The peak RSS once the data is
//! loaded is printed before the run, so the run's own share can be told
//! from the loading's.
//!
//! Out of core: `generate` writes the data stacked to a number of rows into
//! one Parquet file (one copy in memory at a time), and `file` validates
//! such a file as `contracts validate` does, streamed from disk:
//!
//! ```text
//! cargo run --release --example flights -- generate 100000000 /var/tmp/flights-100m.parquet
//! cargo run --release --example flights -- file /var/tmp/flights-100m.parquet
//! ```
//!
//! A path ending in `.csv` is written and read as CSV; `file` then takes
//! the bytes of text to hold in memory (default
//! [`DEFAULT_IN_MEMORY`](datacontract::input::DEFAULT_IN_MEMORY): past
//! it, the file is spooled to disk and streamed) and the timestamps'
//! format (default: inferred), and prints the reading's time and the peak
//! RSS so far before it validates:
//!
//! ```text
//! cargo run --release --example flights -- file /var/tmp/flights-48m.csv 67108864 '%Y-%m-%dT%H:%M:%S%.f'
//! ```

#[path = "../benches/support/flights.rs"]
mod flights;
#[path = "../benches/support/memory.rs"]
mod memory;

use std::path::PathBuf;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use datacontract::DataContract;
use datacontract::input::{CsvOptions, DEFAULT_IN_MEMORY};
use datacontract::validate::{Input, Options, SchemaPolicy, TextFormats, validate};
use polars::prelude::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let engine = args.next().unwrap_or_else(|| "datacontract".into());
    let mut number = || -> i64 {
        args.next()
            .map_or(1, |n| n.parse().expect("a number of copies or rows"))
    };
    match engine.as_str() {
        "generate" => {
            let rows = number();
            let path = PathBuf::from(std::env::args().nth(3).expect("the file to write"));
            generate(rows, &path);
            return;
        }
        "file" => {
            let path = PathBuf::from(
                std::env::args()
                    .nth(2)
                    .expect("the Parquet file to validate"),
            );
            let csv = CsvOptions {
                in_memory: std::env::args()
                    .nth(3)
                    .map_or(DEFAULT_IN_MEMORY, |n| n.parse().expect("a number of bytes")),
                ..CsvOptions::default()
            };
            let formats = TextFormats::new(std::env::args().nth(4), None)
                .expect("a strftime timestamp format");
            let started = Instant::now();
            let input = datacontract::input::read_files(&[path], &csv).expect("a readable file");
            println!(
                "read in {:.3} s; peak RSS so far: {}",
                started.elapsed().as_secs_f64(),
                peak_mb()
            );
            run(input, formats, started);
            return;
        }
        _ => {}
    }
    let frame = flights::load(&flights::data_path(), number());
    println!("loaded; peak RSS so far: {}", peak_mb());
    let started = Instant::now();
    match engine.as_str() {
        "datacontract" => run(frame.into(), TextFormats::default(), started),
        "hand_written" => {
            println!("{}", flights::hand_written(&frame));
            println!("{engine}: {:.3} s", started.elapsed().as_secs_f64());
        }
        other => panic!("unknown engine {other}: datacontract, hand_written, generate or file"),
    }
}

/// The process's peak resident set so far, in MB.
fn peak_mb() -> String {
    format!("{} MB", memory::peak() / 1_000_000)
}

/// Validates `input` against the flights contract (text parsed as
/// `formats` say) and prints the failing checks, the rows and the time
/// since `started`.
fn run(input: Input, formats: TextFormats, started: Instant) {
    let options = Options {
        reference_time: Some(Utc.with_ymd_and_hms(2002, 1, 1, 0, 0, 0).unwrap()),
        // CSV is text: parsed as the contract's types, as `contracts
        // validate` does (Parquet's typed columns are unchanged by it).
        schema_policy: SchemaPolicy::Coerce,
        formats,
        ..Options::default()
    };
    let report = validate(input, &flights::Flight::contract(), &options).unwrap();
    for check in report
        .checks
        .iter()
        .filter(|c| c.failing_rows.unwrap_or(0) > 0)
    {
        println!("{}: {}", check.id, check.failing_rows.unwrap_or(0));
    }
    println!("rows {}", report.input.rows);
    println!("datacontract: {:.3} s", started.elapsed().as_secs_f64());
}

/// Writes the data stacked to `rows` rows into one Parquet file at `path`,
/// copy i shifted by i seconds (as the benchmarks stack it), one copy in
/// memory at a time.
fn generate(rows: i64, path: &std::path::Path) {
    let data = flights::load(&flights::data_path(), 1);
    let file = std::fs::File::create(path).expect("the output file can be created");
    let mut writer = Batches::new(file, path, data.schema());
    let mut written = 0i64;
    for copy in 0.. {
        if written >= rows {
            break;
        }
        let take = (rows - written).min(data.height() as i64);
        let shifted = data
            .clone()
            .lazy()
            .slice(0, take as IdxSize)
            .with_column(col("date") + lit(Duration::parse(&format!("{copy}s"))))
            .collect()
            .expect("a copy shifts");
        writer.write(&shifted);
        written += take;
    }
    writer.finish();
    println!("{written} rows written to {}", path.display());
}

/// A file written a frame at a time: CSV for a path ending in `.csv`,
/// Parquet otherwise.
enum Batches {
    Csv(polars::io::csv::write::BatchedWriter<std::fs::File>),
    Parquet(Box<polars::io::parquet::write::BatchedWriter<std::fs::File>>),
}

impl Batches {
    fn new(file: std::fs::File, path: &std::path::Path, schema: &Schema) -> Self {
        if path.extension().is_some_and(|extension| extension == "csv") {
            Batches::Csv(CsvWriter::new(file).batched(schema).expect("a CSV writer"))
        } else {
            Batches::Parquet(Box::new(
                ParquetWriter::new(file)
                    .batched(schema)
                    .expect("a Parquet writer"),
            ))
        }
    }

    fn write(&mut self, frame: &DataFrame) {
        match self {
            Batches::Csv(writer) => writer.write_batch(frame),
            Batches::Parquet(writer) => writer.write_batch(frame),
        }
        .expect("a copy is written");
    }

    fn finish(self) {
        match self {
            Batches::Csv(mut writer) => writer.finish(),
            Batches::Parquet(writer) => writer.finish().map(|_| ()),
        }
        .expect("the file is finished");
    }
}
