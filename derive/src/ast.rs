//! What the macro read from a struct: its table and column attributes,
//! with the spans errors point at. Filled by `attr` and `foreign`, checked
//! by `check`, turned into code by `expand`.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{Expr, Ident, LitStr};

use crate::attr::ColumnAttrs;
use crate::ty::ColumnType;

/// `error` or `warn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warn,
}

/// A constant written in an attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// validator's bound written as an expression (`min = MIN_PRICE`):
    /// evaluated at run time, not checked at compile time.
    Runtime(Box<Expr>),
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(value) => Some(*value as f64),
            Value::Float(value) => Some(*value),
            _ => None,
        }
    }
}

/// A value with the span of the tokens it came from.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// The struct as a table.
pub struct Table {
    pub ident: Ident,
    pub name: Spanned<String>,
    pub version: Spanned<String>,
    pub description: Option<String>,
    pub dedup_key: Vec<Ident>,
    pub dedup_severity: Option<Severity>,
    pub partition: Option<Partition>,
    pub cluster_by: Vec<Ident>,
    pub severity: Severity,
    pub row_count: Option<Expect>,
    pub freshness: Option<FreshnessSpec>,
    pub drift: Option<DriftSpec>,
    pub rules: Vec<Rule>,
    pub columns: Vec<Column>,
}

/// `drift(psi = 0.25, ks = 0.3, category_share = 0.1, columns(a, b))`.
pub struct DriftSpec {
    pub columns: Vec<Ident>,
    pub psi: Option<f64>,
    pub ks: Option<f64>,
    pub category_share: Option<f64>,
    pub severity: Option<Severity>,
}

/// `freshness(column, max_age = "26h")`.
pub struct FreshnessSpec {
    pub column: Ident,
    pub max_age_seconds: u64,
    pub severity: Option<Severity>,
}

impl Table {
    /// The column `ident` refers to: by stored column name first, then by
    /// Rust field name.
    pub fn column(&self, ident: &Ident) -> Option<&Column> {
        let wanted = ident.unraw().to_string();
        self.columns
            .iter()
            .find(|column| column.name.value == wanted)
            .or_else(|| {
                self.columns
                    .iter()
                    .find(|column| column.ident.unraw() == wanted)
            })
    }
}

/// `partition_by(...)`.
pub enum Partition {
    Time {
        column: Ident,
        granularity: Spanned<Granularity>,
    },
    IngestionTime {
        granularity: Granularity,
    },
    Range {
        column: Ident,
        start: i64,
        end: i64,
        interval: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Hour,
    Day,
    Month,
    Year,
}

/// `rule("sql")` or `rule(name = ..., sql = ..., severity = ...)`.
pub struct Rule {
    pub sql: LitStr,
    pub name: Option<String>,
    pub severity: Option<Severity>,
}

/// One field of the struct as a column.
pub struct Column {
    pub ident: Ident,
    /// The stored name, after `rename`, serde's renaming, or the field's.
    pub name: Spanned<String>,
    pub ty: syn::Type,
    pub column_type: Option<ColumnType>,
    /// The description, or the doc comment.
    pub description: Option<String>,
    /// The column's own attributes, validator's checks included.
    pub attrs: ColumnAttrs,
}

/// `bigquery_type = "NUMERIC(38, 9)"` and the like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeOverride {
    Numeric {
        precision: Option<u8>,
        scale: Option<u8>,
    },
    BigNumeric {
        precision: Option<u8>,
        scale: Option<u8>,
    },
    Json,
    /// Any other type name: allowed only when it is the inferred type.
    Same(String),
}

/// A per-value check with the severity it was declared under.
pub struct Check {
    pub kind: ValueCheck,
    pub severity: Option<Severity>,
    pub span: Span,
}

/// What a per-value check tests (the library's `ConstraintKind`, as written).
pub enum ValueCheck {
    Min(Bound),
    Max(Bound),
    Length { min: Option<u64>, max: Option<u64> },
    Regex(RegexSource),
    OneOf(Vec<Value>),
    Unique,
    Email,
    Url,
}

#[derive(Debug, Clone)]
pub struct Bound {
    pub value: Value,
    pub inclusive: bool,
}

pub enum RegexSource {
    Literal(LitStr),
    /// validator's `regex(path = *RE)`: the pattern is read at run time.
    Path(Expr),
}

/// A statistical expectation with its bounds.
pub struct Expect {
    pub statistic: Statistic,
    pub min: Option<Value>,
    pub max: Option<Value>,
    pub severity: Option<Severity>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    RowCount,
    Mean,
    Stddev,
    Min,
    Max,
    Sum,
    Quantile(f64),
    NullFraction,
    DistinctCount,
}
