//! The keys of the staging and production areas:
//!
//! - partitions: `{dataset}/{table}/created_at=YYYY-MM-DD:HH:MM:SS:MS/part-NNNNN.parquet`,
//!   the time in UTC with milliseconds;
//! - run reports: `runs/{run_id}/{file}`.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::contract::naming;

/// How a partition's time is written in its folder name.
const STAMP: &str = "%Y-%m-%d:%H:%M:%S:%3f";

/// The key of a partition folder's `key=value` segment.
pub const PARTITION_FOLDER_KEY: &str = "created_at";

/// A key that is not a partition key, or names that cannot be one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LayoutError(pub String);

/// One Parquet part of one partition of a table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionKey {
    /// When the partition was created, truncated to milliseconds, UTC.
    pub created_at: DateTime<Utc>,
    /// The dataset (a folder).
    pub dataset: String,
    /// The table (a folder).
    pub table: String,
    /// The part number, from 0.
    pub part: u32,
    /// How many digits the part number is written with: 5 in the keys
    /// this crate makes, 12 in the files a BigQuery export names
    /// (`part-000000000000.parquet`).
    digits: usize,
}

impl PartitionKey {
    /// Part `part` of the partition of `dataset.table` created at
    /// `created_at` (truncated to milliseconds). Names follow the
    /// warehouse's rules, so a key never escapes its folder.
    pub fn new(
        dataset: &str,
        table: &str,
        created_at: DateTime<Utc>,
        part: u32,
    ) -> Result<Self, LayoutError> {
        if let Some(problem) =
            naming::dataset_name_problem(dataset).or_else(|| naming::table_name_problem(table))
        {
            return Err(LayoutError(problem));
        }
        let millis = created_at.timestamp_millis();
        let created_at = DateTime::from_timestamp_millis(millis)
            .expect("a valid time stays valid when truncated");
        Ok(PartitionKey {
            created_at,
            dataset: dataset.into(),
            table: table.into(),
            part,
            digits: 5,
        })
    }

    /// The partition's folder: `{dataset}/{table}/created_at=…/`.
    pub fn folder(&self) -> String {
        format!(
            "{}/{}/{PARTITION_FOLDER_KEY}={}/",
            self.dataset,
            self.table,
            self.created_at.format(STAMP)
        )
    }

    /// Parses a key written by [`fmt::Display`].
    pub fn parse(key: &str) -> Result<Self, LayoutError> {
        let fail = |why: &str| LayoutError(format!("`{key}` is not a partition key: {why}"));
        let segments: Vec<&str> = key.split('/').collect();
        let [dataset, table, stamp, file] = segments[..] else {
            return Err(fail(
                "expected dataset/table/created_at=…/part-NNNNN.parquet",
            ));
        };
        let stamp = stamp
            .strip_prefix(PARTITION_FOLDER_KEY)
            .and_then(|rest| rest.strip_prefix('='))
            .ok_or_else(|| fail("no created_at= folder"))?;
        let created_at = NaiveDateTime::parse_from_str(stamp, STAMP)
            .map_err(|_| fail("created_at is not YYYY-MM-DD:HH:MM:SS:MS"))?
            .and_utc();
        let digits = file
            .strip_prefix("part-")
            .and_then(|rest| rest.strip_suffix(".parquet"))
            .filter(|digits| digits.len() >= 5 && digits.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| fail("the file is not part-NNNNN.parquet"))?;
        let part = digits
            .parse::<u32>()
            .map_err(|_| fail("the part number is too large"))?;
        let key =
            PartitionKey::new(dataset, table, created_at, part).map_err(|error| fail(&error.0))?;
        Ok(PartitionKey {
            digits: digits.len(),
            ..key
        })
    }
}

impl fmt::Display for PartitionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}part-{:0digits$}.parquet",
            self.folder(),
            self.part,
            digits = self.digits
        )
    }
}

/// The key of a run's file: `runs/{run_id}/{file}`.
pub fn run_key(run_id: &str, file: &str) -> Result<String, LayoutError> {
    let key = format!("runs/{run_id}/{file}");
    super::check_key(&key).map_err(|error| LayoutError(error.to_string()))?;
    if run_id.contains('/') {
        return Err(LayoutError(format!(
            "run id `{run_id}` may not contain `/`"
        )));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn keys_follow_the_layout() {
        let at = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap()
            + chrono::Duration::microseconds(678_901);
        let key = PartitionKey::new("staging", "raw_binance_btcusdt_spot", at, 7).unwrap();
        assert_eq!(
            key.to_string(),
            "staging/raw_binance_btcusdt_spot/created_at=2024-01-02:03:04:05:678/part-00007.parquet"
        );
        assert_eq!(PartitionKey::parse(&key.to_string()).unwrap(), key);
    }

    #[test]
    fn the_names_a_bigquery_export_gives_its_files_are_keys_too() {
        let exported = "staging/t/created_at=2024-01-02:03:04:05:678/part-000000000001.parquet";
        let key = PartitionKey::parse(exported).unwrap();
        assert_eq!(key.part, 1);
        assert_eq!(key.to_string(), exported);
        let ours = PartitionKey::new("staging", "t", key.created_at, 1).unwrap();
        assert_eq!(ours.to_string(), exported.replace("000000000001", "00001"));
        assert!(PartitionKey::parse(&exported.replace("000000000001", "99999999999")).is_err());
    }

    #[test]
    fn foreign_keys_and_hostile_names_are_refused() {
        for key in [
            "staging/t/created_at=2024-01-02:03:04:05:678/data.csv",
            "staging/t/2024-01-02/part-00000.parquet",
            "../t/created_at=2024-01-02:03:04:05:678/part-00000.parquet",
            "staging/t/created_at=2024-13-02:03:04:05:678/part-00000.parquet",
            "a/b/c/created_at=2024-01-02:03:04:05:678/part-00000.parquet",
        ] {
            assert!(PartitionKey::parse(key).is_err(), "{key}");
        }
        let now = Utc::now();
        assert!(PartitionKey::new("staging", "../escape", now, 0).is_err());
        assert!(run_key("../x", "report.json").is_err());
        assert_eq!(
            run_key("01J0ABC", "report.json").unwrap(),
            "runs/01J0ABC/report.json"
        );
    }

    proptest! {
        #[test]
        fn partition_keys_round_trip(
            dataset in "[a-z_][a-z0-9_]{0,12}",
            table in "[a-z_][a-z0-9_]{0,20}",
            millis in 0i64..4_102_444_800_000,
            part in 0u32..100_000,
        ) {
            let created_at = DateTime::from_timestamp_millis(millis).unwrap();
            let key = PartitionKey::new(&dataset, &table, created_at, part).unwrap();
            prop_assert_eq!(PartitionKey::parse(&key.to_string()).unwrap(), key);
        }
    }
}
