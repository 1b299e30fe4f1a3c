//! Checks across attributes, after parsing: names, keys, partitioning,
//! clustering, rules and the fit of each check to its column's type. Every
//! problem is recorded at the span of the tokens that caused it.
//!
//! (Long because there are many rules: one small function each.)

use std::collections::HashMap;
use std::ops::ControlFlow;

use syn::Ident;
use syn::ext::IdentExt;

use datacontract_model::{LogicalType, Sensitivity, fit, naming};

use crate::ast::{Column, Table};
use crate::attr::{
    Bound, Check, Expect, Literal, Partition, RegexSource, Statistic, Target, TimeGranularity,
    TypeOverride, Value, ValueCheck,
};
use crate::ctxt::Ctxt;
use crate::ty::{Mode, Scalar};

/// BigQuery clusters on at most this many columns.
const MAX_CLUSTER_COLUMNS: usize = 4;

/// Records every problem of `table`.
pub fn check(cx: &Ctxt, table: &Table) {
    table_identity(cx, table);
    column_names(cx, table);
    dedup_key(cx, table);
    foreign_keys(cx, table);
    reconciliations(cx, table);
    partitioning(cx, table);
    clustering(cx, table);
    rules(cx, table);
    if let Some(freshness) = &table.freshness
        && let Some(column) = resolve(cx, table, &freshness.column, "freshness")
        && !effective_scalar(column)
            .is_some_and(|s| matches!(s, Scalar::Date | Scalar::DateTime | Scalar::Timestamp))
    {
        cx.error_spanned_by(
            &freshness.column,
            "freshness needs a DATE, DATETIME or TIMESTAMP column",
        );
    }
    if let Some(drift) = &table.drift {
        for column in &drift.columns {
            resolve(cx, table, column, "drift");
        }
    }
    if let Some(row_count) = &table.row_count {
        expectation(cx, row_count, None);
    }
    for column in &table.columns {
        column_type(cx, column);
        let Some(scalar) = effective_scalar(column) else {
            continue;
        };
        let mode = column
            .column_type
            .as_ref()
            .map_or(Mode::Required, |t| t.mode);
        for check in &column.attrs.checks {
            value_check(cx, check, scalar, mode);
        }
        bounds_order(cx, &column.attrs.checks);
        for expect in &column.attrs.expectations {
            expectation(cx, expect, Some(scalar));
        }
        if let Some(sensitivity) = &column.attrs.sensitivity
            && Sensitivity::from_name(&sensitivity.value).is_none()
        {
            cx.error_at(
                sensitivity.span,
                "unknown sensitivity; expected public, internal, confidential or restricted",
            );
        }
    }
}

/// The scalar a column is stored as, after any `bigquery_type` override.
pub fn effective_scalar(column: &Column) -> Option<Scalar> {
    let scalar = column.column_type.as_ref()?.scalar;
    Some(
        match column.attrs.type_override.as_ref().map(|o| &o.value) {
            Some(TypeOverride::Numeric { .. } | TypeOverride::BigNumeric { .. }) => Scalar::Decimal,
            Some(TypeOverride::Json) => Scalar::Json,
            _ => scalar,
        },
    )
}

/// The type of a column (of its elements, for an array), known at compile
/// time for every column but a RECORD (`None`, as for a column whose type
/// is unknown), whose sub-fields another derive describes.
pub fn scalar_logical_type(column: &Column) -> Option<LogicalType> {
    let scalar = effective_scalar(column)?;
    Some(
        match (
            scalar,
            column.attrs.type_override.as_ref().map(|o| &o.value),
        ) {
            (Scalar::Record, _) => return None,
            (
                Scalar::Decimal | Scalar::WideInt,
                Some(TypeOverride::BigNumeric { precision, scale }),
            ) => LogicalType::BigNumeric {
                precision: *precision,
                scale: *scale,
            },
            (
                Scalar::Decimal | Scalar::WideInt,
                Some(TypeOverride::Numeric { precision, scale }),
            ) => LogicalType::Numeric {
                precision: *precision,
                scale: *scale,
            },
            (Scalar::Decimal | Scalar::WideInt, _) => LogicalType::Numeric {
                precision: None,
                scale: None,
            },
            (scalar, _) => scalar
                .logical_type()
                .expect("every other scalar has a column type"),
        },
    )
}

fn table_identity(cx: &Ctxt, table: &Table) {
    if let Some(problem) = naming::table_name_problem(&table.name.value) {
        cx.error_at(table.name.span, problem);
    }
    if let Some(problem) = naming::version_problem(&table.version.value) {
        cx.error_at(table.version.span, problem);
    }
}

fn column_names(cx: &Ctxt, table: &Table) {
    let mut seen: HashMap<String, &Column> = HashMap::new();
    for column in &table.columns {
        if let Some(problem) = naming::column_name_problem(&column.name.value) {
            cx.error_at(column.name.span, problem);
        }
        let key = column.name.value.to_ascii_lowercase();
        if let Some(first) = seen.get(&key) {
            cx.error_at(
                column.name.span,
                format!(
                    "column name `{}` is also the name of field `{}` (BigQuery compares column \
                     names without case); rename one of them",
                    column.name.value, first.ident
                ),
            );
        } else {
            seen.insert(key, column);
        }
    }
}

/// The column `ident` names, or `None` with the error recorded.
fn resolve<'t>(cx: &Ctxt, table: &'t Table, ident: &Ident, role: &str) -> Option<&'t Column> {
    let found = table.column(ident);
    let wanted = ident.unraw();
    if found.is_none() {
        cx.error_spanned_by(
            ident,
            format!(
                "{role} column `{wanted}` is not a field of `{}`",
                table.ident
            ),
        );
    }
    found
}

fn mode_of(column: &Column) -> Mode {
    column
        .column_type
        .as_ref()
        .map_or(Mode::Required, |t| t.mode)
}

fn dedup_key(cx: &Ctxt, table: &Table) {
    for ident in &table.dedup_key {
        let Some(column) = resolve(cx, table, ident, "dedup key") else {
            continue;
        };
        if mode_of(column) == Mode::Repeated
            || matches!(
                effective_scalar(column),
                Some(Scalar::Record | Scalar::Json)
            )
        {
            cx.error_spanned_by(
                ident,
                "a dedup key column must be a single scalar value, not an array, RECORD or JSON",
            );
        }
    }
}

/// Each foreign key's columns are scalar columns of this struct, as many
/// as it references, and no key is given twice. A key naming this very table by name is checked here in
/// full; one naming a contract type is checked by the constants `expand`
/// emits, and one naming another table when the registry starts.
fn foreign_keys(cx: &Ctxt, table: &Table) {
    let mut seen: Vec<(Vec<String>, String)> = Vec::new();
    for key in &table.foreign_keys {
        let mut types = Vec::new();
        for ident in &key.columns {
            let Some(column) = resolve(cx, table, ident, "foreign key") else {
                continue;
            };
            match scalar_logical_type(column) {
                Some(logical) if mode_of(column) != Mode::Repeated && logical.can_be_key() => {
                    types.push((column, logical))
                }
                Some(_) | None if column.column_type.is_some() => cx.error_spanned_by(
                    ident,
                    "a foreign key column must be a single scalar value, not an array, RECORD or JSON",
                ),
                _ => {}
            }
        }
        if key.target.len() != key.columns.len() {
            cx.error_at(
                key.span,
                format!(
                    "the foreign key has {} column(s) but references {}; name one referenced column per column",
                    key.columns.len(),
                    key.target.len()
                ),
            );
            continue;
        }
        let names: Vec<String> = key.columns.iter().map(|c| c.unraw().to_string()).collect();
        let target = target_text(&key.target);
        if seen.contains(&(names.clone(), target.clone())) {
            cx.error_at(
                key.span,
                format!("the foreign key to `{target}` is given twice"),
            );
        }
        seen.push((names, target));
        if let Target::Table {
            table: name,
            columns,
        } = &key.target
            && *name == table.name.value
            && types.len() == key.columns.len()
        {
            self_reference(cx, table, &types, columns);
        }
    }
}

/// A key of this table naming columns of this very table (`manager_id`
/// references `employees.id`): they exist and have the key's types.
fn self_reference(
    cx: &Ctxt,
    table: &Table,
    key: &[(&Column, LogicalType)],
    referenced: &crate::attr::Spanned<Vec<String>>,
) {
    for ((column, logical), name) in key.iter().zip(&referenced.value) {
        let found = table.columns.iter().find(|c| c.name.value == *name);
        match found.and_then(|found| {
            scalar_logical_type(found).filter(|_| mode_of(found) != Mode::Repeated)
        }) {
            None => cx.error_at(
                referenced.span,
                format!(
                    "`{}` has no scalar column `{name}` to reference",
                    table.name.value
                ),
            ),
            Some(theirs) if theirs.key_type() != logical.key_type() => cx.error_at(
                referenced.span,
                format!(
                    "`{}` is {} but the column it references, `{name}`, is {}",
                    column.name.value,
                    logical.key_type(),
                    theirs.key_type()
                ),
            ),
            Some(_) => {}
        }
    }
}

/// Each reconciliation measures a column of this struct (a number, for a
/// sum, mean, minimum or maximum; any scalar for a distinct count), names
/// a column of the other table exactly when it names one here, and has a
/// name of its own.
fn reconciliations(cx: &Ctxt, table: &Table) {
    let mut names: Vec<String> = Vec::new();
    for spec in &table.reconciliations {
        let counts_rows = spec.statistic == Statistic::RowCount;
        if let Some(ident) = &spec.column
            && let Some(column) = resolve(cx, table, ident, "reconciliation")
        {
            let numeric_only = spec.statistic != Statistic::DistinctCount;
            match effective_scalar(column) {
                Some(scalar)
                    if mode_of(column) != Mode::Repeated
                        && (scalar.is_numeric() || !numeric_only)
                        && !matches!(scalar, Scalar::Record | Scalar::Json) => {}
                Some(_) => cx.error_spanned_by(
                    ident,
                    "a reconciled column is one value per row, and a number unless it is a distinct count",
                ),
                None => {}
            }
        }
        if spec.other_column.is_some() == counts_rows {
            cx.error_at(
                spec.against_span,
                if counts_rows {
                    "a row count is reconciled against a table: `against = \"table\"`"
                } else {
                    "reconcile a column against a column: `against = \"table.column\"`"
                },
            );
        }
        let name = spec.name.clone().unwrap_or_else(|| {
            let column = spec.column.as_ref().map(|c| c.unraw().to_string());
            datacontract_model::ReconcileRule::default_name(
                &spec.statistic.name(),
                column.as_deref(),
            )
        });
        if names.contains(&name) {
            cx.error_at(
                spec.span,
                format!("two reconciliations are named `{name}`; give one a `name = \"…\"`"),
            );
        }
        names.push(name);
    }
}

/// A foreign key's target as its error messages name it.
fn target_text(target: &Target) -> String {
    match target {
        Target::Type { ty, columns } => {
            let ty = quote::ToTokens::to_token_stream(ty)
                .to_string()
                .replace(' ', "");
            let columns: Vec<String> = columns.iter().map(|c| c.unraw().to_string()).collect();
            format!("{ty}({})", columns.join(", "))
        }
        Target::Table { table, columns } => format!("{table}({})", columns.value.join(", ")),
    }
}

fn partitioning(cx: &Ctxt, table: &Table) {
    let (ident, allowed, span) = match &table.partition {
        None | Some(Partition::IngestionTime { .. }) => return,
        Some(Partition::Time {
            column,
            granularity,
        }) => (column, Some(granularity), granularity.span),
        Some(Partition::Range { column, .. }) => (column, None, column.span()),
    };
    let Some(column) = resolve(cx, table, ident, "partition") else {
        return;
    };
    let Some(scalar) = effective_scalar(column) else {
        return;
    };
    if mode_of(column) == Mode::Repeated {
        cx.error_spanned_by(ident, "cannot partition by an array column");
    }
    match allowed {
        Some(granularity) => {
            if !matches!(scalar, Scalar::Date | Scalar::Timestamp | Scalar::DateTime) {
                cx.error_spanned_by(
                    ident,
                    format!(
                        "cannot time-partition by `{}`, a {} column; it must be DATE, TIMESTAMP or DATETIME",
                        column.name.value,
                        scalar.sql_name()
                    ),
                );
            } else if scalar == Scalar::Date && granularity.value == TimeGranularity::Hour {
                cx.error_at(
                    span,
                    "a DATE column cannot be partitioned by hour; use day, month or year",
                );
            }
        }
        None if scalar != Scalar::Int => cx.error_spanned_by(
            ident,
            format!(
                "cannot range-partition by `{}`, a {} column; it must be INT64",
                column.name.value,
                scalar.sql_name()
            ),
        ),
        None => {}
    }
}

fn clustering(cx: &Ctxt, table: &Table) {
    if let Some(extra) = table.cluster_by.get(MAX_CLUSTER_COLUMNS) {
        cx.error_spanned_by(
            extra,
            format!(
                "BigQuery clusters by at most {MAX_CLUSTER_COLUMNS} columns; this is number {}",
                MAX_CLUSTER_COLUMNS + 1
            ),
        );
    }
    for ident in &table.cluster_by {
        let Some(column) = resolve(cx, table, ident, "cluster") else {
            continue;
        };
        if effective_scalar(column).is_none() {
            continue;
        }
        let clusterable = scalar_logical_type(column).is_some_and(|t| t.clusterable());
        if !clusterable || mode_of(column) == Mode::Repeated {
            cx.error_spanned_by(
                ident,
                format!(
                    "cannot cluster by `{}`: clustering columns are top-level, not arrays, and of type \
                     BOOL, INT64, NUMERIC, STRING, DATE, DATETIME or TIMESTAMP",
                    column.name.value
                ),
            );
        }
    }
}

fn rules(cx: &Ctxt, table: &Table) {
    let known: Vec<String> = table
        .columns
        .iter()
        .map(|c| c.name.value.to_ascii_lowercase())
        .collect();
    let mut names = HashMap::new();
    for rule in &table.rules {
        let sql = rule.sql.value();
        match sql_column_references(&sql) {
            Err(message) => cx.error_spanned_by(
                &rule.sql,
                format!("row rule does not parse as a SQL expression: {message}"),
            ),
            Ok(columns) => {
                for column in columns {
                    if known.contains(&column.to_ascii_lowercase()) {
                        continue;
                    }
                    let hint = table
                        .columns
                        .iter()
                        .find(|c| c.ident.unraw() == column)
                        .map(|c| {
                            format!(" (field `{column}` is stored as column `{}`)", c.name.value)
                        })
                        .unwrap_or_default();
                    cx.error_spanned_by(
                        &rule.sql,
                        format!(
                            "row rule refers to `{column}`, which is not a column of `{}`{hint}",
                            table.ident
                        ),
                    );
                }
            }
        }
        let name = rule.name.clone().unwrap_or_else(|| naming::rule_name(&sql));
        if names.insert(name.clone(), ()).is_some() {
            cx.error_spanned_by(
                &rule.sql,
                format!("two row rules are named `{name}`; give one a `name = \"…\"`"),
            );
        }
    }
}

/// The column names a SQL boolean expression refers to.
fn sql_column_references(sql: &str) -> Result<Vec<String>, String> {
    use sqlparser::ast::{Expr, visit_expressions};
    use sqlparser::dialect::BigQueryDialect;
    use sqlparser::parser::Parser;
    use sqlparser::tokenizer::Token;

    let mut parser = Parser::new(&BigQueryDialect)
        .try_with_sql(sql)
        .map_err(|e| e.to_string())?;
    let expr = parser.parse_expr().map_err(|e| e.to_string())?;
    let rest = parser.peek_token();
    if rest.token != Token::EOF {
        return Err(format!("unexpected `{}` after the expression", rest.token));
    }
    let mut columns = Vec::new();
    let _ = visit_expressions(&expr, |expr| {
        match expr {
            Expr::Identifier(ident) => columns.push(ident.value.clone()),
            Expr::CompoundIdentifier(parts) => {
                columns.extend(parts.first().map(|p| p.value.clone()))
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    Ok(columns)
}

fn column_type(cx: &Ctxt, column: &Column) {
    let Some(column_type) = &column.column_type else {
        return;
    };
    let scalar = column_type.scalar;
    match column.attrs.type_override.as_ref() {
        None if scalar == Scalar::WideInt => cx.error_spanned_by(
            &column.ty,
            "this integer type does not fit BigQuery's INT64; map it explicitly with \
             #[contract(bigquery_type = \"NUMERIC\")] (or BIGNUMERIC)",
        ),
        None => {}
        Some(over) => {
            let fits = match &over.value {
                TypeOverride::Numeric { .. } | TypeOverride::BigNumeric { .. } => {
                    matches!(scalar, Scalar::Int | Scalar::WideInt | Scalar::Decimal)
                }
                TypeOverride::Json => matches!(scalar, Scalar::String | Scalar::Json),
                TypeOverride::Same(name) => same_type_name(scalar, name),
            };
            if !fits {
                cx.error_at(
                    over.span,
                    format!(
                        "a {} field cannot be stored as this BigQuery type",
                        scalar.sql_name()
                    ),
                );
            }
        }
    }
}

fn same_type_name(scalar: Scalar, name: &str) -> bool {
    let aliases: &[&str] = match scalar {
        Scalar::Bool => &["BOOL", "BOOLEAN"],
        Scalar::Int => &["INT64", "INTEGER", "INT"],
        Scalar::Float => &["FLOAT64", "FLOAT"],
        Scalar::String => &["STRING"],
        Scalar::Bytes => &["BYTES"],
        Scalar::Date => &["DATE"],
        Scalar::Time => &["TIME"],
        Scalar::DateTime => &["DATETIME"],
        Scalar::Timestamp => &["TIMESTAMP"],
        Scalar::Record => &["RECORD", "STRUCT"],
        Scalar::Decimal | Scalar::WideInt | Scalar::Json => &[],
    };
    aliases.contains(&name)
}

fn value_check(cx: &Ctxt, check: &Check, scalar: Scalar, mode: Mode) {
    let problem = match &check.kind {
        ValueCheck::Min(bound) | ValueCheck::Max(bound) => bound_problem(&bound.value, scalar),
        ValueCheck::Length {
            min: Some(min),
            max: Some(max),
        } if min > max => Some(format!("length min ({min}) is greater than max ({max})")),
        ValueCheck::Length { .. } if scalar != Scalar::String && mode != Mode::Repeated => {
            Some("length applies to STRING columns and arrays".into())
        }
        ValueCheck::Length { .. } => None,
        ValueCheck::Regex(source) => match (scalar, source) {
            (Scalar::String, RegexSource::Literal(lit)) => regex::Regex::new(&lit.value())
                .err()
                .map(|error| format!("invalid regex: {error}")),
            (Scalar::String, RegexSource::Path(_)) => None,
            _ => Some("regex applies to STRING columns".into()),
        },
        ValueCheck::Email | ValueCheck::Url if scalar != Scalar::String => {
            Some("email and url apply to STRING columns".into())
        }
        ValueCheck::Email | ValueCheck::Url => None,
        ValueCheck::OneOf(values) if values.is_empty() => {
            Some("one_of needs at least one value".into())
        }
        ValueCheck::OneOf(values) => values
            .iter()
            .find(|value| !literal_fits(value, scalar))
            .map(|value| {
                format!(
                    "one_of value {value:?} does not fit a {} column",
                    scalar.sql_name()
                )
            }),
        ValueCheck::Unique
            if mode == Mode::Repeated || matches!(scalar, Scalar::Record | Scalar::Json) =>
        {
            Some("unique applies to scalar columns".into())
        }
        ValueCheck::Unique => None,
    };
    let span = match &check.kind {
        ValueCheck::Regex(RegexSource::Literal(lit)) => lit.span(),
        _ => check.span,
    };
    if let Some(problem) = problem {
        cx.error_at(span, problem);
    }
}

/// Why `value` cannot bound a column of `scalar`, if it cannot (a bound
/// read at run time is not checked here).
fn bound_problem(value: &Value, scalar: Scalar) -> Option<String> {
    match value {
        Value::Const(literal) => fit::bound_problem(literal, scalar),
        Value::Runtime(_) => None,
    }
}

fn literal_fits(value: &Value, scalar: Scalar) -> bool {
    match value {
        Value::Const(literal) => fit::literal_fits(literal, scalar),
        Value::Runtime(_) => true,
    }
}

/// min must not exceed max (or equal it when either end is exclusive).
fn bounds_order(cx: &Ctxt, checks: &[Check]) {
    let first = |want_min: bool| {
        checks.iter().find_map(|check| match &check.kind {
            ValueCheck::Min(bound) if want_min => Some((bound, check)),
            ValueCheck::Max(bound) if !want_min => Some((bound, check)),
            _ => None,
        })
    };
    if let (Some((min, _)), Some((max, max_check))) = (first(true), first(false))
        && empty_range(min, max)
    {
        cx.error_at(
            max_check.span,
            "min is greater than max: no value can pass this range",
        );
    }
}

fn empty_range(min: &Bound, max: &Bound) -> bool {
    let order = match (&min.value, &max.value) {
        (Value::Const(Literal::String(a)), Value::Const(Literal::String(b))) => a.partial_cmp(b),
        (a, b) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
    };
    match order {
        Some(std::cmp::Ordering::Greater) => true,
        Some(std::cmp::Ordering::Equal) => !(min.inclusive && max.inclusive),
        _ => false,
    }
}

/// Bounds that fit the statistic, and min not above max.
fn expectation(cx: &Ctxt, expect: &Expect, scalar: Option<Scalar>) {
    let numeric_only = matches!(
        expect.statistic,
        Statistic::Mean | Statistic::Stddev | Statistic::Sum | Statistic::Quantile { .. }
    );
    if let Some(scalar) = scalar {
        if numeric_only && !scalar.is_numeric() {
            cx.error_at(
                expect.span,
                format!(
                    "this statistic needs a numeric column, not {}",
                    scalar.sql_name()
                ),
            );
        }
        if matches!(expect.statistic, Statistic::Min | Statistic::Max)
            && !(scalar.is_numeric() || scalar.is_temporal())
        {
            cx.error_at(
                expect.span,
                "min and max expectations need a numeric, date or time column",
            );
        }
    }
    let bounds = [expect.min.as_ref(), expect.max.as_ref()];
    let count_like = matches!(
        expect.statistic,
        Statistic::RowCount | Statistic::DistinctCount
    );
    for value in bounds.into_iter().flatten() {
        let fits = match expect.statistic {
            Statistic::NullFraction => value.as_f64().is_some_and(|v| (0.0..=1.0).contains(&v)),
            _ if count_like => matches!(value, Value::Const(Literal::Int(v)) if *v >= 0),
            Statistic::Min | Statistic::Max => {
                scalar.is_none_or(|scalar| literal_fits(value, scalar))
            }
            _ => value.as_f64().is_some(),
        };
        if !fits {
            let wanted = match expect.statistic {
                Statistic::NullFraction => "a fraction between 0 and 1",
                _ if count_like => "a whole number of rows, at least 0",
                _ => "a value of the column's type",
            };
            cx.error_at(
                expect.span,
                format!("this expectation's bounds must be {wanted}"),
            );
        }
    }
    if let (Some(min), Some(max)) = (&expect.min, &expect.max) {
        let inclusive = |value: &Value| Bound {
            value: value.clone(),
            inclusive: true,
        };
        if empty_range(&inclusive(min), &inclusive(max)) {
            cx.error_at(
                expect.span,
                "min is greater than max: no value can pass this expectation",
            );
        }
    }
}
