//! What a contract checks: per-value constraints, row rules and statistical
//! expectations, each with a severity.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a failed check does to a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Stops the run; the data is not promoted.
    #[default]
    Error,
    /// Reported, the run goes on.
    Warn,
}

impl Severity {
    /// `error` or `warn`, as contracts and reports spell it.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warn => "warn",
        }
    }
}

/// A constant in a contract: a bound, or an allowed value.
///
/// Dates, times and timestamps are written as ISO 8601 / RFC 3339 strings
/// (`"2001-01-01"`, `"2001-01-01T00:00:00Z"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Literal {
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text, or a date/time in ISO format.
    String(String),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Bool(value) => write!(f, "{value}"),
            Literal::Int(value) => write!(f, "{value}"),
            Literal::Float(value) => write!(f, "{value:?}"),
            Literal::String(value) => write!(f, "{value:?}"),
        }
    }
}

/// One end of a range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bound {
    /// The limit.
    pub value: Literal,
    /// Whether the limit itself is allowed.
    pub inclusive: bool,
}

/// A check on every value of a column, with its severity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Constraint {
    /// What is checked.
    #[serde(flatten)]
    pub kind: ConstraintKind,
    /// What a failure does.
    pub severity: Severity,
}

/// The kinds of per-value checks. A NULL passes every one of them; whether a
/// column may hold NULL is its [`Mode`](crate::Mode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum ConstraintKind {
    /// The value lies between the bounds.
    Range {
        /// The lower bound, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<Bound>,
        /// The upper bound, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<Bound>,
    },
    /// The length (characters of a string, elements of an array) lies
    /// between the bounds, inclusive.
    Length {
        /// The least length allowed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<u64>,
        /// The greatest length allowed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<u64>,
    },
    /// The value contains a match of the regular expression (anchor it with
    /// `^…$` to match the whole value), as `REGEXP_CONTAINS` does.
    Regex {
        /// The pattern, in RE2 / Rust `regex` syntax.
        pattern: String,
    },
    /// The value is one of the listed ones.
    OneOf {
        /// The allowed values.
        values: Vec<Literal>,
    },
    /// No two rows hold the same value.
    Unique,
    /// The value is an e-mail address.
    Email,
    /// The value is an absolute URL.
    Url,
}

impl ConstraintKind {
    /// Every kind's [`name`](Self::name), in the order a column's checks
    /// are listed: ranges, then lengths, patterns, allowed values,
    /// uniqueness and formats, whatever order the attributes wrote them in.
    pub const NAMES: [&'static str; 7] = [
        "range", "length", "regex", "one_of", "unique", "email", "url",
    ];

    /// The position of the kind named `name` in [`NAMES`](Self::NAMES).
    pub fn rank_of(name: &str) -> usize {
        Self::NAMES
            .iter()
            .position(|known| *known == name)
            .unwrap_or(Self::NAMES.len())
    }

    /// The check's name in ids and messages: `range`, `length`, `regex`,
    /// `one_of`, `unique`, `email`, `url`.
    pub fn name(&self) -> &'static str {
        match self {
            ConstraintKind::Range { .. } => "range",
            ConstraintKind::Length { .. } => "length",
            ConstraintKind::Regex { .. } => "regex",
            ConstraintKind::OneOf { .. } => "one_of",
            ConstraintKind::Unique => "unique",
            ConstraintKind::Email => "email",
            ConstraintKind::Url => "url",
        }
    }
}

/// A row rule: a SQL boolean expression over the row's columns, the same
/// text the warehouse runs. A row passes when the expression is TRUE or NULL
/// (as a BigQuery `CHECK`-style filter `NOT (expr)` would keep it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowRule {
    /// The rule's name; its check id is `rule.<name>`.
    pub name: String,
    /// The expression, e.g. `high >= low`.
    pub sql: String,
    /// What a failure does.
    pub severity: Severity,
}

/// A statistic of a whole column (or table) that must lie within bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expectation {
    /// What is measured.
    #[serde(flatten)]
    pub statistic: Statistic,
    /// The least value allowed, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Literal>,
    /// The greatest value allowed, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Literal>,
    /// What a failure does.
    pub severity: Severity,
    /// Whether a warehouse may measure the statistic with an approximate
    /// aggregate (HyperLogLog for distinct counts, a sketch for
    /// quantiles) instead of the exact one, which needs a sort or a set of
    /// every value. Only [`Statistic::is_approximable`] statistics have one;
    /// in memory the value is exact either way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
}

/// The statistics an [`Expectation`] can bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "statistic", rename_all = "snake_case")]
pub enum Statistic {
    /// The number of rows of the table (table level only).
    RowCount,
    /// The arithmetic mean of the non-NULL values.
    Mean,
    /// The sample standard deviation of the non-NULL values.
    Stddev,
    /// The smallest value.
    Min,
    /// The largest value.
    Max,
    /// The sum of the values.
    Sum,
    /// A quantile of the values.
    Quantile {
        /// Which quantile, between 0 and 1.
        q: f64,
    },
    /// The fraction of rows that hold NULL.
    NullFraction,
    /// The number of distinct non-NULL values.
    DistinctCount,
}

impl Statistic {
    /// The statistic's name as check ids spell it: `mean`, `quantile_0.9`,
    /// `null_fraction`, `row_count`, …
    pub fn name(&self) -> String {
        match self {
            Statistic::RowCount => "row_count".into(),
            Statistic::Mean => "mean".into(),
            Statistic::Stddev => "stddev".into(),
            Statistic::Min => "min".into(),
            Statistic::Max => "max".into(),
            Statistic::Sum => "sum".into(),
            Statistic::Quantile { q } => format!("quantile_{q}"),
            Statistic::NullFraction => "null_fraction".into(),
            Statistic::DistinctCount => "distinct_count".into(),
        }
    }

    /// Whether warehouses have an approximate aggregate for the statistic:
    /// the quantiles and the distinct count, the two that need a sort or a
    /// set of every value.
    pub fn is_approximable(&self) -> bool {
        matches!(self, Statistic::Quantile { .. } | Statistic::DistinctCount)
    }
}

macro_rules! literal_from {
    ($variant:ident as $target:ty: $($source:ty),*) => {
        $(impl From<$source> for Literal {
            fn from(value: $source) -> Self {
                Literal::$variant(<$target>::from(value))
            }
        })*
    };
}

literal_from!(Int as i64: i8, i16, i32, i64, u8, u16, u32);
literal_from!(Float as f64: f32, f64);
literal_from!(String as String: &str, String);
literal_from!(Bool as bool: bool);
