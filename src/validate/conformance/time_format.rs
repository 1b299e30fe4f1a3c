//! The format of text read as a timestamp when none is given: inferred
//! once, from the column's first value that follows one, before the pass.
//!
//! Polars infers it the same way over a column held in memory, but over a
//! streamed scan it parses serially, holding its input, until it knows
//! (6.76 GB at 48M rows of CSV). Here the pattern is decided first, from
//! the column's first rows (and only when none of them follows one, by a
//! streamed search for the first value that does); the parse is then one
//! elementwise function of each value. It streams, and a column reads the
//! same held in memory as streamed.

use polars::prelude::*;
use polars::time::chunkedarray::string::Pattern;
use polars::time::chunkedarray::string::infer::{
    DatetimeInfer, TryFromWithUnit, infer_pattern_datetime_single,
};

/// The rows looked at first; a further search is streamed.
const SAMPLE_ROWS: IdxSize = 4096;

/// How many distinct texts a parse remembers before it starts afresh.
const MEMO_ENTRIES: usize = 4096;

/// A timestamp read from text by a pattern inferred from the column.
#[derive(Debug, Clone)]
pub(super) struct InferredFormat {
    /// The pattern: day first, year first, or year first with a zone;
    /// `None` when no value follows one (every value then fails to parse).
    pattern: Option<Pattern>,
    unit: TimeUnit,
    zone: Option<TimeZone>,
}

impl InferredFormat {
    /// The format of `column` in `frame`, read as a `Datetime(unit, zone)`:
    /// the pattern of its first non-NULL value that follows one such a
    /// timestamp can be read by. A time without a zone cannot be read from
    /// text that has one (`2024-03-01T10:15:00+02:00`).
    pub(super) fn of(
        frame: &LazyFrame,
        column: &str,
        unit: TimeUnit,
        zone: Option<TimeZone>,
    ) -> PolarsResult<Self> {
        let zoned = zone.is_some();
        let first_rows = frame
            .clone()
            .select([col(column)])
            .slice(0, SAMPLE_ROWS)
            .collect_with_engine(Engine::Streaming)?
            .unwrap_single();
        let mut pattern = first_pattern(first_rows.column(column)?.str()?, zoned);
        if pattern.is_none() && first_rows.height() as IdxSize == SAMPLE_ROWS {
            let first_that_follows = frame
                .clone()
                .select([col(column)])
                .filter(col(column).map(
                    move |text: Column| {
                        let follows: BooleanChunked = text
                            .str()?
                            .apply_nonnull_values_generic(DataType::Boolean, |value: &str| {
                                readable_pattern(value, zoned).is_some()
                            });
                        Ok(follows.into_column())
                    },
                    |_, field: &Field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
                ))
                .slice(0, 1)
                .collect_with_engine(Engine::Streaming)?
                .unwrap_single();
            pattern = first_pattern(first_that_follows.column(column)?.str()?, zoned);
        }
        Ok(InferredFormat {
            pattern,
            unit,
            zone,
        })
    }

    /// `text` read as timestamps by the pattern: NULL where a value does not
    /// follow it (Polars' inference: any spelling of the pattern's family,
    /// the last one that worked tried first).
    pub(super) fn parse(&self, text: Expr) -> Expr {
        let format = self.clone();
        let dtype = DataType::Datetime(self.unit, self.zone.clone());
        text.map(
            move |text: Column| format.parse_column(&text),
            move |_, field: &Field| Ok(Field::new(field.name().clone(), dtype.clone())),
        )
    }

    /// Each distinct text among the last [`MEMO_ENTRIES`] is parsed once
    /// (timestamps repeat, and arrive in runs): Polars' inference parses
    /// every value anew with chrono, the format read again each time.
    fn parse_column(&self, text: &Column) -> PolarsResult<Column> {
        let dtype = DataType::Datetime(self.unit, self.zone.clone());
        let Some(pattern) = self.pattern else {
            return Ok(Column::full_null(text.name().clone(), text.len(), &dtype));
        };
        let mut infer = DatetimeInfer::<Int64Type>::try_from_with_unit(pattern, Some(self.unit))?;
        let mut parsed: PlHashMap<&str, Option<i64>> = PlHashMap::default();
        let instants: Int64Chunked = text
            .str()?
            .iter()
            .map(|value| {
                let value = value?;
                if let Some(&instant) = parsed.get(value) {
                    return instant;
                }
                if parsed.len() == MEMO_ENTRIES {
                    parsed.clear();
                }
                let instant = infer.parse(value);
                parsed.insert(value, instant);
                instant
            })
            .collect();
        let instants = instants
            .with_name(text.name().clone())
            .into_datetime(self.unit, None);
        Ok(self.zoned(instants, pattern)?.into_column())
    }

    /// `instants` as read by `pattern` (UTC when it has a zone, wall-clock
    /// time otherwise) in the column's zone, as Polars' inference gives
    /// them: a wall-clock time that the zone skips or repeats is an error.
    fn zoned(&self, mut instants: DatetimeChunked, pattern: Pattern) -> PolarsResult<Series> {
        match (pattern, &self.zone) {
            (Pattern::DatetimeYMDZ, zone) => {
                let zone = zone.clone().unwrap_or(TimeZone::UTC);
                instants.set_time_unit_and_time_zone(self.unit, zone)?;
                Ok(instants.into_series())
            }
            (_, Some(zone)) => {
                let ambiguous = StringChunked::new(PlSmallStr::EMPTY, ["raise"]);
                let zoned =
                    replace_time_zone(&instants, Some(zone), &ambiguous, NonExistent::Raise)?;
                Ok(zoned.into_series())
            }
            (_, None) => Ok(instants.into_series()),
        }
    }
}

/// The pattern of the first value in `text` that follows one.
fn first_pattern(text: &StringChunked, zoned: bool) -> Option<Pattern> {
    text.iter()
        .flatten()
        .find_map(|value| readable_pattern(value, zoned))
}

/// The pattern `value` follows, if a timestamp (`zoned` or not) can be
/// read by it.
fn readable_pattern(value: &str, zoned: bool) -> Option<Pattern> {
    infer_pattern_datetime_single(value)
        .filter(|pattern| zoned || *pattern != Pattern::DatetimeYMDZ)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use polars::time::chunkedarray::string::infer::coerce_string_to_datetime;

    use super::*;

    /// `values` read as `Datetime(µs, zone)` by the format inferred from
    /// them, as microseconds since the epoch.
    fn read(values: &[Option<&str>], zone: Option<TimeZone>) -> Vec<Option<i64>> {
        let frame = df!("at" => values).unwrap().lazy();
        let format = InferredFormat::of(&frame, "at", TimeUnit::Microseconds, zone).unwrap();
        let parsed = frame.select([format.parse(col("at"))]).collect().unwrap();
        let at = parsed.column("at").unwrap();
        at.datetime().unwrap().physical().iter().collect()
    }

    const MARCH_FIRST: i64 = 1_709_288_100_000_000; // 2024-03-01 10:15:00 UTC

    #[test]
    fn the_first_value_that_follows_a_pattern_decides_it() {
        let read = read(
            &[
                None,
                Some("soon"),
                Some("2024-03-01 10:15:00"),
                Some("2024-03-01T10:15:00"),
                Some("01/03/2024 10:15"),
            ],
            Some(TimeZone::UTC),
        );
        // Any spelling of the year-first family; not a day-first one.
        assert_eq!(
            read,
            [None, None, Some(MARCH_FIRST), Some(MARCH_FIRST), None]
        );
    }

    #[test]
    fn a_time_without_a_zone_is_not_read_from_text_with_one() {
        let values = [
            Some("2024-03-01T12:15:00+02:00"),
            Some("2024-03-01 10:15:00"),
        ];
        assert_eq!(read(&values, None), [None, Some(MARCH_FIRST)]);
        assert_eq!(
            read(&values, Some(TimeZone::UTC)),
            [Some(MARCH_FIRST), None]
        );
    }

    #[test]
    fn text_with_no_time_at_all_reads_as_nulls_not_an_error() {
        assert_eq!(
            read(&[Some("soon"), None, Some("later")], None),
            [None, None, None]
        );
    }

    /// The remembered parse reads every value as Polars' own inference
    /// does, past as many distinct values as it remembers and in every
    /// zone case: wall-clock times in UTC and in a zone with summer time,
    /// times with an offset, other spellings of the pattern, and text that
    /// follows none.
    #[test]
    fn remembered_values_read_as_polars_inference_reads_them() {
        let spellings = [
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y/%m/%d %H:%M",
        ];
        let zoned_spellings = ["%Y-%m-%dT%H:%M:%S%:z", "%Y-%m-%d %H:%M:%S%z"];
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let plus_one_hour = chrono::FixedOffset::east_opt(3600).unwrap();
        let distinct = 3 * MEMO_ENTRIES;
        let texts = |spellings: &[&str]| -> Vec<Option<String>> {
            (0..4 * distinct)
                .map(|row| {
                    // Runs of repeats, and a cycle longer than the memory.
                    let instant = start + chrono::Duration::minutes(((row / 3) % distinct) as i64);
                    match row % 97 {
                        0 => None,
                        1 => Some("soon".to_string()),
                        _ => {
                            let spelling = spellings[row % spellings.len()];
                            let instant = plus_one_hour.from_local_datetime(&instant).unwrap();
                            Some(instant.format(spelling).to_string())
                        }
                    }
                })
                .collect()
        };
        let berlin = TimeZone::opt_try_new(Some("Europe/Berlin")).unwrap();
        let cases = [
            (texts(&spellings), None),
            (texts(&spellings), Some(TimeZone::UTC)),
            (texts(&spellings), berlin.clone()),
            (texts(&zoned_spellings), berlin),
        ];
        for (values, zone) in cases {
            let text = StringChunked::new("at".into(), &values);
            let pattern = first_pattern(&text, zone.is_some()).unwrap();
            let format = InferredFormat {
                pattern: Some(pattern),
                unit: TimeUnit::Microseconds,
                zone: zone.clone(),
            };
            let ours = format.parse_column(&text.clone().into_column()).unwrap();
            let mut infer =
                DatetimeInfer::try_from_with_unit(pattern, Some(TimeUnit::Microseconds)).unwrap();
            let ambiguous = StringChunked::new(PlSmallStr::EMPTY, ["raise"]);
            let polars =
                coerce_string_to_datetime(&mut infer, &text, zone.as_ref(), &ambiguous).unwrap();
            assert_eq!(ours.dtype(), polars.dtype(), "{zone:?}");
            let ours: Vec<Option<i64>> = ours.datetime().unwrap().physical().iter().collect();
            let polars: Vec<Option<i64>> = polars.physical().iter().collect();
            assert!(ours.iter().filter(|instant| instant.is_some()).count() > distinct);
            assert!(ours == polars, "{zone:?}: the reading differs from Polars'");
        }
    }

    #[test]
    fn a_pattern_past_the_first_rows_is_searched_for() {
        let mut values = vec![Some("soon"); SAMPLE_ROWS as usize + 10];
        values.push(Some("01/03/2024 10:15"));
        values.push(Some("2024-03-01 10:15:00"));
        let read = read(&values, None);
        assert_eq!(read[values.len() - 2..], [Some(MARCH_FIRST), None]);
        assert!(read[..values.len() - 2].iter().all(Option::is_none));
    }
}
