//! ODCS `relationships` read back as foreign keys: on a property, `to`
//! names what that column references; on a schema object, `from` names
//! its columns and `to` the referenced ones, for a key of several. Both
//! in shorthand (`table.column`).

use serde_json::Value;

use super::node::{Node, Problems, kind};
use crate::odcs::vocabulary::{custom, severity_named};
use crate::{ForeignKey, Severity};

/// The foreign keys of the property `column` (at most one).
pub fn of_property(
    node: &mut Node,
    column: &str,
    default: Severity,
    problems: &mut Problems,
) -> Option<ForeignKey> {
    let mut keys = Vec::new();
    for (path, value) in node.items("relationships", problems) {
        let Some(mut relationship) = Node::new(&path, &value, problems) else {
            continue;
        };
        if relationship.has("from") {
            problems.invalid(
                relationship.path_of("from"),
                "`from` on a property (it is the property itself)",
            );
        }
        let key =
            read(&mut relationship, None, problems).map(|(_, table, referenced)| ForeignKey {
                columns: vec![column.to_string()],
                table,
                referenced,
                severity: default,
            });
        if let Some(key) = key {
            if key.referenced.len() != 1 {
                problems.invalid(&path, "a property's relationship references one column");
            } else if !keys.is_empty() {
                problems.unsupported(
                    &path,
                    "a second relationship of one column (a column references one table)",
                );
            } else {
                keys.push(with_severity(key, &mut relationship, problems));
            }
        }
        relationship.finish(problems);
    }
    keys.pop()
}

/// The foreign keys of several columns of the schema object `table`
/// (its `name` or its `physicalName`), with the columns as `from` names
/// them.
pub fn of_table(
    node: &mut Node,
    table: &[&str],
    default: Severity,
    problems: &mut Problems,
) -> Vec<ForeignKey> {
    let mut keys = Vec::new();
    for (path, value) in node.items("relationships", problems) {
        let Some(mut relationship) = Node::new(&path, &value, problems) else {
            continue;
        };
        if let Some((columns, target, referenced)) = read(&mut relationship, Some(table), problems)
        {
            if columns.len() == 1 {
                problems.unsupported(
                    &path,
                    "a table's relationship of one column (give it on its property)",
                );
            } else {
                let key = ForeignKey {
                    columns,
                    table: target,
                    referenced,
                    severity: default,
                };
                keys.push(with_severity(key, &mut relationship, problems));
            }
        }
        relationship.finish(problems);
    }
    keys
}

/// Reads `type`, `from` (columns of `table`, by one of its names, when
/// given) and `to`: this table's columns, the referenced table and its
/// columns.
fn read(
    relationship: &mut Node,
    table: Option<&[&str]>,
    problems: &mut Problems,
) -> Option<(Vec<String>, String, Vec<String>)> {
    match relationship.string("type", problems).as_deref() {
        None | Some("foreignKey") => {}
        Some(other) => problems.unsupported(
            relationship.path_of("type"),
            format!("a relationship of type `{other}`"),
        ),
    }
    let (from_path, to_path) = (relationship.path_of("from"), relationship.path_of("to"));
    let (from, to) = (relationship.take("from"), relationship.take("to"));
    let Some(to) = to else {
        problems.invalid(to_path, "a relationship needs `to`");
        return None;
    };
    let to = references(&to_path, &to, problems)?;
    let Some(target) = to.first().map(|(table, _)| table.clone()) else {
        problems.invalid(to_path, "`to` names no column");
        return None;
    };
    if let Some((other, _)) = to.iter().find(|(table, _)| *table != target) {
        problems.unsupported(
            to_path,
            format!("a key over two tables (`{target}` and `{other}`)"),
        );
        return None;
    }
    let referenced: Vec<String> = to.into_iter().map(|(_, column)| column).collect();
    let Some(table) = table else {
        return Some((Vec::new(), target, referenced));
    };
    let Some(from) = from else {
        problems.invalid(from_path, "a table's relationship needs `from`");
        return None;
    };
    let from = references(&from_path, &from, problems)?;
    if let Some((other, _)) = from
        .iter()
        .find(|(named, _)| !table.contains(&named.as_str()))
    {
        problems.invalid(
            from_path,
            format!(
                "`from` names table `{other}`, not this one (`{}`)",
                table[0]
            ),
        );
        return None;
    }
    if from.len() != referenced.len() {
        problems.invalid(
            to_path,
            format!(
                "`from` names {} columns and `to` {}",
                from.len(),
                referenced.len()
            ),
        );
        return None;
    }
    let columns = from.into_iter().map(|(_, column)| column).collect();
    Some((columns, target, referenced))
}

/// Each `table.column` of a shorthand reference (`orders.id`) or a list
/// of them.
fn references(path: &str, value: &Value, problems: &mut Problems) -> Option<Vec<(String, String)>> {
    let texts: Vec<&str> = match value {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) => {
            let texts: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            let Some(texts) = texts.filter(|texts| !texts.is_empty()) else {
                problems.invalid(path, "expected a list of `table.column` references");
                return None;
            };
            texts
        }
        other => {
            problems.invalid(
                path,
                format!("expected `table.column`, found {}", kind(other)),
            );
            return None;
        }
    };
    let mut named = Vec::new();
    for text in texts {
        if text.contains('/') || text.contains('#') {
            problems.unsupported(
                path,
                format!("the fully qualified reference `{text}` (write `table.column`)"),
            );
            return None;
        }
        match datacontract_model::parse_target(text) {
            Ok((table, mut columns)) if columns.len() == 1 && !text.contains('(') => {
                named.push((table, columns.remove(0)));
            }
            Ok(_) => {
                problems.invalid(path, format!("`{text}` is not `table.column`"));
                return None;
            }
            Err(problem) => {
                problems.invalid(path, problem);
                return None;
            }
        }
    }
    Some(named)
}

/// `key` with the severity its `customProperties` give, if any.
fn with_severity(
    mut key: ForeignKey,
    relationship: &mut Node,
    problems: &mut Problems,
) -> ForeignKey {
    relationship.custom_properties(problems, |name, value, _| {
        (name == custom::SEVERITY).then(|| {
            let level = value.as_str().and_then(severity_named);
            key.severity = level.ok_or_else(|| "expected `error` or `warning`".to_string())?;
            Ok(())
        })
    });
    key
}
