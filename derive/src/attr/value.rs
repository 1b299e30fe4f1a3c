//! The values `#[contract(...)]` and validator's attributes can hold, as
//! written, with the spans errors point at. Plain data: the parsers in this
//! module's parent fill them, and nothing here knows the table they sit on.

use proc_macro2::Span;
use syn::{Expr, Ident, LitStr};

pub use datacontract_model::{Literal, Severity, Statistic, TimeGranularity};

/// A bound or allowed value written in an attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A constant, known and checked at compile time.
    Const(Literal),
    /// validator's bound written as an expression (`min = MIN_PRICE`):
    /// evaluated at run time, not checked at compile time.
    Runtime(Box<Expr>),
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Const(Literal::Int(value)) => Some(*value as f64),
            Value::Const(Literal::Float(value)) => Some(*value),
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

/// `partition_by(...)`.
pub enum Partition {
    Time {
        column: Ident,
        granularity: Spanned<TimeGranularity>,
    },
    IngestionTime {
        granularity: TimeGranularity,
    },
    Range {
        column: Ident,
        start: i64,
        end: i64,
        interval: i64,
    },
}

/// `rule("sql")` or `rule(name = ..., sql = ..., severity = ...)`.
pub struct Rule {
    pub sql: LitStr,
    pub name: Option<String>,
    pub severity: Option<Severity>,
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

impl ValueCheck {
    /// The name of the library's `ConstraintKind` this check becomes.
    pub fn kind_name(&self) -> &'static str {
        match self {
            ValueCheck::Min(_) | ValueCheck::Max(_) => "range",
            ValueCheck::Length { .. } => "length",
            ValueCheck::Regex(_) => "regex",
            ValueCheck::OneOf(_) => "one_of",
            ValueCheck::Unique => "unique",
            ValueCheck::Email => "email",
            ValueCheck::Url => "url",
        }
    }
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
    /// `approximate = true`: a warehouse may use an approximate aggregate.
    pub approximate: bool,
    pub span: Span,
}

/// A foreign key as written: `references(Order.order_id)` or
/// `references = "orders.order_id"` on a field, or
/// `foreign_key(columns(a, b), references(OrderLine(order_id, line)))` on
/// the struct.
pub struct Reference {
    /// This table's columns; empty on a field until it is read as its own.
    pub columns: Vec<Ident>,
    /// What the key names.
    pub target: Target,
    /// The severity given by an enclosing `warn(...)` / `error(...)` or
    /// `severity = "…"`.
    pub severity: Option<Severity>,
    /// Where the key was written.
    pub span: Span,
}

/// What a foreign key names.
pub enum Target {
    /// A contract type in scope (`Order.order_id`): checked at compile time.
    Type { ty: syn::Path, columns: Vec<Ident> },
    /// A table by name (`"orders.order_id"`): checked when the registry
    /// starts, where the referenced contract may come from another crate.
    Table {
        table: String,
        columns: Spanned<Vec<String>>,
    },
}

impl Target {
    /// How many columns it names.
    pub fn len(&self) -> usize {
        match self {
            Target::Type { columns, .. } => columns.len(),
            Target::Table { columns, .. } => columns.value.len(),
        }
    }
}

/// `reconcile(sum(volume), against = "raw_klines.volume", tolerance = 1e-9)`
/// or `reconcile(row_count, against = "raw_klines")`.
pub struct ReconcileSpec {
    /// What is measured.
    pub statistic: Statistic,
    /// This table's column (not for the row count).
    pub column: Option<Ident>,
    /// The other table, and its column.
    pub table: String,
    pub other_column: Option<String>,
    /// Where `against` was written.
    pub against_span: Span,
    pub tolerance: f64,
    pub name: Option<String>,
    pub severity: Option<Severity>,
    pub span: Span,
}
