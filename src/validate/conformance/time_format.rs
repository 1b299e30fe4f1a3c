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
    DatetimeInfer, TryFromWithUnit, coerce_string_to_datetime, infer_pattern_datetime_single,
};

/// The rows looked at first; a further search is streamed.
const SAMPLE_ROWS: IdxSize = 4096;

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

    fn parse_column(&self, text: &Column) -> PolarsResult<Column> {
        let dtype = DataType::Datetime(self.unit, self.zone.clone());
        let Some(pattern) = self.pattern else {
            return Ok(Column::full_null(text.name().clone(), text.len(), &dtype));
        };
        let mut infer = DatetimeInfer::<Int64Type>::try_from_with_unit(pattern, Some(self.unit))?;
        let ambiguous = StringChunked::new(PlSmallStr::EMPTY, ["raise"]);
        let parsed =
            coerce_string_to_datetime(&mut infer, text.str()?, self.zone.as_ref(), &ambiguous)?;
        Ok(parsed
            .into_series()
            .with_name(text.name().clone())
            .into_column())
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
