//! Schema conformance: the frame's columns and dtypes against the
//! contract's, before any data check. Every problem is one finding; checks
//! on a column with a problem are skipped, not crashed.

mod time_format;

use std::collections::HashSet;

use polars::prelude::*;

use self::time_format::InferredFormat;
use super::SchemaPolicy;
use super::driver::SchemaVerdict;
use crate::check::CheckKind;
use crate::report::{CheckResult, Status};
use crate::{Contract, Severity};

/// What conformance found and what it asks of the data pass.
pub struct Conformance {
    /// The findings (missing, unexpected or mistyped columns) and the
    /// columns whose data checks must be skipped.
    pub verdict: SchemaVerdict,
    /// Casts that make coercible columns conform (policy `coerce`).
    pub casts: Vec<Coercion>,
}

/// The formats text is parsed with when it is coerced to a time, as
/// strftime patterns (`%d/%m/%Y %H:%M`); `None` keeps the defaults: a
/// timestamp's format inferred from its first value that follows one (RFC
/// 3339 and the ISO spellings, `2024-03-01 10:15:00`, or day first), ISO
/// dates (`2024-03-01`). A timestamp without a zone is UTC.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextFormats {
    /// The format of TIMESTAMP and DATETIME columns.
    pub timestamp: Option<String>,
    /// The format of DATE columns.
    pub date: Option<String>,
}

impl TextFormats {
    /// The formats, once each is checked to be a strftime pattern.
    pub fn new(
        timestamp: Option<String>,
        date: Option<String>,
    ) -> Result<Self, crate::input::OptionError> {
        for (option, format) in [("timestamp_format", &timestamp), ("date_format", &date)] {
            if let Some(format) = format {
                let invalid = format.is_empty()
                    || chrono::format::StrftimeItems::new(format)
                        .any(|item| matches!(item, chrono::format::Item::Error));
                if invalid {
                    return Err(crate::input::OptionError {
                        option,
                        message: format!(
                            "`{format}` is not a strftime format (e.g. `%d/%m/%Y %H:%M:%S`)"
                        ),
                    });
                }
            }
        }
        Ok(TextFormats { timestamp, date })
    }
}

/// A safe cast of one column to its contract dtype.
pub struct Coercion {
    /// The column.
    pub column: String,
    /// The cast expression, aliased to the column.
    pub cast: Expr,
    /// Whether a value can fail to survive the cast (not for a column
    /// holding only NULLs).
    lossy: bool,
    /// What was cast to what, for the report.
    pub description: String,
}

impl Coercion {
    /// `true` for rows whose value did not survive the cast (not NULL
    /// before, NULL after): values that do not parse as the contract type.
    pub fn lost(&self) -> Expr {
        self.lost_between(col(self.column.as_str()), self.cast.clone())
    }

    /// [`Coercion::lost`] from the value as it was (`before`) and as cast
    /// (`after`), each already computed once.
    pub fn lost_between(&self, before: Expr, after: Expr) -> Expr {
        if self.lossy {
            before.is_not_null().and(after.is_null())
        } else {
            lit(false)
        }
    }
}

/// Compares the columns of `frame` with the contract's Polars schema under
/// `policy`, text parsed as `formats` say (a timestamp's format, when
/// inferred, from the frame's values).
pub fn conform(
    frame: &LazyFrame,
    contract: &Contract,
    policy: SchemaPolicy,
    formats: &TextFormats,
) -> PolarsResult<Conformance> {
    let actual = frame.clone().collect_schema()?;
    let expected = contract.polars_schema();
    let mut conformance = Conformance {
        verdict: SchemaVerdict::default(),
        casts: Vec::new(),
    };
    for (name, want) in expected.iter() {
        let name = name.to_string();
        let Some(have) = actual.get(&name) else {
            let reason = "the column is missing".to_string();
            conformance.verdict.findings.push(finding(
                &name,
                "missing",
                format!("a column `{name}` of type {want}"),
                &reason,
            ));
            conformance.verdict.unusable.push((name, reason));
            continue;
        };
        if same_type(have, want) {
            continue;
        }
        if only_nulls_differ(have, want) {
            // A column (or field) with no value at all has no type of its
            // own (NDJSON reads it as `null`): it is the contract's type.
            conformance.casts.push(Coercion {
                column: name.clone(),
                cast: col(name.as_str()).cast(want.clone()).alias(name.as_str()),
                lossy: false,
                description: format!("{have}, holding only NULLs, read as {want}"),
            });
            continue;
        }
        match (policy, coercion(frame, &name, have, want, formats)?) {
            (SchemaPolicy::Coerce, Some(cast)) => conformance.casts.push(cast),
            _ => {
                let reason = format!("the column is {have}, not {want}");
                conformance.verdict.findings.push(finding(
                    &name,
                    "dtype",
                    want.to_string(),
                    &reason,
                ));
                conformance.verdict.unusable.push((name, reason));
            }
        }
    }
    if policy == SchemaPolicy::Strict {
        let known: HashSet<&str> = expected.iter_names().map(|n| n.as_str()).collect();
        for name in actual.iter_names().filter(|n| !known.contains(n.as_str())) {
            conformance.verdict.findings.push(finding(
                name,
                "unexpected",
                "no column outside the contract (schema policy strict)".into(),
                "the contract has no such column",
            ));
        }
    }
    Ok(conformance)
}

/// Whether `have` is `want` but for parts of type `null` (no value seen).
fn only_nulls_differ(have: &DataType, want: &DataType) -> bool {
    match (have, want) {
        (DataType::Null, _) => true,
        (DataType::List(have), DataType::List(want)) => only_nulls_differ(have, want),
        (DataType::Struct(have), DataType::Struct(want)) => {
            have.len() == want.len()
                && have
                    .iter()
                    .zip(want)
                    .all(|(h, w)| h.name() == w.name() && only_nulls_differ(h.dtype(), w.dtype()))
        }
        (have, want) => same_type(have, want),
    }
}

/// Equal dtypes, comparing struct fields by name and type, in order.
fn same_type(have: &DataType, want: &DataType) -> bool {
    match (have, want) {
        (DataType::List(have), DataType::List(want)) => same_type(have, want),
        (DataType::Struct(have), DataType::Struct(want)) => {
            have.len() == want.len()
                && have
                    .iter()
                    .zip(want)
                    .all(|(h, w)| h.name() == w.name() && same_type(h.dtype(), w.dtype()))
        }
        (DataType::Datetime(hu, hz), DataType::Datetime(wu, wz)) => hu == wu && hz == wz,
        (have, want) => have == want,
    }
}

/// The safe cast of column `name` of `frame` from `have` to `want`, if
/// there is one: wider integers and floats, integer to float, another time
/// unit or zone spelling of UTC, and text that parses (RFC 3339 timestamps,
/// ISO dates, decimals, numbers, `true`/`false` in any case). Parsing
/// failures become NULL and are counted as [`Coercion::lost`].
pub fn coercion(
    frame: &LazyFrame,
    name: &str,
    have: &DataType,
    want: &DataType,
    formats: &TextFormats,
) -> PolarsResult<Option<Coercion>> {
    let source = col(name);
    let cast = match (have, want) {
        (h, DataType::Int64)
            if h.is_integer()
                && !matches!(h, DataType::UInt64 | DataType::Int128 | DataType::UInt128) =>
        {
            source.clone().cast(DataType::Int64)
        }
        (h, DataType::Float64) if h.is_primitive_numeric() => {
            source.clone().cast(DataType::Float64)
        }
        (DataType::Datetime(_, _), DataType::Datetime(unit, zone)) => {
            source.clone().cast(DataType::Datetime(*unit, zone.clone()))
        }
        (DataType::String, DataType::Datetime(unit, zone)) if formats.timestamp.is_none() => {
            InferredFormat::of(frame, name, *unit, zone.clone())?.parse(source.clone())
        }
        (DataType::String, DataType::Datetime(unit, zone)) => source.clone().str().to_datetime(
            Some(*unit),
            zone.clone(),
            StrptimeOptions {
                format: formats.timestamp.as_deref().map(Into::into),
                strict: false,
                exact: true,
                cache: true,
            },
            lit("raise"),
        ),
        (DataType::String, DataType::Date) => source.clone().str().to_date(StrptimeOptions {
            format: Some(formats.date.as_deref().unwrap_or("%Y-%m-%d").into()),
            strict: false,
            exact: true,
            cache: true,
        }),
        (DataType::String, DataType::Decimal(_, scale)) => decimal_text(source.clone(), *scale)
            .str()
            .to_decimal(*scale)
            .cast(want.clone()),
        (DataType::String, DataType::Boolean) => {
            let text = source.clone().str().to_lowercase();
            when(text.clone().eq(lit("true")))
                .then(lit(true))
                .when(text.eq(lit("false")))
                .then(lit(false))
                .otherwise(lit(NULL).cast(DataType::Boolean))
        }
        (DataType::String, DataType::Int64 | DataType::Float64) => {
            source.clone().cast(want.clone())
        }
        (h, DataType::Decimal(..)) if h.is_integer() => source.clone().cast(want.clone()),
        _ => return Ok(None),
    };
    Ok(Some(Coercion {
        column: name.to_string(),
        cast: cast.alias(name),
        lossy: true,
        description: format!("cast from {have} to {want}"),
    }))
}

/// `text` with every value whose exponent could not scale to a decimal of
/// `scale` digits (`1e2147483647`, `1e80`) made NULL first: Polars' parser
/// overflows on them (a panic, or a wrong value in release builds). Such a
/// value then fails `<column>.parse` like any text that does not parse.
fn decimal_text(text: Expr, scale: usize) -> Expr {
    let exponent = text
        .clone()
        .str()
        .extract(lit(r"[eE]([+-]?[0-9]{1,6})\s*$"), 1)
        .cast(DataType::Int64);
    let plain = text.clone().str().contains(lit("[eE]"), false).not();
    let scalable = exponent
        .clone()
        .gt_eq(lit(-38i64))
        .and((exponent + lit(scale as i64)).lt_eq(lit(38i64)));
    when(plain.or(scalable))
        .then(text)
        .otherwise(lit(NULL).cast(DataType::String))
}

pub(super) fn finding(column: &str, problem: &str, expected: String, message: &str) -> CheckResult {
    CheckResult {
        id: format!("{column}.{problem}"),
        columns: vec![column.to_string()],
        kind: CheckKind::Schema,
        severity: Severity::Error,
        status: Status::Fail,
        failing_rows: None,
        failing_fraction: None,
        observed: None,
        approximate: false,
        expected,
        message: Some(message.to_string()),
        examples: Vec::new(),
    }
}
