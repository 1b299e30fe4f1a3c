//! Files as people write them, through `contracts validate`: R's and
//! pandas' `NA`, semicolons and single quotes, no header, Latin-1, times
//! in local spellings; and the reading options' errors.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use datacontract::{DataContract, Registry};

/// A few of nycflights13's `flights` columns.
#[derive(DataContract)]
#[contract(name = "nycflights")]
#[allow(dead_code)]
struct NycFlight {
    year: i64,
    month: i64,
    dep_time: Option<i64>,
    dep_delay: Option<f64>,
    carrier: String,
    #[contract(regex = "^[A-Z]{3}$")]
    origin: String,
    time_hour: DateTime<Utc>,
}

/// `contracts validate nycflights <file> <args…>`: exit code, stdout, stderr.
fn validate(file: &Path, args: &[&str]) -> (ExitCode, String, String) {
    let registry = Registry::new().with::<NycFlight>();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let file = file.to_str().unwrap();
    let code = datacontract::cli::run(
        &registry,
        ["contracts", "validate", "nycflights", file]
            .into_iter()
            .chain(args.iter().copied()),
        &mut out,
        &mut err,
    );
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// The check `id` of the JSON report `json`.
fn check(json: &str, id: &str) -> serde_json::Value {
    let report: serde_json::Value = serde_json::from_str(json).unwrap();
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {json}"))
        .clone()
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// nycflights13's rows as R's `write.csv` writes them: strings quoted,
/// NULL as `NA`, times as `2013-01-01 05:00:00`.
const AS_R_WRITES: &str = "\"year\",\"month\",\"dep_time\",\"dep_delay\",\"carrier\",\"origin\",\"time_hour\"\n\
    2013,1,517,2,\"UA\",\"EWR\",\"2013-01-01 05:00:00\"\n\
    2013,1,NA,NA,\"AA\",\"LGA\",\"2013-01-01 06:00:00\"\n\
    2013,1,554,-6,\"B6\",\"JFK\",\"2013-01-01 06:00:00\"\n\
    2013,1,NA,NA,\"UA\",\"EWR\",\"2013-01-01 07:00:00\"\n";

#[test]
fn na_is_null_when_the_file_says_so_and_a_parse_failure_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(&dir, "flights.csv", AS_R_WRITES.as_bytes());
    let times = ["--timestamp-format", "%Y-%m-%d %H:%M:%S"];

    let (code, out, err) = validate(&csv, &[&times[..], &["--format", "json"]].concat());
    assert_eq!(code, ExitCode::from(1), "{out}{err}");
    let parse = check(&out, "dep_time.parse");
    assert_eq!(parse["failing_rows"], 2, "{parse}");
    assert_eq!(parse["examples"][0]["values"]["dep_time"], "NA", "{parse}");
    assert_eq!(parse["examples"][0]["line"], 3, "{parse}");

    let (code, out, err) = validate(
        &csv,
        &[&times[..], &["--null-values", "NA,NULL,\\N"]].concat(),
    );
    assert_eq!(code, ExitCode::SUCCESS, "{out}{err}");

    // A timestamp format the text does not follow: every time fails.
    let (code, out, _) = validate(
        &csv,
        &[
            "--null-values",
            "NA",
            "--timestamp-format",
            "%d/%m/%Y %H:%M",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, ExitCode::from(1));
    let times = check(&out, "time_hour.parse");
    assert_eq!(times["failing_rows"], 4, "{times}");
}

#[test]
fn semicolons_single_quotes_no_header_and_latin1_are_read_as_said() {
    let dir = tempfile::tempdir().unwrap();
    // Latin-1 bytes: `É` is 0xC9, `é` 0xE9.
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"2013;1;517;2,5;'Soci\xe9t\xe9; A';'EWR';01/01/2013 05:00\n");
    bytes.extend_from_slice(b"2013;1;;;'UA';'\xc9WR';01/01/2013 06:00\n");
    let csv = write(&dir, "latin1.csv", &bytes);
    let options = [
        "--delimiter",
        ";",
        "--quote",
        "'",
        "--header",
        "false",
        "--encoding",
        "latin1",
        "--timestamp-format",
        "%d/%m/%Y %H:%M",
        "--format",
        "json",
    ];
    let (code, out, err) = validate(&csv, &options);
    // `2,5` is no number here (a decimal comma), and `ÉWR` no code.
    assert_eq!(code, ExitCode::from(1), "{out}{err}");
    let check = |id: &str| check(&out, id);
    let origin = check("origin.regex");
    assert_eq!(origin["failing_rows"], 1);
    assert_eq!(origin["examples"][0]["values"]["origin"], "ÉWR", "{origin}");
    assert_eq!(origin["examples"][0]["line"], 2, "{origin}");
    assert_eq!(check("dep_delay.parse")["failing_rows"], 1);
    assert_eq!(check("time_hour.parse")["status"], "pass");
    assert_eq!(
        check("carrier.not_null")["status"],
        "pass",
        "'Société; A' is one field"
    );
}

#[test]
fn reading_options_that_make_no_sense_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(&dir, "flights.csv", AS_R_WRITES.as_bytes());
    for (args, says) in [
        (
            &["--encoding", "klingon"][..],
            "--encoding: `klingon` is not an encoding",
        ),
        (
            &["--delimiter", ";;"],
            "--delimiter: `;;` is not one ASCII character",
        ),
        (
            &["--quote", ","],
            "--quote: the quote character is the delimiter",
        ),
        (
            &["--header", "maybe"],
            "--header: `maybe` is not `true` or `false`",
        ),
        (
            &["--timestamp-format", ""],
            "--timestamp-format: `` is not a strftime format",
        ),
        (
            &["--date-format", "%Y-%"],
            "--date-format: `%Y-%` is not a strftime format",
        ),
    ] {
        let (code, _, err) = validate(&csv, args);
        assert_eq!(code, ExitCode::from(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }

    // A file without a header whose rows have another number of fields
    // than the contract has columns: named at its line.
    let short = write(
        &dir,
        "short.csv",
        b"2013,1,517,2,UA,EWR,2013-01-01T05:00:00Z\n2013,1,517\n",
    );
    let (code, _, err) = validate(&short, &["--header", "false"]);
    assert_eq!(code, ExitCode::from(2), "{err}");
    assert!(
        err.contains("short.csv:2: a row has 3 fields where the contract has 7"),
        "{err}"
    );

    // Bytes that are no text in the named encoding: the line is named.
    let mut utf16: Vec<u8> = "year\n2013\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    utf16.push(0x41);
    let odd = write(&dir, "odd.csv", &utf16);
    let (code, _, err) = validate(&odd, &["--encoding", "utf-16le"]);
    assert_eq!(code, ExitCode::from(2), "{err}");
    assert!(
        err.contains("odd.csv:3: the text is not valid UTF-16LE"),
        "{err}"
    );
}

/// The JSON report `json` without what differs from run to run.
fn comparable(json: &str) -> serde_json::Value {
    let mut report: serde_json::Value = serde_json::from_str(json).unwrap();
    report.as_object_mut().unwrap().remove("timings");
    report
}

#[test]
fn a_csv_file_spooled_to_disk_validates_as_one_held_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 600 rows in Latin-1, with what moves lines: blank lines, a quoted
    // line break, CRLF; and failures all along: `NA`s, codes that are no
    // codes, times that do not parse.
    let mut bytes = b"year,month,dep_time,dep_delay,carrier,origin,time_hour\r\n".to_vec();
    for row in 0..600 {
        let dep_time = if row % 7 == 0 {
            "NA".into()
        } else {
            row.to_string()
        };
        let origin: &[u8] = match row % 11 {
            0 => b"\"\xc9WR\"",
            5 => b"\"E\nWR\"",
            _ => b"EWR",
        };
        let hour = if row % 13 == 0 {
            "noon"
        } else {
            "2013-01-01 05:00:00"
        };
        bytes.extend_from_slice(format!("2013,1,{dep_time},{row}.5,UA,").as_bytes());
        bytes.extend_from_slice(origin);
        bytes.extend_from_slice(format!(",{hour}\r\n").as_bytes());
        if row % 97 == 0 {
            bytes.extend_from_slice(b"\r\n\n");
        }
    }
    let csv = write(&dir, "spooled.csv", &bytes);
    let options = [
        "--encoding",
        "latin1",
        "--timestamp-format",
        "%Y-%m-%d %H:%M:%S",
        "--format",
        "json",
    ];
    let (code, held, err) = validate(&csv, &options);
    assert_eq!(code, ExitCode::from(1), "{held}{err}");
    // A few hundred bytes in memory: the rows go to disk after the first.
    let (code, spooled, err) = validate(&csv, &[&options[..], &["--csv-memory", "300"]].concat());
    assert_eq!(code, ExitCode::from(1), "{spooled}{err}");
    assert_eq!(comparable(&spooled), comparable(&held));
    let origin = check(&held, "origin.regex");
    assert_eq!(origin["failing_rows"], 110, "{origin}");
    assert_eq!(origin["examples"][0]["values"]["origin"], "ÉWR", "{origin}");
    // Row 0's line: the header, then row 0; its `ÉWR` on line 2.
    assert_eq!(origin["examples"][0]["line"], 2, "{origin}");
    assert_eq!(check(&held, "dep_time.parse")["failing_rows"], 86);
    assert_eq!(check(&held, "time_hour.parse")["failing_rows"], 47);

    // A broken row late in a spooled file is named at its line.
    let mut broken = bytes.clone();
    broken.extend_from_slice(b"2013,1\r\n");
    let lines = broken.iter().filter(|b| **b == b'\n').count();
    let csv = write(&dir, "broken.csv", &broken);
    let (code, out, err) = validate(&csv, &[&options[..], &["--csv-memory", "300"]].concat());
    assert_eq!(code, ExitCode::from(2), "{out}{err}");
    assert!(
        err.contains(&format!(
            "broken.csv:{lines}: a row has 2 fields where the header has 7"
        )),
        "{err}"
    );
}

#[test]
fn a_timestamps_format_is_inferred_from_its_first_time_held_or_spooled() {
    let dir = tempfile::tempdir().unwrap();
    // No time in the first 4,200 rows (past the rows looked at first),
    // then ISO times in two spellings, and a day-first one now and then.
    let mut csv = String::from("year,month,dep_time,dep_delay,carrier,origin,time_hour\n");
    let mut day_first = 0;
    for row in 0..5000 {
        let hour = match row {
            ..4200 => "noon",
            _ if row % 10 == 5 => {
                day_first += 1;
                "01/01/2013 05:00"
            }
            _ if row % 2 == 0 => "2013-01-01T05:00:00",
            _ => "2013-01-01 06:00:00",
        };
        csv.push_str(&format!("2013,1,{row},2.5,UA,EWR,{hour}\n"));
    }
    let csv = write(&dir, "late.csv", csv.as_bytes());

    let (code, held, err) = validate(&csv, &["--format", "json"]);
    assert_eq!(code, ExitCode::from(1), "{held}{err}");
    let (code, spooled, err) = validate(&csv, &["--format", "json", "--csv-memory", "300"]);
    assert_eq!(code, ExitCode::from(1), "{spooled}{err}");
    assert_eq!(comparable(&spooled), comparable(&held));
    // Year first, the first time's pattern: its spellings parse, day
    // first does not.
    let times = check(&held, "time_hour.parse");
    assert_eq!(times["failing_rows"], 4200 + day_first, "{times}");
    assert_eq!(
        times["examples"][0]["values"]["time_hour"], "noon",
        "{times}"
    );
}
