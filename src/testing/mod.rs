//! Property-testing support: a [proptest](mod@proptest) strategy that generates frames
//! satisfying any contract, and [`violate`], which breaks exactly one check.
//!
//! ```no_run
//! use datacontract::DataContract;
//! use datacontract::testing::valid_frames;
//! use proptest::prelude::*;
//!
//! #[derive(DataContract)]
//! struct Trade {
//!     #[contract(min_exclusive = 0)]
//!     price: f64,
//! }
//!
//! proptest! {
//!     #[test]
//!     fn my_transform_keeps_prices_positive(frame in valid_frames(&Trade::contract(), 1..50)) {
//!         // run the transform on `frame`, validate its output …
//!     }
//! }
//! ```
//!
//! Generated values respect each column's type and mode (NULLs appear in
//! NULLABLE columns), ranges, lengths, regexes (through proptest's regex
//! strategy, on the pattern without its `^`/`$` anchors), `one_of`,
//! e-mail and URL formats. Rows breaking a row rule are dropped, and so are
//! rows repeating a unique value or the dedup key, so a generated frame may
//! hold fewer rows than drawn. Statistical expectations are not aimed at.
//!
//! [`odcs::assert_round_trip`] checks that a contract survives ODCS: export,
//! import, and the Rust source `contracts import odcs` writes.

pub mod odcs;

use std::ops::Range;
use std::sync::Arc;

use polars::prelude::*;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use crate::check::polars_expr::temporal_ticks;
use crate::check::{EMAIL_PATTERN, URL_PATTERN};
use crate::{Bound, ConstraintKind, Contract, Field, Literal, LogicalType, Mode};

/// Frames of `rows` rows (before rules and keys drop some) that pass every
/// per-value check, rule and key of `contract`.
pub fn valid_frames(contract: &Contract, rows: Range<usize>) -> BoxedStrategy<DataFrame> {
    let columns: Vec<BoxedStrategy<AnyValue<'static>>> =
        contract.fields.iter().map(field_values).collect();
    let fields = contract.fields.clone();
    let contract = contract.clone();
    let dtypes = contract.polars_schema();
    rows.prop_flat_map(move |n| {
        columns
            .iter()
            .map(|values| proptest::collection::vec(values.clone(), n))
            .collect::<Vec<_>>()
    })
    .prop_map(move |columns| {
        let series: Vec<Column> = fields
            .iter()
            .zip(columns)
            .map(|(field, values)| {
                let dtype = dtypes
                    .get(field.name.as_str())
                    .expect("the schema has every field");
                Series::from_any_values_and_dtype(field.name.as_str().into(), &values, dtype, true)
                    .expect("generated values have the column's dtype")
                    .into_column()
            })
            .collect();
        let frame = DataFrame::new_infer_height(series).expect("columns of one length");
        keep_valid_rows(frame, &contract)
    })
    .boxed()
}

/// Drops rows that break a rule, then rows repeating a unique value or the
/// dedup key (keeping the first).
fn keep_valid_rows(frame: DataFrame, contract: &Contract) -> DataFrame {
    let mut frame = frame.lazy();
    for rule in &contract.rules {
        let passes = polars::sql::sql_expr(&rule.sql).expect("the rule parses in Polars");
        frame = frame.filter(passes.fill_null(lit(true)));
    }
    let mut frame = frame.collect().expect("rules evaluate");
    let mut keys: Vec<Vec<String>> = contract
        .fields
        .iter()
        .filter(|f| {
            f.constraints
                .iter()
                .any(|c| c.kind == ConstraintKind::Unique)
        })
        .map(|f| vec![f.name.clone()])
        .collect();
    keys.extend(contract.dedup_key.iter().map(|key| key.columns.clone()));
    for key in keys {
        frame = frame
            .unique_stable(Some(&key), UniqueKeepStrategy::First, None)
            .expect("key columns exist");
    }
    frame
}

/// Values of one column: NULL sometimes when NULLABLE, arrays of valid
/// elements when REPEATED.
fn field_values(field: &Field) -> BoxedStrategy<AnyValue<'static>> {
    let element = element_values(field);
    match field.mode {
        Mode::Required => element,
        Mode::Nullable => prop::option::weighted(0.8, element)
            .prop_map(|value| value.unwrap_or(AnyValue::Null))
            .boxed(),
        Mode::Repeated => {
            let dtype = crate::schema::polars_type(&field.logical_type);
            proptest::collection::vec(element, 0..4)
                .prop_map(move |values| {
                    let series =
                        Series::from_any_values_and_dtype("".into(), &values, &dtype, true)
                            .expect("generated elements have the element dtype");
                    AnyValue::List(series)
                })
                .boxed()
        }
    }
}

/// One non-NULL value of the field's type that passes its checks.
fn element_values(field: &Field) -> BoxedStrategy<AnyValue<'static>> {
    if let Some(values) = field.constraints.iter().find_map(|c| match &c.kind {
        ConstraintKind::OneOf { values } => Some(values.clone()),
        _ => None,
    }) {
        let values: Vec<AnyValue<'static>> = values
            .iter()
            .map(|v| literal_value(v, &field.logical_type))
            .collect();
        return proptest::sample::select(values).boxed();
    }
    let (min, max) = bounds(field);
    match &field.logical_type {
        LogicalType::Bool => any::<bool>().prop_map(AnyValue::Boolean).boxed(),
        LogicalType::Int64 => {
            let (lo, hi) = integer_range(min, max, -1_000_000, 1_000_000);
            (lo..=hi).prop_map(AnyValue::Int64).boxed()
        }
        LogicalType::Float64 => {
            let (lo, hi) = float_range(min, max);
            (lo..=hi).prop_map(AnyValue::Float64).boxed()
        }
        LogicalType::Numeric { .. } | LogicalType::BigNumeric { .. } => {
            let (precision, scale) = field
                .logical_type
                .decimal_precision_scale()
                .expect("a decimal");
            let (lo, hi) = float_range(min, max);
            (lo..=hi)
                .prop_map(move |v| {
                    let cents = (v * 100.0).round() as i128;
                    AnyValue::Decimal(
                        cents * 10i128.pow(scale as u32 - 2.min(scale as u32)),
                        precision as usize,
                        scale as usize,
                    )
                })
                .boxed()
        }
        LogicalType::String => string_values(field),
        LogicalType::Bytes => proptest::collection::vec(any::<u8>(), 0..8)
            .prop_map(AnyValue::BinaryOwned)
            .boxed(),
        LogicalType::Json => Just(AnyValue::StringOwned("{}".into())).boxed(),
        LogicalType::Date => {
            let (lo, hi) = temporal_range(min, max, &DataType::Date, 10_957, 21_915);
            (lo..=hi)
                .prop_map(|days| AnyValue::Date(days as i32))
                .boxed()
        }
        LogicalType::Time => (0i64..86_400_000_000)
            .prop_map(|us| AnyValue::Time(us * 1000))
            .boxed(),
        LogicalType::DateTime | LogicalType::Timestamp => {
            let zone =
                (field.logical_type == LogicalType::Timestamp).then(|| Arc::new(TimeZone::UTC));
            let dtype =
                DataType::Datetime(TimeUnit::Microseconds, zone.as_ref().map(|z| (**z).clone()));
            let (lo, hi) =
                temporal_range(min, max, &dtype, 946_684_800_000_000, 1_893_456_000_000_000);
            (lo..=hi)
                .prop_map(move |us| {
                    AnyValue::DatetimeOwned(us, TimeUnit::Microseconds, zone.clone())
                })
                .boxed()
        }
        LogicalType::Record { fields } => {
            let values: Vec<BoxedStrategy<AnyValue<'static>>> =
                fields.iter().map(field_values).collect();
            let polars_fields: Vec<polars::prelude::Field> =
                match crate::schema::polars_type(&field.logical_type) {
                    DataType::Struct(fields) => fields,
                    _ => unreachable!("a record is a struct"),
                };
            values
                .prop_map(move |values| {
                    AnyValue::StructOwned(Box::new((values, polars_fields.clone())))
                })
                .boxed()
        }
    }
}

fn string_values(field: &Field) -> BoxedStrategy<AnyValue<'static>> {
    let pattern = field.constraints.iter().find_map(|c| match &c.kind {
        ConstraintKind::Regex { pattern } => Some(pattern.clone()),
        ConstraintKind::Email => Some(r"[a-z]{1,8}@[a-z]{1,8}\.com".into()),
        ConstraintKind::Url => Some(r"https://[a-z]{1,8}\.com/[a-z]{0,8}".into()),
        _ => None,
    });
    let (min_len, max_len) = field
        .constraints
        .iter()
        .find_map(|c| match c.kind {
            ConstraintKind::Length { min, max } => {
                Some((min.unwrap_or(0), max.unwrap_or(12).max(min.unwrap_or(0))))
            }
            _ => None,
        })
        .unwrap_or((0, 12));
    let pattern = pattern.unwrap_or_else(|| format!("[a-zA-Z0-9 ]{{{min_len},{max_len}}}"));
    let generator = pattern
        .trim_start_matches('^')
        .trim_end_matches('$')
        .to_string();
    proptest::string::string_regex(&generator)
        .unwrap_or_else(|error| panic!("cannot generate strings for pattern {pattern}: {error}"))
        .prop_filter("length within bounds", move |s| {
            let length = s.chars().count() as u64;
            length >= min_len && length <= max_len
        })
        .prop_map(|s| AnyValue::StringOwned(s.into()))
        .boxed()
}

/// The field's range bounds, if it has a range.
fn bounds(field: &Field) -> (Option<Bound>, Option<Bound>) {
    field
        .constraints
        .iter()
        .find_map(|c| match &c.kind {
            ConstraintKind::Range { min, max } => Some((min.clone(), max.clone())),
            _ => None,
        })
        .unwrap_or((None, None))
}

fn as_f64(literal: &Literal) -> Option<f64> {
    match literal {
        Literal::Int(v) => Some(*v as f64),
        Literal::Float(v) => Some(*v),
        _ => None,
    }
}

/// The tightest whole number (or tick) a bound allows: `lower` for a
/// minimum, else a maximum; an exclusive bound moves one step inside.
fn whole_edge(value: f64, inclusive: bool, lower: bool) -> f64 {
    match (lower, inclusive) {
        (true, true) => value.ceil(),
        (true, false) => value.floor() + 1.0,
        (false, true) => value.floor(),
        (false, false) => value.ceil() - 1.0,
    }
}

fn integer_range(min: Option<Bound>, max: Option<Bound>, lo: i64, hi: i64) -> (i64, i64) {
    let edge = |bound: Option<Bound>, lower: bool| {
        bound.and_then(|b| as_f64(&b.value).map(|v| whole_edge(v, b.inclusive, lower) as i64))
    };
    let lo = edge(min, true).unwrap_or(lo);
    let hi = edge(max, false).unwrap_or(hi.max(lo));
    (lo, hi.max(lo))
}

fn float_range(min: Option<Bound>, max: Option<Bound>) -> (f64, f64) {
    let edge = |bound: Option<Bound>, lower: bool| {
        bound.and_then(|b| {
            let v = as_f64(&b.value)?;
            let step = if lower { 1e-6 } else { -1e-6 } * v.abs().max(1.0);
            Some(if b.inclusive { v } else { v + step })
        })
    };
    let lo = edge(min, true).unwrap_or(-1e6);
    let hi = edge(max, false).unwrap_or(lo.max(0.0) + 2e6);
    (lo, hi.max(lo))
}

/// Ticks (days or µs) between temporal bounds written as ISO strings.
fn temporal_range(
    min: Option<Bound>,
    max: Option<Bound>,
    dtype: &DataType,
    lo: i64,
    hi: i64,
) -> (i64, i64) {
    let edge = |bound: Option<Bound>, lower: bool| match bound {
        Some(Bound {
            value: Literal::String(text),
            inclusive,
        }) => {
            let ticks = temporal_ticks(&text, dtype)?;
            Some(whole_edge(ticks as f64, inclusive, lower) as i64)
        }
        _ => None,
    };
    let lo = edge(min, true).unwrap_or(lo);
    let hi = edge(max, false).unwrap_or(hi.max(lo));
    (lo, hi.max(lo))
}

fn literal_value(literal: &Literal, logical_type: &LogicalType) -> AnyValue<'static> {
    match (literal, logical_type) {
        (Literal::Bool(v), _) => AnyValue::Boolean(*v),
        (Literal::Int(v), LogicalType::Float64) => AnyValue::Float64(*v as f64),
        (Literal::Int(v), _) => AnyValue::Int64(*v),
        (Literal::Float(v), _) => AnyValue::Float64(*v),
        (Literal::String(v), _) => AnyValue::StringOwned(v.as_str().into()),
    }
}

/// `frame` with its first row changed so that the check `id` fails and,
/// for a contract whose columns carry one check each, no other check does.
/// `None` when the check cannot be broken that way (row rules, statistics)
/// or the frame is too small (unique and dedup checks need two rows).
pub fn violate(frame: &DataFrame, contract: &Contract, id: &str) -> Option<DataFrame> {
    if frame.height() == 0 {
        return None;
    }
    if id == "dedup_key" {
        let key = contract.dedup_key.as_ref()?;
        return copy_from_second_row(frame, &key.columns);
    }
    let (column, kind) = id.split_once('.')?;
    let field = contract.field(column)?;
    let bad = match kind {
        "not_null" => AnyValue::Null,
        "unique" => return copy_from_second_row(frame, &[column.to_string()]),
        "range" => out_of_range_value(field)?,
        "length" => {
            let (min, max) = field.constraints.iter().find_map(|c| match c.kind {
                ConstraintKind::Length { min, max } => Some((min, max)),
                _ => None,
            })?;
            let length = match (min, max) {
                (_, Some(max)) => max as usize + 1,
                (Some(min), None) if min > 0 => min as usize - 1,
                _ => return None,
            };
            AnyValue::StringOwned("x".repeat(length).into())
        }
        "regex" | "email" | "url" => {
            let pattern = match kind {
                "email" => EMAIL_PATTERN.to_string(),
                "url" => URL_PATTERN.to_string(),
                _ => field.constraints.iter().find_map(|c| match &c.kind {
                    ConstraintKind::Regex { pattern } => Some(pattern.clone()),
                    _ => None,
                })?,
            };
            let regex = regex::Regex::new(&pattern).ok()?;
            let text = ["", "!", "0", "a", "ZZZZZZZZZZZZ", "not matching"]
                .into_iter()
                .find(|t| !regex.is_match(t))?;
            AnyValue::StringOwned(text.into())
        }
        "one_of" => match field.logical_type {
            LogicalType::String => AnyValue::StringOwned("\u{1}not one of them".into()),
            LogicalType::Int64 => AnyValue::Int64(i64::MIN),
            _ => return None,
        },
        _ => return None,
    };
    set_first(frame, column, bad)
}

/// Just outside the field's range: below the minimum, or above the maximum.
fn out_of_range_value(field: &Field) -> Option<AnyValue<'static>> {
    let (min, max) = bounds(field);
    let dtype = crate::schema::polars_type(&field.logical_type);
    let (bound, below) = match (&min, &max) {
        (Some(bound), _) => (bound, true),
        (None, Some(bound)) => (bound, false),
        _ => return None,
    };
    let step = |v: f64| match (below, bound.inclusive) {
        (true, true) => v - 1.0,
        (false, true) => v + 1.0,
        (_, false) => v,
    };
    Some(match (&field.logical_type, &bound.value) {
        (LogicalType::Int64, value) => AnyValue::Int64(step(as_f64(value)?) as i64),
        (LogicalType::Float64, value) => AnyValue::Float64(step(as_f64(value)?)),
        (LogicalType::Date, Literal::String(text)) => {
            AnyValue::Date(step(temporal_ticks(text, &dtype)? as f64) as i32)
        }
        (LogicalType::DateTime | LogicalType::Timestamp, Literal::String(text)) => {
            let zone =
                (field.logical_type == LogicalType::Timestamp).then(|| Arc::new(TimeZone::UTC));
            AnyValue::DatetimeOwned(
                step(temporal_ticks(text, &dtype)? as f64) as i64,
                TimeUnit::Microseconds,
                zone,
            )
        }
        _ => return None,
    })
}

fn set_first(frame: &DataFrame, column: &str, value: AnyValue<'static>) -> Option<DataFrame> {
    let series = frame.column(column).ok()?.as_materialized_series().clone();
    let mut values: Vec<AnyValue> = series.iter().collect();
    values[0] = value;
    let replaced =
        Series::from_any_values_and_dtype(column.into(), &values, series.dtype(), true).ok()?;
    let mut frame = frame.clone();
    frame.with_column(replaced.into_column()).ok()?;
    Some(frame)
}

/// Row 0 takes row 1's values in `columns` (which must not be NULL there).
fn copy_from_second_row(frame: &DataFrame, columns: &[String]) -> Option<DataFrame> {
    if frame.height() < 2 {
        return None;
    }
    let mut frame = frame.clone();
    for column in columns {
        let value = frame.column(column).ok()?.get(1).ok()?.into_static();
        if value.is_null() {
            return None;
        }
        frame = set_first(&frame, column, value)?;
    }
    Some(frame)
}
