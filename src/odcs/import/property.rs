//! A schema property read back into a column.

use serde_json::{Map, Value};

use datacontract_model::fit;
use datacontract_model::naming::column_name_problem;
use datacontract_model::rust_types::Scalar;

use super::super::vocabulary::{custom, severity_named};
use super::node::{Node, Problems, kind};
use super::quality::{self, Check, literal};
use super::{relationships, types};
use crate::{
    Bound, Constraint, ConstraintKind, Expectation, Field, ForeignKey, Literal, LogicalType, Mode,
    Sensitivity, Severity,
};

/// A column, and what its property says of the table.
pub struct Column {
    /// The column.
    pub field: Field,
    /// The property's `name`, which the document's references use.
    pub logical_name: String,
    /// The property's path, for messages.
    pub path: String,
    /// `primaryKey: true`, with its position if given.
    pub primary_key: Option<Option<i64>>,
    /// `partitioned: true`.
    pub partitioned: bool,
    /// The foreign key its `relationships` give.
    pub foreign_key: Option<ForeignKey>,
}

/// Where a property stands: the table's own columns carry key and
/// partition positions; a RECORD's sub-fields do not.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A column of the table.
    Table,
    /// A sub-field of a RECORD.
    Record,
}

/// The column of the property at `path`.
pub fn read(
    path: &str,
    value: &Value,
    level: Level,
    default: Severity,
    problems: &mut Problems,
) -> Option<Column> {
    let mut node = Node::new(path, value, problems)?;
    let (name, logical_name) = column_name(&mut node, problems);
    let description = node.string("description", problems);
    let customs = Customs::read(&mut node, problems);
    let required = node.boolean("required", problems).unwrap_or(false);
    let is_array =
        node.has("items") || node.peek("logicalType").and_then(Value::as_str) == Some("array");
    let (logical_type, mut kinds, mode) = if is_array {
        array(&mut node, default, problems)?
    } else {
        let element = element(&mut node, default, problems)?;
        let mode = if required {
            Mode::Required
        } else {
            Mode::Nullable
        };
        (element.0, element.1, mode)
    };
    let null_array_allowed = mode == Mode::Repeated && !required;
    let unique = node.boolean("unique", problems).unwrap_or(false);
    let sensitivity = node.string("classification", problems).and_then(|name| {
        let level = Sensitivity::from_name(&name);
        if level.is_none() {
            problems.unsupported(
                node.path_of("classification"),
                format!(
                    "the classification `{name}` (public, internal, confidential or restricted)"
                ),
            );
        }
        level
    });
    let (primary_key, partitioned) = positions(&mut node, level, problems);
    let foreign_key = match level {
        Level::Table => relationships::of_property(&mut node, &name, default, problems),
        Level::Record => {
            if node.has("relationships") {
                problems.unsupported(
                    node.path_of("relationships"),
                    "a relationship of a RECORD's sub-field (a key is a column of the table)",
                );
                node.take("relationships");
            }
            None
        }
    };
    let mut rule_severities = Vec::new();
    let mut expectations = Vec::new();
    for (rule_path, rule) in node.items("quality", problems) {
        let Some(rule) = quality::read(&rule_path, &rule, problems) else {
            continue;
        };
        match rule.check {
            Check::NotNull if mode == Mode::Required && rule.severity == Severity::Error => {}
            Check::NotNull => problems.unsupported(
                rule_path,
                "nullValues other than on a required column, as an error (make the column `required`)",
            ),
            Check::OneOf(_) | Check::Unique
                if rule_severities.iter().any(|(kind, _)| {
                    *kind == if rule.check == Check::Unique { "unique" } else { "one_of" }
                }) =>
            {
                problems.invalid(rule_path, "a second rule of this metric on one column")
            }
            Check::OneOf(values) => {
                kinds.push(ConstraintKind::OneOf { values });
                rule_severities.push(("one_of", rule.severity));
            }
            Check::Unique => rule_severities.push(("unique", rule.severity)),
            Check::Statistic(Some(column), expectation) if column == name => {
                expectations.push(expectation);
            }
            Check::Statistic(..) | Check::Key(_) | Check::Rule(_) => problems.unsupported(
                rule_path,
                "a check of other columns, on a column (give it on the table)",
            ),
        }
    }
    if unique || rule_severities.iter().any(|(kind, _)| *kind == "unique") {
        kinds.push(ConstraintKind::Unique);
    }
    kinds.sort_by_key(|kind| ConstraintKind::rank_of(kind.name()));
    let constraints = customs.constraints(kinds, &rule_severities, default, path, problems);
    node.finish(problems);
    let field = Field {
        name,
        logical_type,
        mode,
        description,
        null_array_allowed,
        constraints,
        expectations,
        policy_tags: customs.policy_tags,
        sensitivity,
    };
    fits(&field, path, problems);
    Some(Column {
        field,
        logical_name,
        path: path.to_string(),
        primary_key,
        partitioned,
        foreign_key,
    })
}

/// The stored name: `physicalName`, else `name`.
/// The stored name (`physicalName`, else `name`), and the name the
/// document's references use (`name`, else `physicalName`).
fn column_name(node: &mut Node, problems: &mut Problems) -> (String, String) {
    let name = node.string("name", problems);
    let physical = node.string("physicalName", problems);
    let column = physical.clone().or(name.clone()).unwrap_or_else(|| {
        problems.invalid(node.path_of("name"), "a property needs a `name`");
        String::new()
    });
    if !column.is_empty()
        && let Some(problem) = column_name_problem(&column)
    {
        problems.invalid(node.path_of("name"), problem);
    }
    let logical = name.unwrap_or_else(|| column.clone());
    (column, logical)
}

/// A REPEATED column: its element from `items`, its length from the
/// property's `minItems` and `maxItems`.
fn array(
    node: &mut Node,
    default: Severity,
    problems: &mut Problems,
) -> Option<(LogicalType, Vec<ConstraintKind>, Mode)> {
    node.take("logicalType");
    // The physical type spells the array (`ARRAY<INT64>`, `list`); the
    // element's type comes from `items`.
    node.take("physicalType");
    let Some(mut items) = node.child("items", problems) else {
        problems.invalid(
            node.path_of("items"),
            "an array needs `items`, the type of its elements",
        );
        return None;
    };
    // An element has no name of its own in a table.
    items.take("name");
    let element = element(&mut items, default, problems);
    items.finish(problems);
    let (logical_type, mut kinds) = element?;
    if let Some(mut options) = node.child("logicalTypeOptions", problems) {
        let min = length(&mut options, "minItems", problems);
        let max = length(&mut options, "maxItems", problems);
        if min.is_some() || max.is_some() {
            kinds.insert(0, ConstraintKind::Length { min, max });
        }
        options.finish(problems);
    }
    Some((logical_type, kinds, Mode::Repeated))
}

/// The type of one value (a column's, or an array's element) and the checks
/// its options state.
fn element(
    node: &mut Node,
    default: Severity,
    problems: &mut Problems,
) -> Option<(LogicalType, Vec<ConstraintKind>)> {
    let logical = node.string("logicalType", problems);
    let physical = node.string("physicalType", problems);
    let mut options = node.child("logicalTypeOptions", problems);
    let format = options
        .as_mut()
        .and_then(|options| options.string("format", problems));
    let timezone = options
        .as_mut()
        .and_then(|options| options.boolean("timezone", problems));
    let mut kinds = Vec::new();
    let logical_type = if logical.as_deref() == Some("object") || node.has("properties") {
        record(node, physical.as_deref(), default, problems)?
    } else {
        column_type(
            node,
            logical.as_deref(),
            physical.as_deref(),
            format.as_deref(),
            timezone,
            &mut kinds,
            problems,
        )?
    };
    if let Some(format) = format {
        match (format.as_str(), &logical_type) {
            // FLOAT64 holds every `f32` exactly.
            ("i64", LogicalType::Int64) | ("f64" | "f32", LogicalType::Float64) => {}
            ("binary", LogicalType::Bytes) => {}
            ("email", LogicalType::String) => kinds.push(ConstraintKind::Email),
            ("uri" | "url", LogicalType::String) => kinds.push(ConstraintKind::Url),
            (other, _) => problems.unsupported(
                format!("{}.logicalTypeOptions.format", node.path()),
                format!(
                    "the format `{other}` of a {} column",
                    logical_type.sql_name()
                ),
            ),
        }
    }
    if let Some(mut options) = options {
        kinds.extend(value_checks(&mut options, problems));
        options.finish(problems);
    }
    kinds.sort_by_key(|kind| ConstraintKind::rank_of(kind.name()));
    Some((logical_type, kinds))
}

/// A scalar column's type: the physical type where it names one this crate
/// knows (with the length it implies), else the logical type's.
fn column_type(
    node: &Node,
    logical: Option<&str>,
    physical: Option<&str>,
    format: Option<&str>,
    timezone: Option<bool>,
    kinds: &mut Vec<ConstraintKind>,
    problems: &mut Problems,
) -> Option<LogicalType> {
    let from_logical = logical.and_then(|name| types::logical(name, format, timezone));
    let from_physical = physical.and_then(types::physical);
    let chosen = match (from_physical, from_logical) {
        (Some((physical_type, implied_length)), _) => {
            if let Some(length) = implied_length {
                kinds.push(ConstraintKind::Length {
                    min: None,
                    max: Some(length),
                });
            }
            let timezone_disagrees = matches!(
                (&physical_type, timezone),
                (LogicalType::Timestamp, Some(false)) | (LogicalType::DateTime, Some(true))
            );
            if let Some(name) = logical
                && (!types::agrees(name, &physical_type) || timezone_disagrees)
            {
                problems.invalid(
                    node.path_of("physicalType"),
                    format!(
                        "the physical type `{}` is not a `{name}`{}",
                        physical.unwrap_or_default(),
                        if timezone_disagrees {
                            " with this timezone"
                        } else {
                            ""
                        }
                    ),
                );
                return None;
            }
            physical_type
        }
        (None, Some(logical_type)) => {
            if let Some(physical) = physical {
                problems.unsupported(
                    node.path_of("physicalType"),
                    format!(
                        "the physical type `{physical}`, not one BigQuery, PostgreSQL, MySQL or DuckDB spell (the logical type gives {})",
                        logical_type.sql_name()
                    ),
                );
            }
            logical_type
        }
        (None, None) => {
            match logical {
                Some(name) => problems.unsupported(node.path_of("logicalType"), format!("the logical type `{name}`")),
                None => problems.invalid(
                    node.path_of("logicalType"),
                    match physical {
                        Some(physical) => format!("the physical type `{physical}` is not one this crate knows, and no logical type is given"),
                        None => "a property needs a `logicalType`".to_string(),
                    },
                ),
            }
            return None;
        }
    };
    Some(chosen)
}

/// A RECORD column: its sub-fields from `properties`; an object without
/// them is JSON.
fn record(
    node: &mut Node,
    physical: Option<&str>,
    default: Severity,
    problems: &mut Problems,
) -> Option<LogicalType> {
    let items = node.items("properties", problems);
    if items.is_empty() {
        return match physical.and_then(types::physical) {
            Some((LogicalType::Json, _)) => Some(LogicalType::Json),
            _ => {
                problems.unsupported(
                    node.path_of("properties"),
                    "an object without `properties` (a RECORD needs its fields; JSON needs `physicalType: JSON`)",
                );
                None
            }
        };
    }
    if let Some(physical) = physical
        && !matches!(
            physical.trim().to_ascii_uppercase().split('<').next(),
            Some("STRUCT" | "RECORD" | "OBJECT")
        )
    {
        problems.invalid(
            node.path_of("physicalType"),
            format!("an object whose physical type is `{physical}`"),
        );
    }
    let fields: Vec<Field> = items
        .iter()
        .filter_map(|(path, value)| read(path, value, Level::Record, default, problems))
        .map(|column| column.field)
        .collect();
    Some(LogicalType::Record { fields })
}

/// Bounds, lengths and the pattern among a value's options.
fn value_checks(options: &mut Node, problems: &mut Problems) -> Vec<ConstraintKind> {
    let mut kinds = Vec::new();
    let min = bound(options, "minimum", "exclusiveMinimum", problems);
    let max = bound(options, "maximum", "exclusiveMaximum", problems);
    if min.is_some() || max.is_some() {
        kinds.push(ConstraintKind::Range { min, max });
    }
    let min = length(options, "minLength", problems);
    let max = length(options, "maxLength", problems);
    if min.is_some() || max.is_some() {
        kinds.push(ConstraintKind::Length { min, max });
    }
    if let Some(pattern) = options.string("pattern", problems) {
        match regex::Regex::new(&pattern) {
            Ok(_) => kinds.push(ConstraintKind::Regex { pattern }),
            Err(error) => problems.invalid(
                options.path_of("pattern"),
                format!("the pattern is not a regular expression of RE2's dialect: {error}"),
            ),
        }
    }
    kinds
}

fn bound(
    options: &mut Node,
    inclusive: &str,
    exclusive: &str,
    problems: &mut Problems,
) -> Option<Bound> {
    let read = |options: &mut Node, key: &str, problems: &mut Problems| {
        let value = options.take(key)?;
        let literal = literal(&value).filter(|literal| !matches!(literal, Literal::Bool(_)));
        if literal.is_none() {
            problems.invalid(
                options.path_of(key),
                format!("expected a number or a date, found {}", kind(&value)),
            );
        }
        literal
    };
    let both = options.has(inclusive) && options.has(exclusive);
    let bound = match read(options, inclusive, problems) {
        Some(value) => Some(Bound {
            value,
            inclusive: true,
        }),
        None => read(options, exclusive, problems).map(|value| Bound {
            value,
            inclusive: false,
        }),
    };
    if both {
        options.take(exclusive);
        problems.invalid(
            options.path_of(exclusive),
            format!("both `{inclusive}` and `{exclusive}`"),
        );
    }
    bound
}

fn length(options: &mut Node, key: &str, problems: &mut Problems) -> Option<u64> {
    let value = options.integer(key, problems)?;
    u64::try_from(value).ok().or_else(|| {
        problems.invalid(options.path_of(key), "a length is at least 0");
        None
    })
}

/// `primaryKey`, its position, and `partitioned`: only on the table's own
/// columns.
fn positions(
    node: &mut Node,
    level: Level,
    problems: &mut Problems,
) -> (Option<Option<i64>>, bool) {
    let primary_key = node.boolean("primaryKey", problems).unwrap_or(false);
    let key_position = node.integer("primaryKeyPosition", problems);
    let partitioned = node.boolean("partitioned", problems).unwrap_or(false);
    let partition_position = node.integer("partitionKeyPosition", problems);
    if level == Level::Record && (primary_key || partitioned) {
        problems.unsupported(
            node.path_of(if primary_key {
                "primaryKey"
            } else {
                "partitioned"
            }),
            "a key or partitioning column inside a RECORD",
        );
    }
    if partitioned && partition_position.is_some_and(|position| position != 1) {
        problems.unsupported(
            node.path_of("partitionKeyPosition"),
            "partitioning by more than one column",
        );
    }
    (
        primary_key.then_some(key_position.filter(|p| *p > 0)),
        partitioned,
    )
}

/// The severities a property's custom properties give its checks, and
/// its policy tags.
struct Customs {
    path: String,
    policy_tags: Vec<String>,
    severities: Vec<(String, Severity)>,
    checks: Option<Vec<Constraint>>,
}

impl Customs {
    fn read(node: &mut Node, problems: &mut Problems) -> Customs {
        let mut customs = Customs {
            path: node.path_of("customProperties"),
            policy_tags: Vec::new(),
            severities: Vec::new(),
            checks: None,
        };
        node.custom_properties(problems, |name, value, _| {
            let plain = |error: serde_json::Error| error.to_string();
            Some(match name {
                custom::POLICY_TAGS => serde_json::from_value(value)
                    .map(|tags| customs.policy_tags = tags)
                    .map_err(plain),
                custom::SEVERITIES => serde_json::from_value::<Map<String, Value>>(value)
                    .map_err(plain)
                    .and_then(|map| {
                        for (check, level) in map {
                            let level =
                                level.as_str().and_then(severity_named).ok_or_else(|| {
                                    format!("the severity of `{check}` is not `error` or `warning`")
                                })?;
                            customs.severities.push((check, level));
                        }
                        Ok(())
                    }),
                custom::CHECKS => serde_json::from_value(value)
                    .map(|checks| customs.checks = Some(checks))
                    .map_err(plain),
                _ => return None,
            })
        });
        customs
    }

    /// The column's checks with their severities: `checks` when given (it
    /// must state what the standard fields state), else each kind found in
    /// the standard fields with the severity its quality rule or
    /// `severities` gives, the table's default otherwise.
    fn constraints(
        &self,
        kinds: Vec<ConstraintKind>,
        rule_severities: &[(&str, Severity)],
        default: Severity,
        path: &str,
        problems: &mut Problems,
    ) -> Vec<Constraint> {
        let severity_of = |name: &str| {
            rule_severities
                .iter()
                .find(|(kind, _)| *kind == name)
                .map(|(_, level)| *level)
                .or_else(|| {
                    self.severities
                        .iter()
                        .find(|(kind, _)| kind == name)
                        .map(|(_, level)| *level)
                })
                .unwrap_or(default)
        };
        for (check, _) in &self.severities {
            if !kinds.iter().any(|kind| kind.name() == check) {
                problems.invalid(
                    &self.path,
                    format!("a severity for `{check}`, which the property does not check"),
                );
            }
        }
        let standard: Vec<Constraint> = kinds
            .into_iter()
            .map(|kind| {
                let severity = severity_of(kind.name());
                Constraint { kind, severity }
            })
            .collect();
        match &self.checks {
            None => standard,
            Some(checks) => {
                if summary(checks) != summary(&standard) {
                    problems.invalid(
                        format!("{path}.customProperties"),
                        "`checks` does not state the checks the property's options and quality rules state",
                    );
                }
                checks.clone()
            }
        }
    }
}

/// What the standard fields can say of a column's checks: each kind's
/// bounds, merged, without severities.
fn summary(checks: &[Constraint]) -> Vec<ConstraintKind> {
    let mut merged: Vec<ConstraintKind> = Vec::new();
    for check in checks {
        match (
            &check.kind,
            merged
                .iter_mut()
                .find(|kind| kind.name() == check.kind.name()),
        ) {
            (
                ConstraintKind::Range { min, max },
                Some(ConstraintKind::Range { min: a, max: b }),
            ) => {
                // As the export writes options: a later range's bound
                // replaces an earlier one's.
                *a = min.clone().or(a.clone());
                *b = max.clone().or(b.clone());
            }
            (_, Some(_)) => {}
            (kind, None) => merged.push(kind.clone()),
        }
    }
    merged
}

/// Records the checks and expectations that cannot hold on the column's
/// type, as the derive macro would refuse them.
fn fits(field: &Field, path: &str, problems: &mut Problems) {
    let scalar = Scalar::of_logical_type(&field.logical_type);
    for constraint in &field.constraints {
        let problem = match &constraint.kind {
            ConstraintKind::Range { min, max } => [min, max]
                .into_iter()
                .flatten()
                .find_map(|bound| fit::bound_problem(&bound.value, scalar)),
            ConstraintKind::Length {
                min: Some(min),
                max: Some(max),
            } if min > max => Some(format!("length min ({min}) is greater than max ({max})")),
            ConstraintKind::Length { .. }
                if scalar != Scalar::String && field.mode != Mode::Repeated =>
            {
                Some("a length applies to STRING columns and arrays".into())
            }
            ConstraintKind::Regex { .. } | ConstraintKind::Email | ConstraintKind::Url
                if scalar != Scalar::String =>
            {
                Some(format!(
                    "`{}` applies to STRING columns",
                    constraint.kind.name()
                ))
            }
            ConstraintKind::OneOf { values } => values
                .iter()
                .find(|value| !fit::literal_fits(value, scalar))
                .map(|value| {
                    format!(
                        "the allowed value {value} does not fit a {} column",
                        field.logical_type.sql_name()
                    )
                }),
            _ => None,
        };
        if let Some(problem) = problem {
            problems.invalid(path, problem);
        }
    }
    for expectation in &field.expectations {
        if let Some(problem) = expectation_problem(expectation, scalar) {
            problems.invalid(path, problem);
        }
    }
}

fn expectation_problem(expectation: &Expectation, scalar: Scalar) -> Option<String> {
    use crate::Statistic;
    let numeric = |literal: &Literal| matches!(literal, Literal::Int(_) | Literal::Float(_));
    let bounds = [&expectation.min, &expectation.max];
    let ok = match expectation.statistic {
        Statistic::Min | Statistic::Max => bounds
            .into_iter()
            .flatten()
            .all(|b| fit::literal_fits(b, scalar)),
        Statistic::DistinctCount | Statistic::RowCount => bounds
            .into_iter()
            .flatten()
            .all(|b| matches!(b, Literal::Int(n) if *n >= 0)),
        _ => bounds.into_iter().flatten().all(numeric),
    };
    (!ok).then(|| "an expectation's bound does not fit its statistic".to_string())
}
