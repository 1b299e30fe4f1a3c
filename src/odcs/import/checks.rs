//! What the derive macro would refuse of an imported table, found before
//! its source is written: a generated struct must compile.

use std::collections::HashMap;

use datacontract_model::naming::{column_name_problem, table_name_problem};

use super::node::Problems;
use crate::{
    Bound, ConstraintKind, Contract, Field, Literal, LogicalType, Mode, Partitioning,
    TimeGranularity,
};

/// Records each problem of `contract`, read from the schema object at
/// `path`.
pub fn table(contract: &Contract, path: &str, problems: &mut Problems) {
    fields(&contract.fields, &format!("{path}.properties"), problems);
    let top = |name: &str| contract.field(name);
    if let Some(key) = &contract.dedup_key {
        for column in &key.columns {
            match top(column) {
                None => {
                    problems.invalid(path, format!("the key column `{column}` is not a column"))
                }
                Some(field) if !scalar(field) => problems.invalid(
                    path,
                    format!("the key column `{column}` is an array, RECORD or JSON, not one value"),
                ),
                Some(_) => {}
            }
        }
    }
    if let Some(problem) = contract
        .partitioning
        .as_ref()
        .and_then(|p| partition_problem(p, &top))
    {
        problems.invalid(path, problem);
    }
    for (index, key) in contract.foreign_keys.iter().enumerate() {
        let target = key.target();
        for column in &key.columns {
            match top(column) {
                None => problems.invalid(
                    path,
                    format!("the foreign key to `{target}` names `{column}`, which is not a column"),
                ),
                Some(field) if !scalar(field) => problems.invalid(
                    path,
                    format!("the foreign key column `{column}` is an array, RECORD or JSON, not one value"),
                ),
                Some(_) => {}
            }
        }
        if contract.foreign_keys[..index]
            .iter()
            .any(|earlier| earlier.columns == key.columns && earlier.target() == target)
        {
            problems.invalid(
                path,
                format!("the foreign key to `{target}` is given twice"),
            );
        }
    }
    for rule in &contract.reconciliations {
        let counts_rows = rule.statistic == crate::Statistic::RowCount;
        if !crate::ReconcileRule::measures(&rule.statistic)
            || rule.column.is_some() == counts_rows
            || rule.other_column.is_some() == counts_rows
        {
            problems.invalid(
                path,
                format!(
                    "the reconciliation `{}`: a row count names no column, another statistic (sum, distinct_count, min, max, mean) a column on both sides",
                    rule.name
                ),
            );
        }
        let needs_number = rule.statistic != crate::Statistic::DistinctCount;
        if let Some(column) = &rule.column
            && top(column).is_none_or(|field| {
                !scalar(field) || (needs_number && !field.logical_type.is_number())
            })
        {
            problems.invalid(
                path,
                format!(
                    "the reconciliation `{}` measures `{column}`, which is no column of one {}",
                    rule.name,
                    if needs_number { "number" } else { "value" }
                ),
            );
        }
        if !(rule.tolerance.is_finite() && rule.tolerance >= 0.0) {
            problems.invalid(
                path,
                format!(
                    "the reconciliation `{}` has the tolerance {}: a finite number, at least 0",
                    rule.name, rule.tolerance
                ),
            );
        }
        if let Some(problem) = table_name_problem(&rule.table)
            .or_else(|| rule.other_column.as_deref().and_then(column_name_problem))
        {
            problems.invalid(
                path,
                format!("the reconciliation `{}`: {problem}", rule.name),
            );
        }
        let named = |other: &&crate::ReconcileRule| other.name == rule.name;
        if contract.reconciliations.iter().filter(named).count() > 1 {
            problems.invalid(
                path,
                format!("two reconciliations are named `{}`", rule.name),
            );
        }
    }
    if contract.clustering.len() > 4 {
        problems.invalid(path, "BigQuery clusters by at most 4 columns");
    }
    for column in &contract.clustering {
        if top(column)
            .is_some_and(|field| field.mode == Mode::Repeated || !field.logical_type.clusterable())
        {
            problems.invalid(
                path,
                format!(
                    "cannot cluster by `{column}`: clustering columns are not arrays, and of type BOOL, INT64, NUMERIC, BIGNUMERIC, STRING, DATE, DATETIME or TIMESTAMP"
                ),
            );
        }
    }
    if let Some(drift) = &contract.drift {
        if let Some(problem) = drift.threshold_problem() {
            problems.invalid(path, problem);
        }
        for column in drift.columns.iter().filter(|column| top(column).is_none()) {
            problems.invalid(path, format!("drift on `{column}`, which is not a column"));
        }
    }
    for expectation in &contract.expectations {
        for bound in [&expectation.min, &expectation.max].into_iter().flatten() {
            if !matches!(bound, Literal::Int(n) if *n >= 0) {
                problems.invalid(
                    path,
                    format!("a row count bound of {bound}: a whole number, at least 0"),
                );
            }
        }
    }
}

fn scalar(field: &Field) -> bool {
    field.mode != Mode::Repeated
        && !matches!(
            field.logical_type,
            LogicalType::Record { .. } | LogicalType::Json
        )
}

fn partition_problem<'a>(
    partitioning: &Partitioning,
    top: &impl Fn(&str) -> Option<&'a Field>,
) -> Option<String> {
    let (column, wanted): (&str, &[&str]) = match partitioning {
        Partitioning::Time {
            column,
            granularity,
        } => {
            if *granularity == TimeGranularity::Hour
                && top(column).is_some_and(|f| f.logical_type == LogicalType::Date)
            {
                return Some(format!(
                    "cannot partition the DATE column `{column}` by hour"
                ));
            }
            (column, &["DATE", "TIMESTAMP", "DATETIME"])
        }
        Partitioning::IntegerRange {
            column,
            start,
            end,
            interval,
        } => {
            if *interval <= 0 || start >= end {
                return Some("a range partition needs start < end and interval > 0".into());
            }
            (column, &["INT64"])
        }
        Partitioning::IngestionTime { .. } => return None,
    };
    match top(column) {
        None => Some(format!("the partition column `{column}` is not a column")),
        Some(field)
            if field.mode == Mode::Repeated || !wanted.contains(&field.logical_type.sql_name()) =>
        {
            Some(format!(
                "cannot partition by `{column}`, a {} column; it must be {}",
                field.logical_type.sql_name(),
                wanted.join(", ")
            ))
        }
        Some(_) => None,
    }
}

/// Names unique without case, ranges that admit a value, decimals BigQuery
/// can hold; in RECORDs too.
fn fields(fields: &[Field], path: &str, problems: &mut Problems) {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for field in fields {
        if let Some(first) = seen.insert(field.name.to_ascii_lowercase(), &field.name) {
            problems.invalid(
                path,
                format!(
                    "the columns `{first}` and `{}` have one name to BigQuery, which ignores case",
                    field.name
                ),
            );
        }
        for constraint in &field.constraints {
            if let ConstraintKind::Range {
                min: Some(min),
                max: Some(max),
            } = &constraint.kind
                && empty(min, max)
            {
                problems.invalid(
                    path,
                    format!(
                        "`{}`: no value lies between its minimum and maximum",
                        field.name
                    ),
                );
            }
        }
        if let Some(problem) = decimal_problem(&field.logical_type) {
            problems.invalid(path, format!("`{}`: {problem}", field.name));
        }
        if let LogicalType::Record { fields: sub_fields } = &field.logical_type {
            self::fields(sub_fields, path, problems);
        }
    }
}

/// Whether no value lies within `min` and `max`.
fn empty(min: &Bound, max: &Bound) -> bool {
    let order = match (&min.value, &max.value) {
        (Literal::String(a), Literal::String(b)) => a.partial_cmp(b),
        (a, b) => number(a)
            .zip(number(b))
            .and_then(|(a, b)| a.partial_cmp(&b)),
    };
    match order {
        Some(std::cmp::Ordering::Greater) => true,
        Some(std::cmp::Ordering::Equal) => !(min.inclusive && max.inclusive),
        _ => false,
    }
}

fn number(literal: &Literal) -> Option<f64> {
    match literal {
        Literal::Int(n) => Some(*n as f64),
        Literal::Float(x) => Some(*x),
        _ => None,
    }
}

/// Why BigQuery cannot hold a decimal of this precision and scale.
fn decimal_problem(logical: &LogicalType) -> Option<String> {
    let (precision, scale) = match logical {
        LogicalType::Numeric {
            precision: Some(p),
            scale,
        } => (*p, scale.unwrap_or(0)),
        LogicalType::BigNumeric {
            precision: Some(p),
            scale,
        } => (*p, scale.unwrap_or(0)),
        _ => return None,
    };
    let (max_scale, max_whole) = match logical {
        LogicalType::Numeric { .. } => (9, 29),
        _ => (38, 38),
    };
    let fits = scale <= max_scale && precision >= scale.max(1) && precision - scale <= max_whole;
    (!fits).then(|| {
        format!(
            "{}({precision}, {scale}) is no type of BigQuery (at most {max_scale} digits after the point, {max_whole} before)",
            logical.sql_name()
        )
    })
}
