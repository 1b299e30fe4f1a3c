//! Run ids: time-sortable, unique, and safe as a folder name.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

const STAMP: &str = "%Y%m%dT%H%M%S%3fZ";

/// The id of one pipeline run: its start time to the millisecond, then 6
/// random hex digits, e.g. `20261127T091500123Z-3fa9c1`. Ids sort as their
/// runs started.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(String);

impl RunId {
    /// A new id for a run that started at `started`.
    pub fn new(started: DateTime<Utc>) -> Self {
        let random = crate::retry::random_u64();
        RunId(format!(
            "{}-{:06x}",
            started.format(STAMP),
            random & 0xff_ffff
        ))
    }

    /// Parses an id (e.g. a folder name under `runs/`).
    pub fn parse(text: &str) -> Option<Self> {
        let (stamp, random) = text.split_once('-')?;
        NaiveDateTime::parse_from_str(stamp, STAMP).ok()?;
        (random.len() == 6 && random.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| RunId(text.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn ids_sort_by_start_time_and_parse_back() {
        let early = Utc.with_ymd_and_hms(2026, 11, 27, 9, 15, 0).unwrap();
        let late = early + chrono::Duration::milliseconds(1);
        let (a, b) = (RunId::new(early), RunId::new(late));
        assert!(a < b);
        assert!(a.as_str().starts_with("20261127T091500000Z-"), "{a}");
        assert_eq!(RunId::parse(a.as_str()), Some(a.clone()));
        assert_ne!(RunId::new(early), RunId::new(early));
        for bad in [
            "",
            "x",
            "20261127T091500000Z",
            "20261127T091500000Z-../..",
            "2026-1",
        ] {
            assert_eq!(RunId::parse(bad), None, "{bad}");
        }
    }
}
