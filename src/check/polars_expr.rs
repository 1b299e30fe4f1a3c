//! Compiles planned checks to Polars expressions.
//!
//! A row test becomes a boolean expression that is `true` exactly for the
//! failing rows and never NULL, so `sum()` counts failures and `filter()`
//! selects them. A statistic becomes one aggregate expression. Together they
//! evaluate in one `select` over the data.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use polars::prelude::*;

use super::{RowTest, rule};
use crate::{Bound, Literal, Statistic};

/// The expression reading `column`, a dotted path into RECORD sub-fields.
pub fn column(path: &str) -> Expr {
    let mut parts = path.split('.');
    let first = parts.next().expect("split yields at least one part");
    parts.fold(col(first), |expr, field| {
        expr.struct_().field_by_name(field)
    })
}

/// `true` for the rows that fail `test`; `dtype_of` gives a column's
/// contract dtype (bounds are compared in it).
pub fn failure(test: &RowTest, dtype_of: &dyn Fn(&str) -> Option<DataType>) -> PolarsResult<Expr> {
    let expr = match test {
        RowTest::NotNull { column: path } => column(path).is_null(),
        RowTest::Range {
            column: path,
            min,
            max,
        } => {
            let dtype = dtype_of(path).ok_or_else(|| unknown_column(path))?;
            out_of_range(path, &dtype, min.as_ref(), max.as_ref())?
        }
        RowTest::Length {
            column: path,
            array,
            min,
            max,
        } => {
            let length = if *array {
                column(path).list().len().cast(DataType::UInt64)
            } else {
                column(path).str().len_chars().cast(DataType::UInt64)
            };
            let too_short = min.map(|min| length.clone().lt(lit(min)));
            let too_long = max.map(|max| length.gt(lit(max)));
            any_of([too_short, too_long])
        }
        RowTest::Regex {
            column: path,
            pattern,
        } => column(path)
            .str()
            .contains(lit(pattern.as_str()), true)
            .not(),
        RowTest::OneOf {
            column: path,
            values,
        } => {
            let dtype = dtype_of(path).ok_or_else(|| unknown_column(path))?;
            let allowed = literal_series(values, &dtype)?;
            column(path).is_in(lit(allowed).implode(true), false).not()
        }
        RowTest::Unique { columns } => match columns.as_slice() {
            [single] => column(single)
                .is_duplicated()
                .and(column(single).is_not_null()),
            several => as_struct(several.iter().map(|c| column(c)).collect()).is_duplicated(),
        },
        RowTest::Rule { sql } => {
            let portable = rule::portable(sql).map_err(|e| PolarsError::ComputeError(e.into()))?;
            polars::sql::sql_expr(portable)?.not()
        }
        RowTest::References { table, .. } => {
            return Err(
                polars_err!(ComputeError: "a foreign key to `{table}` compiles with the referenced rows (`unreferenced`)"),
            );
        }
    };
    Ok(expr.fill_null(lit(false)))
}

/// A foreign key's failing rows: no NULL in the key (MATCH SIMPLE), and
/// no mark in the column `marker`, which a left join with the referenced
/// table's distinct keys ([`referenced_keys`]) sets on every row whose key
/// it holds.
pub fn unreferenced(columns: &[String], marker: &str) -> Expr {
    columns
        .iter()
        .map(|path| column(path).is_not_null())
        .fold(col(marker).is_null(), Expr::and)
}

/// The column marking the rows a foreign key's check `name` finds
/// referenced (`name` is unique per check).
pub fn referenced_marker(name: &str) -> String {
    format!("__datacontract_ref_{name}")
}

/// The distinct keys of `rows` (the referenced table's) in `referenced`,
/// renamed to this table's `columns` and cast to their `dtypes`, with
/// `marker` set: the right side of the join that marks referenced rows.
pub fn referenced_keys(
    rows: LazyFrame,
    columns: &[String],
    referenced: &[String],
    dtypes: &[DataType],
    marker: &str,
) -> LazyFrame {
    let keys: Vec<Expr> = referenced
        .iter()
        .zip(columns.iter().zip(dtypes))
        .map(|(theirs, (ours, dtype))| {
            col(theirs.as_str())
                .strict_cast(dtype.clone())
                .alias(ours.as_str())
        })
        .collect();
    rows.select(keys)
        .unique(None, UniqueKeepStrategy::Any)
        .with_column(lit(true).alias(marker))
}

/// The aggregate measuring `statistic` of the column at `path`. (The row
/// count needs none: every pass counts rows.)
pub fn statistic(statistic: &Statistic, path: &str) -> Expr {
    let value = column(path);
    let numeric = value.clone().cast(DataType::Float64);
    match statistic {
        Statistic::RowCount => len().cast(DataType::Float64),
        Statistic::Mean => numeric.mean(),
        Statistic::Stddev => numeric.std(1),
        Statistic::Sum => numeric.sum(),
        Statistic::Quantile { q } => numeric.quantile(lit(*q), QuantileMethod::Linear),
        Statistic::Min => value.min(),
        Statistic::Max => value.max(),
        Statistic::NullFraction => {
            value.null_count().cast(DataType::Float64) / len().cast(DataType::Float64)
        }
        Statistic::DistinctCount => value.drop_nulls().n_unique().cast(DataType::Float64),
    }
}

fn out_of_range(
    path: &str,
    dtype: &DataType,
    min: Option<&Bound>,
    max: Option<&Bound>,
) -> PolarsResult<Expr> {
    let value = column(path);
    let beyond = |bound: &Bound, lower: bool| -> PolarsResult<Expr> {
        let (value, limit) = comparable(value.clone(), dtype, &bound.value)?;
        Ok(match (lower, bound.inclusive) {
            (true, true) => value.lt(limit),
            (true, false) => value.lt_eq(limit),
            (false, true) => value.gt(limit),
            (false, false) => value.gt_eq(limit),
        })
    };
    let below = min.map(|bound| beyond(bound, true)).transpose()?;
    let above = max.map(|bound| beyond(bound, false)).transpose()?;
    // NaN and ±infinity are no real number: never within a range.
    let not_finite = dtype.is_float().then(|| value.is_finite().not());
    Ok(any_of([below, above, not_finite]))
}

/// The column and the bound as two expressions of one comparable dtype.
fn comparable(value: Expr, dtype: &DataType, bound: &Literal) -> PolarsResult<(Expr, Expr)> {
    Ok(match (dtype, bound) {
        (DataType::Decimal(..), Literal::Int(_) | Literal::Float(_)) => {
            (value, literal_expr(bound).cast(dtype.clone()))
        }
        (dtype, Literal::Int(int)) if dtype.is_integer() => (value, lit(*int)),
        (dtype, Literal::Int(_) | Literal::Float(_)) if dtype.is_primitive_numeric() => (
            value.cast(DataType::Float64),
            literal_expr(bound).cast(DataType::Float64),
        ),
        (dtype, Literal::String(text)) if dtype.is_temporal() => {
            (value, temporal_literal(text, dtype)?)
        }
        _ => {
            polars_bail!(InvalidOperation: "a bound {bound} cannot be compared with a {dtype} column")
        }
    })
}

fn literal_expr(literal: &Literal) -> Expr {
    match literal {
        Literal::Bool(flag) => lit(*flag),
        Literal::Int(int) => lit(*int),
        Literal::Float(float) => lit(*float),
        Literal::String(text) => lit(text.as_str()),
    }
}

/// An ISO 8601 literal as a value of a temporal dtype.
pub fn temporal_literal(text: &str, dtype: &DataType) -> PolarsResult<Expr> {
    let ticks = temporal_ticks(text, dtype)
        .ok_or_else(|| polars_err!(InvalidOperation: "`{text}` is not a valid {dtype} literal"))?;
    Ok(lit(ticks).cast(dtype.clone()))
}

/// An ISO 8601 literal in the physical ticks of a temporal dtype: days
/// (DATE), nanoseconds since midnight (TIME), or the dtype's time unit
/// since the epoch (DATETIME, with an offset when the dtype has a zone).
pub fn temporal_ticks(text: &str, dtype: &DataType) -> Option<i64> {
    Some(match dtype {
        DataType::Date => {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
            (date - NaiveDate::default()).num_days()
        }
        DataType::Time => {
            let time = text.parse::<NaiveTime>().ok()?;
            time.num_seconds_from_midnight() as i64 * 1_000_000_000 + time.nanosecond() as i64
        }
        DataType::Datetime(unit, zone) => {
            let instant = match zone {
                Some(_) => DateTime::parse_from_rfc3339(text).ok()?.naive_utc(),
                None => text
                    .parse::<NaiveDateTime>()
                    .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
                    .ok()?,
            };
            let micros = instant.and_utc().timestamp_micros();
            match unit {
                TimeUnit::Nanoseconds => micros * 1000,
                TimeUnit::Microseconds => micros,
                TimeUnit::Milliseconds => micros / 1000,
            }
        }
        _ => return None,
    })
}

/// The allowed values of a `one_of` as a Series of the column's dtype.
fn literal_series(values: &[Literal], dtype: &DataType) -> PolarsResult<Series> {
    let series = match values.first() {
        Some(Literal::String(_)) => Series::new(
            "allowed".into(),
            values
                .iter()
                .map(|v| match v {
                    Literal::String(text) => Some(text.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        ),
        Some(Literal::Bool(_)) => Series::new(
            "allowed".into(),
            values
                .iter()
                .map(|v| matches!(v, Literal::Bool(true)))
                .collect::<Vec<_>>(),
        ),
        _ => Series::new(
            "allowed".into(),
            values
                .iter()
                .map(|v| match v {
                    Literal::Int(int) => *int as f64,
                    Literal::Float(float) => *float,
                    _ => f64::NAN,
                })
                .collect::<Vec<_>>(),
        ),
    };
    series.cast(dtype)
}

/// The OR of the present conditions; `false` when there are none.
fn any_of<const N: usize>(conditions: [Option<Expr>; N]) -> Expr {
    conditions
        .into_iter()
        .flatten()
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false))
}

fn unknown_column(path: &str) -> PolarsError {
    polars_err!(ColumnNotFound: "the contract has no column `{path}`")
}
