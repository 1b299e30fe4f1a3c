//! A `quality` rule read back into the check it stands for.

use serde_json::Value;

use super::super::export::{rule_description, rule_query, statistic_query};
use super::super::vocabulary::severity_named;
use super::node::{Node, Problems, kind};
use crate::{Expectation, Literal, RowRule, Severity, Statistic};

/// The check a quality rule stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// `nullValues` must be 0: the column is required.
    NotNull,
    /// `invalidValues` with `validValues` must be 0.
    OneOf(Vec<Literal>),
    /// `duplicateValues` of the column must be 0.
    Unique,
    /// `duplicateValues` of several columns must be 0: the dedup key.
    Key(Vec<String>),
    /// A statistic of a column (`None`: of the table) between bounds.
    Statistic(Option<String>, Expectation),
    /// A row rule: no row where it is FALSE.
    Rule(RowRule),
}

/// One rule with its severity.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Where it stands in the document.
    pub path: String,
    /// What it checks.
    pub check: Check,
    /// What a failure does.
    pub severity: Severity,
}

/// The rule at `path`, or `None` with its problems recorded.
pub fn read(path: &str, value: &Value, problems: &mut Problems) -> Option<Rule> {
    let mut node = Node::new(path, value, problems)?;
    let severity = match node.string("severity", problems) {
        None => Severity::Error,
        Some(name) => match severity_named(&name) {
            Some(severity) => severity,
            None => {
                problems.unsupported(
                    node.path_of("severity"),
                    format!("severity `{name}`: a check is an `error` or a `warning`"),
                );
                return None;
            }
        },
    };
    let rule_type = node.string("type", problems);
    let metric = node
        .string("metric", problems)
        .or_else(|| node.string("rule", problems));
    let name = node.string("name", problems);
    let check = match (rule_type.as_deref(), metric.as_deref()) {
        (None | Some("library"), Some(metric)) => library(&mut node, metric, problems),
        (Some("sql"), _) => sql(&mut node, name.clone(), severity, problems),
        (None | Some("library"), None) => {
            problems.invalid(path, "a library quality rule needs a `metric`");
            None
        }
        (Some(other), _) => {
            problems.unsupported(
                node.path_of("type"),
                format!(
                    "quality rules of type `{other}` (only `library` and `sql` ones can be checked)"
                ),
            );
            None
        }
    };
    if let Some(name) = name
        && !matches!(check, Some(Check::Rule(_)) | Some(Check::Key(_)))
    {
        problems.unsupported(
            node.path_of("name"),
            format!("the name `{name}` of a check that has no name in a contract"),
        );
    }
    node.finish(problems);
    let check = match check {
        Some(Check::Statistic(column, expectation)) => Some(Check::Statistic(
            column,
            Expectation {
                severity,
                ..expectation
            },
        )),
        other => other,
    };
    check.map(|check| Rule {
        path: path.to_string(),
        check,
        severity,
    })
}

fn library(node: &mut Node, metric: &str, problems: &mut Problems) -> Option<Check> {
    let mut arguments = node.child("arguments", problems);
    let check = match metric {
        "nullValues" => zero(node, problems).map(|_| Check::NotNull),
        "invalidValues" => {
            let values = arguments
                .as_mut()
                .map(|arguments| valid_values(arguments, problems))
                .unwrap_or_default();
            if values.is_empty() {
                problems.unsupported(
                    node.path_of(metric),
                    "invalidValues without `validValues` (only an allowed-value list can be checked)",
                );
            }
            zero(node, problems).and((!values.is_empty()).then_some(Check::OneOf(values)))
        }
        "duplicateValues" => {
            let columns = arguments
                .as_mut()
                .map(|arguments| column_list(arguments, problems))
                .unwrap_or_default();
            zero(node, problems).map(|_| {
                if columns.is_empty() {
                    Check::Unique
                } else {
                    Check::Key(columns)
                }
            })
        }
        "rowCount" => {
            let (min, max) = bounds(node, problems)?;
            Some(Check::Statistic(
                None,
                expectation(Statistic::RowCount, min, max),
            ))
        }
        other => {
            problems.unsupported(node.path_of("metric"), format!("the metric `{other}`"));
            None
        }
    };
    if let Some(arguments) = arguments {
        arguments.finish(problems);
    }
    check
}

/// The values of `validValues`, each a literal.
fn valid_values(arguments: &mut Node, problems: &mut Problems) -> Vec<Literal> {
    let mut values = Vec::new();
    for (path, value) in arguments.items("validValues", problems) {
        match literal(&value) {
            Some(literal) => values.push(literal),
            None => {
                problems.unsupported(path, format!("an allowed value that is {}", kind(&value)))
            }
        }
    }
    values
}

fn column_list(arguments: &mut Node, problems: &mut Problems) -> Vec<String> {
    let mut columns = Vec::new();
    for (path, value) in arguments.items("properties", problems) {
        match value {
            Value::String(column) => columns.push(column),
            other => problems.invalid(
                path,
                format!("expected a column name, found {}", kind(&other)),
            ),
        }
    }
    columns
}

/// A rule that must count no rows: `mustBe: 0`.
fn zero(node: &mut Node, problems: &mut Problems) -> Option<()> {
    match node.take("mustBe") {
        Some(Value::Number(number)) if number.as_f64() == Some(0.0) => {
            operators_left(node, problems)
        }
        Some(other) => {
            problems.unsupported(
                node.path_of("mustBe"),
                format!("a count that must be {other} (a contract's checks allow no failing row)"),
            );
            None
        }
        None => {
            problems.unsupported(
                node.path_of("mustBe"),
                "a count bounded otherwise than `mustBe: 0` (a contract's checks allow no failing row)",
            );
            operators_left(node, problems);
            None
        }
    }
}

/// Fails when another comparison is given too.
fn operators_left(node: &mut Node, problems: &mut Problems) -> Option<()> {
    let mut ok = Some(());
    for operator in OTHER_OPERATORS {
        if node.take(operator).is_some() {
            problems.unsupported(node.path_of(operator), format!("`{operator}` on this rule"));
            ok = None;
        }
    }
    ok
}

const OTHER_OPERATORS: [&str; 7] = [
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
    "mustBeBetween",
    "mustNotBeBetween",
];

/// The inclusive bounds a statistic's rule sets.
fn bounds(node: &mut Node, problems: &mut Problems) -> Option<(Option<Literal>, Option<Literal>)> {
    let mut bound = |key: &str| -> Option<Option<Literal>> {
        match node.take(key) {
            None => Some(None),
            Some(value) => match literal(&value) {
                Some(literal) => Some(Some(literal)),
                None => {
                    problems.invalid(
                        node.path_of(key),
                        format!("expected a bound, found {}", kind(&value)),
                    );
                    None
                }
            },
        }
    };
    let mut min = bound("mustBeGreaterOrEqualTo")?;
    let mut max = bound("mustBeLessOrEqualTo")?;
    if let Some(exact) = bound("mustBe")? {
        (min, max) = (Some(exact.clone()), Some(exact));
    }
    let one_sided = min.is_some() || max.is_some();
    if let Some(between) = node.take("mustBeBetween") {
        if one_sided {
            problems.invalid(
                node.path_of("mustBeBetween"),
                "bounds given both by `mustBeBetween` and another comparison",
            );
            return None;
        }
        match between
            .as_array()
            .map(|pair| pair.iter().map(literal).collect::<Vec<_>>())
        {
            Some(pair) if pair.len() == 2 && pair.iter().all(Option::is_some) => {
                min = pair[0].clone();
                max = pair[1].clone();
            }
            _ => {
                problems.invalid(
                    node.path_of("mustBeBetween"),
                    "expected two bounds, `[min, max]`",
                );
                return None;
            }
        }
    }
    for exclusive in [
        "mustNotBe",
        "mustBeGreaterThan",
        "mustBeLessThan",
        "mustNotBeBetween",
    ] {
        if node.take(exclusive).is_some() {
            problems.unsupported(
                node.path_of(exclusive),
                format!("`{exclusive}`: an expectation's bounds are inclusive"),
            );
            return None;
        }
    }
    if min.is_none() && max.is_none() {
        problems.unsupported(node.path_of("mustBe"), "a statistic with no bound");
        return None;
    }
    Some((min, max))
}

fn sql(
    node: &mut Node,
    name: Option<String>,
    severity: Severity,
    problems: &mut Problems,
) -> Option<Check> {
    let path = node.path_of("query");
    let Some(query) = node.string("query", problems) else {
        problems.invalid(path, "an SQL quality rule needs a `query`");
        return None;
    };
    let description = node.string("description", problems);
    if let Some(sql) = row_rule_sql(query.trim()) {
        zero(node, problems)?;
        let name = name.unwrap_or_else(|| datacontract_model::naming::rule_name(&sql));
        if let Some(description) = description
            && description != rule_description(&sql)
        {
            problems.unsupported(node.path_of("description"), "a row rule's own description");
        }
        return Some(Check::Rule(RowRule {
            name,
            sql,
            severity,
        }));
    }
    if description.is_some() {
        problems.unsupported(node.path_of("description"), "a statistic's description");
    }
    let query = squeeze(&query);
    let Some((column, statistic, approximate)) = statistic_of(&query) else {
        problems.unsupported(
            path,
            format!(
                "the query `{query}`: SQL rules are row rules (`{}`) or statistics (`{}`)",
                rule_query("<condition>"),
                statistic_query(&Statistic::Mean, "<column>", false)
            ),
        );
        return None;
    };
    let (min, max) = bounds(node, problems)?;
    let mut expectation = expectation(statistic, min, max);
    expectation.approximate = approximate;
    Some(Check::Statistic(column, expectation))
}

/// The condition of a row rule's query.
fn row_rule_sql(query: &str) -> Option<String> {
    let prefix = rule_query("");
    let prefix = prefix.strip_suffix(')')?;
    let condition = query.strip_prefix(prefix)?.strip_suffix(')')?;
    Some(condition.to_string())
}

/// The statistic (and its column; none for `COUNT(*)`) a query measures,
/// when it is one a contract writes, and whether it is the approximate
/// aggregate.
fn statistic_of(query: &str) -> Option<(Option<String>, Statistic, bool)> {
    let inner = query
        .strip_prefix("SELECT ")?
        .strip_suffix(" FROM ${object}")?;
    if inner == "COUNT(*)" {
        return Some((None, Statistic::RowCount, false));
    }
    let column = column_of(inner)?;
    let candidates = [
        (Statistic::Mean, false),
        (Statistic::Stddev, false),
        (Statistic::Min, false),
        (Statistic::Max, false),
        (Statistic::Sum, false),
        (Statistic::NullFraction, false),
        (Statistic::DistinctCount, false),
        (Statistic::DistinctCount, true),
    ];
    if let Some((statistic, approximate)) = candidates
        .into_iter()
        .find(|(statistic, approximate)| statistic_query(statistic, &column, *approximate) == query)
    {
        return Some((Some(column), statistic, approximate));
    }
    let (q, approximate) = quantile_of(inner, &column)?;
    let statistic = Statistic::Quantile { q };
    (statistic_query(&statistic, &column, approximate) == query && (0.0..=1.0).contains(&q))
        .then_some((Some(column), statistic, approximate))
}

/// The `q` of a quantile aggregate of `column`, exact
/// (`PERCENTILE_CONT(column, q) OVER ()`) or approximate
/// (`APPROX_QUANTILES(column, buckets)[OFFSET(offset)]`, `q` being
/// `offset / buckets`).
fn quantile_of(aggregate: &str, column: &str) -> Option<(f64, bool)> {
    if let Some(q) = aggregate
        .strip_prefix(&format!("PERCENTILE_CONT({column}, "))
        .and_then(|rest| rest.strip_suffix(") OVER ()"))
    {
        return Some((q.parse().ok()?, false));
    }
    let (buckets, offset) = aggregate
        .strip_prefix(&format!("APPROX_QUANTILES({column}, "))?
        .strip_suffix(")]")?
        .split_once(")[OFFSET(")?;
    let (buckets, offset): (u32, u32) = (buckets.parse().ok()?, offset.parse().ok()?);
    (buckets > 0 && offset <= buckets).then(|| (f64::from(offset) / f64::from(buckets), true))
}

/// The column inside the first parentheses of an aggregate.
fn column_of(aggregate: &str) -> Option<String> {
    let open = aggregate.find('(')?;
    let rest = aggregate[open + 1..].trim_start_matches("DISTINCT ");
    let end = rest.find([')', ',', ' '])?;
    let column = &rest[..end];
    (!column.is_empty()
        && column
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then(|| column.to_string())
}

/// An expectation; [`read`] gives it its rule's severity.
fn expectation(statistic: Statistic, min: Option<Literal>, max: Option<Literal>) -> Expectation {
    Expectation {
        statistic,
        min,
        max,
        severity: Severity::Error,
        approximate: false,
    }
}

/// A YAML scalar as a contract's literal.
pub fn literal(value: &Value) -> Option<Literal> {
    match value {
        Value::Bool(flag) => Some(Literal::Bool(*flag)),
        Value::Number(number) => match number.as_i64() {
            Some(whole) => Some(Literal::Int(whole)),
            None => number.as_f64().map(Literal::Float),
        },
        Value::String(text) => Some(Literal::String(text.clone())),
        _ => None,
    }
}

/// `text` with every run of whitespace one space, trimmed.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
