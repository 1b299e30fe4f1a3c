//! The check IR: every check of a contract as plain data, planned once and
//! compiled two ways — to Polars expressions ([`polars`]) for in-memory
//! validation, and to SQL ([`sql`]) for validation inside the warehouse.
//!
//! Each planned check has a stable id (`high.range`, `dedup_key`,
//! `rule.high_ge_low`, `row_count`, …), the columns it reads, a severity,
//! and a [`Test`]: a row predicate (a row fails when it holds), a statistic
//! between bounds, or freshness.

pub mod polars_expr;
pub mod rule;
pub mod sql_expr;

use serde::{Deserialize, Serialize};

use crate::{
    Bound, ConstraintKind, Contract, Field, Literal, LogicalType, Mode, Severity, Statistic,
};

/// The pattern an `email` check applies.
pub const EMAIL_PATTERN: &str = r"^[^@\s]+@[^@\s]+\.[^@\s]+$";
/// The pattern a `url` check applies: an absolute URL with a scheme and host.
pub const URL_PATTERN: &str = r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+[^\s]*$";

/// What a check is about, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// Schema conformance: a missing, unexpected or mistyped column.
    Schema,
    /// A REQUIRED column holds NULL.
    NotNull,
    /// Bounds on values.
    Range,
    /// Bounds on lengths.
    Length,
    /// A regular expression.
    Regex,
    /// Allowed values.
    OneOf,
    /// No value repeats.
    Unique,
    /// E-mail addresses.
    Email,
    /// URLs.
    Url,
    /// No key repeats.
    DedupKey,
    /// Every key names a row of the referenced table (a foreign key).
    References,
    /// A number of the table equals that of another table.
    Reconcile,
    /// A row rule in SQL.
    Rule,
    /// A statistic between bounds.
    Expectation,
    /// The newest row is recent enough.
    Freshness,
}

impl CheckKind {
    /// The kind's name as reports spell it: `not_null`, `dedup_key`, …
    pub fn name(self) -> &'static str {
        match self {
            CheckKind::Schema => "schema",
            CheckKind::NotNull => "not_null",
            CheckKind::Range => "range",
            CheckKind::Length => "length",
            CheckKind::Regex => "regex",
            CheckKind::OneOf => "one_of",
            CheckKind::Unique => "unique",
            CheckKind::Email => "email",
            CheckKind::Url => "url",
            CheckKind::DedupKey => "dedup_key",
            CheckKind::References => "references",
            CheckKind::Reconcile => "reconcile",
            CheckKind::Rule => "rule",
            CheckKind::Expectation => "expectation",
            CheckKind::Freshness => "freshness",
        }
    }
}

/// One check, ready to compile.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedCheck {
    /// The stable id, e.g. `high.range`.
    pub id: String,
    /// What it is about.
    pub kind: CheckKind,
    /// The columns it reads (dotted paths for RECORD sub-fields).
    pub columns: Vec<String>,
    /// What a failure does.
    pub severity: Severity,
    /// What is tested.
    pub test: Test,
}

/// What a check tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// A row fails when the predicate holds.
    Row(RowTest),
    /// A statistic of a column (or of the table) lies within bounds.
    Statistic {
        /// The column, or `None` for the row count.
        column: Option<String>,
        /// What is measured.
        statistic: Statistic,
        /// The least value allowed.
        min: Option<Literal>,
        /// The greatest value allowed.
        max: Option<Literal>,
        /// Whether an approximate aggregate may measure it (see
        /// [`crate::Expectation::approximate`]).
        approximate: bool,
    },
    /// A check this engine cannot run; reported as skipped with the reason.
    Unsupported {
        /// Why it is skipped.
        reason: String,
    },
    /// `statistic` of `column` is within `tolerance` (relative) of
    /// `statistic` of `other_column` of the table `table`.
    Reconcile {
        /// What is measured on both sides.
        statistic: Statistic,
        /// This table's column (`None` for the row count).
        column: Option<String>,
        /// The other table (a contract's name).
        table: String,
        /// Its column (`None` for the row count).
        other_column: Option<String>,
        /// The largest difference allowed, relative to the other's value.
        tolerance: f64,
    },
    /// The newest value of `column` is at most `max_age_seconds` old.
    Freshness {
        /// A DATE, DATETIME or TIMESTAMP column.
        column: String,
        /// The greatest age allowed.
        max_age_seconds: u64,
    },
}

/// A per-row test, named after the constraint it checks (as the check's
/// [`CheckKind`] is); a row fails it when it breaks the constraint. NULL
/// never fails a value check: whether a column may hold NULL is checked by
/// [`RowTest::NotNull`] alone.
#[derive(Debug, Clone, PartialEq)]
pub enum RowTest {
    /// Fails when the value is NULL.
    NotNull {
        /// The column.
        column: String,
    },
    /// Fails when the value lies outside the bounds, or is NaN or infinite.
    Range {
        /// The column.
        column: String,
        /// Lower bound.
        min: Option<Bound>,
        /// Upper bound.
        max: Option<Bound>,
    },
    /// Fails when the length lies outside the bounds.
    Length {
        /// The column.
        column: String,
        /// Whether the column is an array (else a string).
        array: bool,
        /// Least length.
        min: Option<u64>,
        /// Greatest length.
        max: Option<u64>,
    },
    /// Fails when the value contains no match of the pattern.
    Regex {
        /// The column.
        column: String,
        /// The pattern.
        pattern: String,
    },
    /// Fails when the value is not one of the allowed ones.
    OneOf {
        /// The column.
        column: String,
        /// The allowed values.
        values: Vec<Literal>,
    },
    /// Fails when another row holds the same (non-NULL) value, or the
    /// same key.
    Unique {
        /// One column (unique) or the key's columns (dedup key).
        columns: Vec<String>,
    },
    /// Fails when the SQL boolean expression is FALSE (TRUE and NULL pass).
    Rule {
        /// The expression.
        sql: String,
    },
    /// Fails when the key has no NULL and no row of `table` holds it in
    /// `referenced` (MATCH SIMPLE: a key with a NULL passes).
    References {
        /// This table's key columns.
        columns: Vec<String>,
        /// The referenced table (a contract's name).
        table: String,
        /// Its columns, one per key column.
        referenced: Vec<String>,
    },
}

/// Every check of `contract`, in a stable order: not-null and value checks
/// column by column, then the dedup key, the foreign keys, the row rules,
/// the expectations,
/// the row count, freshness and the reconciliations. Schema conformance is not planned here: it
/// depends on the data (see [`mod@crate::validate`]).
pub fn plan(contract: &Contract) -> Vec<PlannedCheck> {
    let mut checks = Vec::new();
    for field in &contract.fields {
        plan_field(&mut checks, field, "", false);
    }
    if let Some(key) = &contract.dedup_key {
        checks.push(PlannedCheck {
            id: "dedup_key".into(),
            kind: CheckKind::DedupKey,
            columns: key.columns.clone(),
            severity: key.severity,
            test: Test::Row(RowTest::Unique {
                columns: key.columns.clone(),
            }),
        });
    }
    for key in &contract.foreign_keys {
        checks.push(PlannedCheck {
            id: match key.columns.as_slice() {
                [single] => format!("{single}.references"),
                _ => format!("references.{}", key.table),
            },
            kind: CheckKind::References,
            columns: key.columns.clone(),
            severity: key.severity,
            test: Test::Row(RowTest::References {
                columns: key.columns.clone(),
                table: key.table.clone(),
                referenced: key.referenced.clone(),
            }),
        });
    }
    for rule in &contract.rules {
        checks.push(PlannedCheck {
            id: format!("rule.{}", rule.name),
            kind: CheckKind::Rule,
            // A rule that does not parse reads no known column; compiling
            // it fails and reports why.
            columns: rule::columns(&rule.sql).unwrap_or_default(),
            severity: rule.severity,
            test: Test::Row(RowTest::Rule {
                sql: rule.sql.clone(),
            }),
        });
    }
    for field in &contract.fields {
        for expectation in &field.expectations {
            checks.push(PlannedCheck {
                id: format!("{}.{}", field.name, expectation.statistic.name()),
                kind: CheckKind::Expectation,
                columns: vec![field.name.clone()],
                severity: expectation.severity,
                test: Test::Statistic {
                    column: Some(field.name.clone()),
                    statistic: expectation.statistic.clone(),
                    min: expectation.min.clone(),
                    max: expectation.max.clone(),
                    approximate: expectation.approximate,
                },
            });
        }
    }
    for expectation in &contract.expectations {
        checks.push(PlannedCheck {
            id: expectation.statistic.name(),
            kind: CheckKind::Expectation,
            columns: Vec::new(),
            severity: expectation.severity,
            test: Test::Statistic {
                column: None,
                statistic: expectation.statistic.clone(),
                min: expectation.min.clone(),
                max: expectation.max.clone(),
                approximate: expectation.approximate,
            },
        });
    }
    if let Some(freshness) = &contract.freshness {
        checks.push(PlannedCheck {
            id: "freshness".into(),
            kind: CheckKind::Freshness,
            columns: vec![freshness.column.clone()],
            severity: freshness.severity,
            test: Test::Freshness {
                column: freshness.column.clone(),
                max_age_seconds: freshness.max_age_seconds,
            },
        });
    }
    for rule in &contract.reconciliations {
        checks.push(PlannedCheck {
            id: format!("reconcile.{}", rule.name),
            kind: CheckKind::Reconcile,
            columns: rule.column.iter().cloned().collect(),
            severity: rule.severity,
            test: Test::Reconcile {
                statistic: rule.statistic.clone(),
                column: rule.column.clone(),
                table: rule.table.clone(),
                other_column: rule.other_column.clone(),
                tolerance: rule.tolerance,
            },
        });
    }
    dedupe_ids(&mut checks);
    checks
}

/// Plans the checks of one field and of its RECORD sub-fields. Value
/// checks on the elements of an array (and on sub-fields of repeated
/// records) are planned as [`Test::Unsupported`], so a report shows them as
/// skipped rather than dropping them; the array's shape is still checked as
/// schema and its length by `length`.
fn plan_field(checks: &mut Vec<PlannedCheck>, field: &Field, prefix: &str, in_array: bool) {
    let column = format!("{prefix}{}", field.name);
    let repeated = in_array || field.mode == Mode::Repeated;
    if field.mode == Mode::Required {
        checks.push(PlannedCheck {
            id: format!("{column}.not_null"),
            kind: CheckKind::NotNull,
            columns: vec![column.clone()],
            severity: Severity::Error,
            test: if in_array {
                element_checks_unsupported()
            } else {
                Test::Row(RowTest::NotNull {
                    column: column.clone(),
                })
            },
        });
    }
    for constraint in &field.constraints {
        let kind = check_kind(&constraint.kind);
        let on_elements = in_array || (repeated && kind != CheckKind::Length);
        checks.push(PlannedCheck {
            id: format!("{column}.{}", kind.name()),
            kind,
            columns: vec![column.clone()],
            severity: constraint.severity,
            test: if on_elements {
                element_checks_unsupported()
            } else {
                Test::Row(row_test(&constraint.kind, &column, repeated))
            },
        });
    }
    if let LogicalType::Record { fields } = &field.logical_type {
        let nested_prefix = format!("{column}.");
        for sub_field in fields {
            plan_field(checks, sub_field, &nested_prefix, repeated);
        }
    }
}

fn check_kind(constraint: &ConstraintKind) -> CheckKind {
    match constraint {
        ConstraintKind::Range { .. } => CheckKind::Range,
        ConstraintKind::Length { .. } => CheckKind::Length,
        ConstraintKind::Regex { .. } => CheckKind::Regex,
        ConstraintKind::OneOf { .. } => CheckKind::OneOf,
        ConstraintKind::Unique => CheckKind::Unique,
        ConstraintKind::Email => CheckKind::Email,
        ConstraintKind::Url => CheckKind::Url,
    }
}

/// The failure condition of a per-value constraint on `column`.
fn row_test(constraint: &ConstraintKind, column: &str, array: bool) -> RowTest {
    let column = column.to_string();
    match constraint {
        ConstraintKind::Range { min, max } => RowTest::Range {
            column,
            min: min.clone(),
            max: max.clone(),
        },
        ConstraintKind::Length { min, max } => RowTest::Length {
            column,
            array,
            min: *min,
            max: *max,
        },
        ConstraintKind::Regex { pattern } => RowTest::Regex {
            column,
            pattern: pattern.clone(),
        },
        ConstraintKind::Email => RowTest::Regex {
            column,
            pattern: EMAIL_PATTERN.into(),
        },
        ConstraintKind::Url => RowTest::Regex {
            column,
            pattern: URL_PATTERN.into(),
        },
        ConstraintKind::OneOf { values } => RowTest::OneOf {
            column,
            values: values.clone(),
        },
        ConstraintKind::Unique => RowTest::Unique {
            columns: vec![column],
        },
    }
}

fn element_checks_unsupported() -> Test {
    Test::Unsupported {
        reason: "checks on the elements of an array are not run yet; the array's type is checked"
            .into(),
    }
}

/// A column with two checks of one kind (a range split by severity) gets
/// `.2`, `.3`, … on the later ids, so every id stays unique and stable.
fn dedupe_ids(checks: &mut [PlannedCheck]) {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for check in checks.iter_mut() {
        let count = seen.entry(check.id.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            check.id = format!("{}.{}", check.id, count);
        }
    }
}
