//! What changed between a committed contract and the current one, and
//! whether consumers or BigQuery would break.
//!
//! Breaking: a column removed (a rename is a removal and an addition), a
//! type changed other than the widenings BigQuery's `ALTER COLUMN SET DATA
//! TYPE` allows, NULLABLE → REQUIRED, a REPEATED change, a new REQUIRED
//! column, the dedup key, partitioning or clustering changed, a check
//! tightened (a bound narrowed or added, a regex changed, a one_of shrunk,
//! a new check, rule, foreign key or reconciliation, a tolerance narrowed, a
//! warning made an error). A major version bump lets
//! breaking changes through; they are still listed. Additive: a new
//! NULLABLE or REPEATED column, REQUIRED → NULLABLE, a check loosened or
//! removed, a description changed.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::{
    Bound, Constraint, ConstraintKind, Contract, Field, Literal, LogicalType, Mode, Severity,
};

/// How much a change matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    /// Breaks consumers or BigQuery, and the major version was not bumped.
    Breaking,
    /// Would break, but the major version was bumped.
    AllowedByMajorBump,
    /// Adds or loosens: safe.
    Additive,
}

/// One change between two versions of a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The column (a dotted path for sub-fields), when the change is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The rule, e.g. `column_removed`, `type_changed`, `check_tightened`.
    pub rule: String,
    /// What changed, in words.
    pub message: String,
    /// How much it matters.
    pub impact: Impact,
}

/// Every change from `old` to `new`, breaking ones first.
pub fn changes(old: &Contract, new: &Contract) -> Vec<Change> {
    let mut found = Vec::new();
    let mut note = |column: Option<&str>, rule: &str, message: String, breaking: bool| {
        found.push((
            column.map(str::to_string),
            rule.to_string(),
            message,
            breaking,
        ));
    };
    fields(&old.fields, &new.fields, "", &mut note);
    if old.dedup_key.as_ref().map(|k| &k.columns) != new.dedup_key.as_ref().map(|k| &k.columns) {
        note(
            None,
            "dedup_key_changed",
            format!(
                "the dedup key changed from {} to {}",
                key_text(old.dedup_key.as_ref().map(|k| &k.columns[..])),
                key_text(new.dedup_key.as_ref().map(|k| &k.columns[..]))
            ),
            true,
        );
    }
    if old.partitioning != new.partitioning {
        note(
            None,
            "partitioning_changed",
            format!(
                "the partitioning changed from {} to {}",
                partitioning_text(old.partitioning.as_ref()),
                partitioning_text(new.partitioning.as_ref())
            ),
            true,
        );
    }
    if old.clustering != new.clustering {
        note(
            None,
            "clustering_changed",
            format!(
                "the clustering changed from [{}] to [{}]",
                old.clustering.join(", "),
                new.clustering.join(", ")
            ),
            true,
        );
    }
    for rule in &new.rules {
        match old.rules.iter().find(|r| r.name == rule.name) {
            None => note(
                None,
                "check_tightened",
                format!("new row rule `{}`: {}", rule.name, rule.sql),
                true,
            ),
            Some(before) if before.sql != rule.sql => note(
                None,
                "check_tightened",
                format!(
                    "row rule `{}` changed from `{}` to `{}`",
                    rule.name, before.sql, rule.sql
                ),
                true,
            ),
            Some(before) if stricter(before.severity, rule.severity) => note(
                None,
                "check_tightened",
                format!("row rule `{}` became an error", rule.name),
                true,
            ),
            _ => {}
        }
    }
    for rule in old
        .rules
        .iter()
        .filter(|r| !new.rules.iter().any(|n| n.name == r.name))
    {
        note(
            None,
            "check_loosened",
            format!("row rule `{}` was removed", rule.name),
            false,
        );
    }
    foreign_keys(old, new, &mut note);
    reconciliations(old, new, &mut note);
    if old.description != new.description {
        note(
            None,
            "description_changed",
            "the table's description changed".into(),
            false,
        );
    }
    let bumped = major(&new.version) > major(&old.version);
    let mut changes: Vec<Change> = found
        .into_iter()
        .map(|(column, rule, message, breaking)| Change {
            column,
            rule,
            message,
            impact: match (breaking, bumped) {
                (false, _) => Impact::Additive,
                (true, true) => Impact::AllowedByMajorBump,
                (true, false) => Impact::Breaking,
            },
        })
        .collect();
    changes.sort_by_key(|change| change.impact);
    changes
}

type Note<'a> = dyn FnMut(Option<&str>, &str, String, bool) + 'a;

/// A new reconciliation, a smaller tolerance, another measure or one made
/// an error tightens; one removed, a larger tolerance or one made a
/// warning loosens. Reconciliations are matched by name.
fn reconciliations(old: &Contract, new: &Contract, note: &mut Note<'_>) {
    for rule in &new.reconciliations {
        let what = format!(
            "reconciliation `{}` against `{}`",
            rule.name,
            rule.against()
        );
        match old
            .reconciliations
            .iter()
            .find(|before| before.name == rule.name)
        {
            None => note(None, "check_tightened", format!("new {what}"), true),
            Some(before)
                if before.statistic != rule.statistic
                    || before.column != rule.column
                    || before.against() != rule.against() =>
            {
                note(
                    None,
                    "check_tightened",
                    format!("{what} measures something else now"),
                    true,
                )
            }
            Some(before) if rule.tolerance < before.tolerance => note(
                None,
                "check_tightened",
                format!(
                    "{what}: tolerance {:e} narrowed to {:e}",
                    before.tolerance, rule.tolerance
                ),
                true,
            ),
            Some(before) if stricter(before.severity, rule.severity) => note(
                None,
                "check_tightened",
                format!("{what} became an error"),
                true,
            ),
            Some(before)
                if rule.tolerance > before.tolerance
                    || stricter(rule.severity, before.severity) =>
            {
                note(None, "check_loosened", format!("{what} loosened"), false)
            }
            _ => {}
        }
    }
    for rule in &old.reconciliations {
        if !new
            .reconciliations
            .iter()
            .any(|after| after.name == rule.name)
        {
            note(
                None,
                "check_loosened",
                format!("reconciliation `{}` was removed", rule.name),
                false,
            );
        }
    }
}

/// A new foreign key, or one made an error, tightens (rows that passed
/// may now fail); one removed or made a warning loosens. A key is the same
/// when its columns and what they reference are.
fn foreign_keys(old: &Contract, new: &Contract, note: &mut Note<'_>) {
    let same = |a: &crate::ForeignKey, b: &crate::ForeignKey| {
        a.columns == b.columns && a.table == b.table && a.referenced == b.referenced
    };
    let describe = |key: &crate::ForeignKey| {
        format!(
            "foreign key ({}) → {}",
            key.columns.join(", "),
            key.target()
        )
    };
    for key in &new.foreign_keys {
        match old.foreign_keys.iter().find(|before| same(before, key)) {
            None => note(
                None,
                "check_tightened",
                format!("new {}", describe(key)),
                true,
            ),
            Some(before) if stricter(before.severity, key.severity) => note(
                None,
                "check_tightened",
                format!("{} became an error", describe(key)),
                true,
            ),
            Some(before) if stricter(key.severity, before.severity) => note(
                None,
                "check_loosened",
                format!("{} became a warning", describe(key)),
                false,
            ),
            _ => {}
        }
    }
    for key in &old.foreign_keys {
        if !new.foreign_keys.iter().any(|after| same(after, key)) {
            note(
                None,
                "check_loosened",
                format!("{} was removed", describe(key)),
                false,
            );
        }
    }
}

fn fields(old: &[Field], new: &[Field], prefix: &str, note: &mut Note<'_>) {
    for before in old {
        let path = format!("{prefix}{}", before.name);
        let Some(after) = new.iter().find(|f| f.name == before.name) else {
            note(
                Some(&path),
                "column_removed",
                format!("column `{path}` was removed (or renamed)"),
                true,
            );
            continue;
        };
        column(before, after, &path, note);
    }
    for after in new.iter().filter(|f| !old.iter().any(|b| b.name == f.name)) {
        let path = format!("{prefix}{}", after.name);
        if after.mode == Mode::Required {
            note(
                Some(&path),
                "required_column_added",
                format!("new REQUIRED column `{path}`: existing rows have no value for it"),
                true,
            );
        } else {
            let mode = after.mode.api_name();
            note(
                Some(&path),
                "column_added",
                format!("new {mode} column `{path}`"),
                false,
            );
        }
    }
}

fn column(before: &Field, after: &Field, path: &str, note: &mut Note<'_>) {
    match (&before.logical_type, &after.logical_type) {
        (LogicalType::Record { fields: old }, LogicalType::Record { fields: new }) => {
            fields(old, new, &format!("{path}."), note);
        }
        (old, new) if old != new => {
            let widening = widens(old, new);
            note(
                Some(path),
                if widening {
                    "type_widened"
                } else {
                    "type_changed"
                },
                format!(
                    "`{path}` changed type from {} to {}",
                    type_name(old),
                    type_name(new)
                ),
                !widening,
            );
        }
        _ => {}
    }
    match (before.mode, after.mode) {
        (Mode::Nullable, Mode::Required) => note(
            Some(path),
            "mode_tightened",
            format!("`{path}` changed from NULLABLE to REQUIRED"),
            true,
        ),
        (Mode::Required, Mode::Nullable) => note(
            Some(path),
            "mode_relaxed",
            format!("`{path}` changed from REQUIRED to NULLABLE"),
            false,
        ),
        (old, new) if old != new => note(
            Some(path),
            "repeated_changed",
            format!(
                "`{path}` changed mode from {} to {}",
                old.api_name(),
                new.api_name()
            ),
            true,
        ),
        _ => {}
    }
    for constraint in &after.constraints {
        match before.constraints.iter().find(|c| same_kind(c, constraint)) {
            None => note(
                Some(path),
                "check_tightened",
                format!("`{path}` has a new {} check", constraint.kind.name()),
                true,
            ),
            Some(old) => {
                if let Some(why) = tightened(old, constraint) {
                    note(
                        Some(path),
                        "check_tightened",
                        format!("`{path}`: {why}"),
                        true,
                    );
                } else if old != constraint {
                    note(
                        Some(path),
                        "check_loosened",
                        format!(
                            "`{path}`: the {} check was loosened",
                            constraint.kind.name()
                        ),
                        false,
                    );
                }
            }
        }
    }
    for old in before
        .constraints
        .iter()
        .filter(|c| !after.constraints.iter().any(|n| same_kind(c, n)))
    {
        note(
            Some(path),
            "check_loosened",
            format!("`{path}`: the {} check was removed", old.kind.name()),
            false,
        );
    }
    if before.description != after.description {
        note(
            Some(path),
            "description_changed",
            format!("`{path}`'s description changed"),
            false,
        );
    }
}

/// The widenings BigQuery allows in place: INT64 → NUMERIC, BIGNUMERIC or
/// FLOAT64; NUMERIC → BIGNUMERIC or FLOAT64; a NUMERIC or BIGNUMERIC with
/// at least as many integer and fractional digits.
fn widens(old: &LogicalType, new: &LogicalType) -> bool {
    use LogicalType as T;
    match (old, new) {
        (T::Int64, T::Numeric { .. } | T::BigNumeric { .. } | T::Float64) => true,
        (T::Numeric { .. }, T::BigNumeric { .. } | T::Float64) => true,
        (T::Numeric { .. }, T::Numeric { .. }) | (T::BigNumeric { .. }, T::BigNumeric { .. }) => {
            let (Some((p, s)), Some((q, t))) =
                (old.decimal_precision_scale(), new.decimal_precision_scale())
            else {
                return false;
            };
            t >= s && q.saturating_sub(t) >= p.saturating_sub(s)
        }
        _ => false,
    }
}

/// Why `new` accepts fewer values than `old` (same kind), if it does.
fn tightened(old: &Constraint, new: &Constraint) -> Option<String> {
    if stricter(old.severity, new.severity) {
        return Some(format!("the {} check became an error", new.kind.name()));
    }
    match (&old.kind, &new.kind) {
        (ConstraintKind::Range { min: a, max: b }, ConstraintKind::Range { min: c, max: d }) => {
            if narrower(a.as_ref(), c.as_ref(), Ordering::Greater)
                || narrower(b.as_ref(), d.as_ref(), Ordering::Less)
            {
                Some(format!(
                    "the range narrowed from {} to {}",
                    range_text(a, b),
                    range_text(c, d)
                ))
            } else {
                None
            }
        }
        (ConstraintKind::Length { min: a, max: b }, ConstraintKind::Length { min: c, max: d }) => {
            let min_up = match (a, c) {
                (None, Some(_)) => true,
                (Some(a), Some(c)) => c > a,
                _ => false,
            };
            let max_down = match (b, d) {
                (None, Some(_)) => true,
                (Some(b), Some(d)) => d < b,
                _ => false,
            };
            (min_up || max_down).then(|| "the length bounds narrowed".to_string())
        }
        (ConstraintKind::Regex { pattern: a }, ConstraintKind::Regex { pattern: b }) if a != b => {
            Some(format!("the regex changed from `{a}` to `{b}`"))
        }
        (ConstraintKind::OneOf { values: a }, ConstraintKind::OneOf { values: b }) => {
            let dropped: Vec<String> = a
                .iter()
                .filter(|v| !b.contains(v))
                .map(|v| v.to_string())
                .collect();
            (!dropped.is_empty()).then(|| format!("one_of no longer allows {}", dropped.join(", ")))
        }
        _ => None,
    }
}

/// Whether a bound moved inward: added where there was none, or moved in
/// the `inward` direction, or made exclusive at the same value.
fn narrower(old: Option<&Bound>, new: Option<&Bound>, inward: Ordering) -> bool {
    match (old, new) {
        (None, Some(_)) => true,
        (Some(_), None) | (None, None) => false,
        (Some(old), Some(new)) => match compare(&new.value, &old.value) {
            Some(Ordering::Equal) => old.inclusive && !new.inclusive,
            Some(order) => order == inward,
            None => true,
        },
    }
}

fn compare(a: &Literal, b: &Literal) -> Option<Ordering> {
    let number = |literal: &Literal| match literal {
        Literal::Int(v) => Some(*v as f64),
        Literal::Float(v) => Some(*v),
        _ => None,
    };
    match (a, b) {
        (Literal::String(a), Literal::String(b)) => Some(a.cmp(b)),
        _ => number(a)?.partial_cmp(&number(b)?),
    }
}

fn range_text(min: &Option<Bound>, max: &Option<Bound>) -> String {
    let side = |bound: &Option<Bound>, open: &str, closed: &str| match bound {
        Some(bound) => format!(
            "{}{}",
            if bound.inclusive { closed } else { open },
            bound.value
        ),
        None => String::new(),
    };
    format!("[{} … {}]", side(min, ">", ">="), side(max, "<", "<="))
}

fn same_kind(a: &Constraint, b: &Constraint) -> bool {
    std::mem::discriminant(&a.kind) == std::mem::discriminant(&b.kind)
}

fn stricter(old: Severity, new: Severity) -> bool {
    old == Severity::Warn && new == Severity::Error
}

fn type_name(logical_type: &LogicalType) -> String {
    match logical_type.decimal_precision_scale() {
        Some((precision, scale)) => format!("{}({precision}, {scale})", logical_type.sql_name()),
        None => logical_type.sql_name().to_string(),
    }
}

fn key_text(columns: Option<&[String]>) -> String {
    columns
        .map(|columns| format!("({})", columns.join(", ")))
        .unwrap_or_else(|| "none".into())
}

fn partitioning_text(partitioning: Option<&crate::Partitioning>) -> String {
    partitioning
        .map(|p| serde_json::to_string(p).expect("plain data"))
        .unwrap_or_else(|| "none".into())
}

/// The major version of a semantic version (0 when unreadable).
fn major(version: &str) -> u64 {
    version
        .split('.')
        .next()
        .and_then(|major| major.parse().ok())
        .unwrap_or(0)
}
