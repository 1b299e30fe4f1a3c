//! An ODCS document read back into contracts, one per schema object.
//!
//! Everything a contract can express is read; everything else is a
//! [`Problem`] naming its path, and the import fails with all of them at
//! once. Nothing is dropped unseen: each mapping is read key by key, and a
//! key no reader took is reported. Three things are read past on purpose,
//! because they describe the document rather than a table: its `id`, `name`
//! and `status` (an export writes them anew), and its `servers` (where a
//! table lives is the configuration's to say), but for `local` ones, whose
//! reading options are checked ([`file_servers`] hands them out).

mod checks;
pub(super) mod node;
mod property;
mod quality;
mod relationships;
mod types;

use std::fmt;

use serde_json::Value;

use datacontract_model::naming::{table_name_problem, version_problem};

use self::node::{Node, Problems};
use self::property::{Column, Level};
use self::quality::Check;
use super::servers::FileServer;
use super::vocabulary::{custom, severity_named};
use crate::rust_source::{self, SourceError, Struct};
use crate::{
    Contract, DedupKey, DriftRule, ForeignKey, Freshness, Partitioning, ReconcileRule, Severity,
    TimeGranularity,
};

pub use node::{Problem, ProblemKind};

/// One table of an imported document.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The schema object's `name`: the Rust struct's name comes from it.
    pub name: String,
    /// The table's contract.
    pub contract: Contract,
}

/// Why a document could not be imported: every problem, in document order.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportError {
    /// The problems.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the document cannot be imported ({} problem{}):",
            self.problems.len(),
            if self.problems.len() == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            writeln!(f, "  {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportError {}

/// The Rust source of `tables`, imported from the document `document_name`:
/// one `#[derive(DataContract)]` struct each.
/// `dropped` lists what the import left out (none unless asked to drop
/// it): the file's header names each part.
pub fn to_rust(
    document_name: &str,
    tables: &[Table],
    dropped: &[Problem],
) -> Result<String, SourceError> {
    let structs: Vec<Struct> = tables
        .iter()
        .map(|table| Struct {
            name: &table.name,
            contract: &table.contract,
        })
        .collect();
    let mut header = format!(
        "Contracts imported from the ODCS document `{document_name}` by `contracts import odcs`.\n\n\
         Register each struct with `Registry::with::<…>()`; `contracts export` writes\n\
         the document back."
    );
    if !dropped.is_empty() {
        header.push_str("\n\nLeft out, as a contract cannot express it (--drop-unsupported):\n");
        for problem in dropped {
            header.push_str(&format!("- {}: {}\n", problem.path, problem.message));
        }
    }
    rust_source::render(&header, &structs)
}

/// Parses an ODCS document written in YAML (or JSON).
pub fn parse(text: &str) -> Result<Value, String> {
    serde_norway::from_str(text).map_err(|error| format!("not a YAML document: {error}"))
}

/// The tables of an ODCS v3 document.
pub fn import(document: &Value) -> Result<Vec<Table>, ImportError> {
    let mut problems = Problems::default();
    let tables = read_document(document, &mut problems);
    if problems.0.is_empty() {
        Ok(tables)
    } else {
        Err(ImportError {
            problems: problems.0,
        })
    }
}

/// The tables of an ODCS v3 document without what a contract cannot
/// express, and the list of it, each part with its path; it fails only on
/// what is invalid.
pub fn import_dropping_unsupported(
    document: &Value,
) -> Result<(Vec<Table>, Vec<Problem>), ImportError> {
    let mut problems = Problems::default();
    let tables = read_document(document, &mut problems);
    if problems
        .0
        .iter()
        .any(|problem| problem.kind == ProblemKind::Invalid)
    {
        Err(ImportError {
            problems: problems.0,
        })
    } else {
        Ok((tables, problems.0))
    }
}

fn read_document(document: &Value, problems: &mut Problems) -> Vec<Table> {
    let Some(mut node) = Node::new("", document, problems) else {
        return Vec::new();
    };
    match node.string("apiVersion", problems) {
        Some(version) if version.starts_with("v3.") => {}
        Some(version) => problems.unsupported("apiVersion", format!("ODCS {version} (v3 is read)")),
        None => problems.invalid("apiVersion", "an ODCS document names its `apiVersion`"),
    }
    match node.string("kind", problems).as_deref() {
        Some("DataContract") | None => {}
        Some(other) => {
            problems.invalid("kind", format!("the kind `{other}` is not `DataContract`"))
        }
    }
    for identity in ["id", "name", "status"] {
        node.take(identity);
    }
    read_servers(&mut node, problems);
    let version = node.string("version", problems).unwrap_or_else(|| {
        problems.invalid(
            "version",
            "an ODCS document names its `version`, a semantic version such as \"1.2.0\"",
        );
        String::new()
    });
    if let Some(problem) = version_problem(&version).filter(|_| !version.is_empty()) {
        problems.invalid("version", problem);
    }
    let purpose = node
        .child("description", problems)
        .and_then(|mut description| {
            let purpose = description.string("purpose", problems);
            description.finish(problems);
            purpose
        });
    let schema = node.items("schema", problems);
    if schema.is_empty() {
        problems.invalid(
            "schema",
            "the document describes no table (no `schema` objects)",
        );
    }
    let mut tables: Vec<Pending> = schema
        .iter()
        .filter_map(|(path, value)| read_table(path, value, &version, problems))
        .collect();
    if let Some(purpose) = purpose {
        match tables.as_mut_slice() {
            [pending] if pending.table.contract.description.is_none() => {
                pending.table.contract.description = Some(purpose);
            }
            [pending]
                if pending.table.contract.description.as_deref() == Some(purpose.as_str()) => {}
            _ => problems.unsupported(
                "description.purpose",
                "a document's purpose other than its one table's description",
            ),
        }
    }
    for (path, value) in node.items("slaProperties", problems) {
        service_level(&path, &value, &mut tables, problems);
    }
    node.finish(problems);
    references_within(&mut tables, problems);
    tables
        .into_iter()
        .map(|pending| {
            if pending.freshness_severity.is_some() && pending.table.contract.freshness.is_none() {
                problems.invalid(
                    format!("{}.customProperties", pending.path),
                    "a freshness severity without a freshness SLA property",
                );
            }
            pending.table
        })
        .collect()
}

/// A foreign key to a table of the same document names it as the
/// document does (by its schema object's `name` and its properties'
/// `name`s): it is made to name the stored table and columns, which must
/// exist with the key's types (and a reconciliation's columns must exist).
/// What names another table is kept as written, and checked when the
/// registry that holds both starts.
fn references_within(tables: &mut [Pending], problems: &mut Problems) {
    let stored: Vec<Vec<ForeignKey>> = tables
        .iter()
        .map(|pending| {
            let keys = &pending.table.contract.foreign_keys;
            keys.iter().map(|key| stored_key(key, tables)).collect()
        })
        .collect();
    for (pending, keys) in tables.iter_mut().zip(stored) {
        pending.table.contract.foreign_keys = keys;
    }
    let find = |name: &str| {
        tables
            .iter()
            .map(|pending| &pending.table.contract)
            .find(|contract| contract.name == name)
    };
    for pending in tables.iter() {
        let within = Contract {
            foreign_keys: pending
                .table
                .contract
                .foreign_keys
                .iter()
                .filter(|key| find(&key.table).is_some())
                .cloned()
                .collect(),
            reconciliations: pending
                .table
                .contract
                .reconciliations
                .iter()
                .filter(|rule| find(&rule.table).is_some())
                .cloned()
                .collect(),
            ..pending.table.contract.clone()
        };
        for problem in within.reference_problems(find) {
            problems.invalid(pending.path.clone(), problem);
        }
    }
}

/// `key` naming the stored table and columns, where it names a table of
/// the document (by its schema object's `name` or `physicalName`, and its
/// properties' `name`s); as it is otherwise.
fn stored_key(key: &ForeignKey, tables: &[Pending]) -> ForeignKey {
    let mut key = key.clone();
    let Some(table) = tables.iter().find(|pending| {
        pending.table.name == key.table || pending.table.contract.name == key.table
    }) else {
        return key;
    };
    key.table = table.table.contract.name.clone();
    for column in &mut key.referenced {
        if let Some((_, stored)) = table.column_names.iter().find(|(named, _)| named == column) {
            *column = stored.clone();
        }
    }
    key
}

/// The document's `local` servers, read strictly (their reading options
/// checked); a server of another type only says where the table lives,
/// which is the configuration's to say, and is read past.
fn read_servers(document: &mut Node, problems: &mut Problems) -> Vec<FileServer> {
    let mut files = Vec::new();
    for (path, value) in document.items("servers", problems) {
        let Some(mut server) = Node::new(&path, &value, problems) else {
            continue;
        };
        if server.string("type", problems).as_deref() == Some("local") {
            files.extend(FileServer::read(&mut server, problems));
            server.finish(problems);
        }
    }
    files
}

/// The `local` servers of an ODCS document: the files its tables are kept
/// in and how to read them.
pub fn file_servers(document: &Value) -> Result<Vec<FileServer>, ImportError> {
    let mut problems = Problems::default();
    let files = match Node::new("", document, &mut problems) {
        Some(mut node) => read_servers(&mut node, &mut problems),
        None => Vec::new(),
    };
    if problems.0.is_empty() {
        Ok(files)
    } else {
        Err(ImportError {
            problems: problems.0,
        })
    }
}

/// A table read, waiting for the document's SLA properties and for the
/// references of other tables.
struct Pending {
    table: Table,
    path: String,
    freshness_severity: Option<Severity>,
    /// Each column's property `name` and stored name.
    column_names: Vec<(String, String)>,
}

/// A schema object: one table.
fn read_table(
    path: &str,
    value: &Value,
    version: &str,
    problems: &mut Problems,
) -> Option<Pending> {
    let mut node = Node::new(path, value, problems)?;
    let name = node.string("name", problems).unwrap_or_else(|| {
        problems.invalid(node.path_of("name"), "a schema object needs a `name`");
        String::new()
    });
    let table = node
        .string("physicalName", problems)
        .unwrap_or_else(|| name.clone());
    if let Some(problem) = table_name_problem(&table) {
        problems.invalid(node.path_of("physicalName"), problem);
    }
    match node.string("physicalType", problems).as_deref() {
        None | Some("table") => {}
        Some(other) => problems.unsupported(
            node.path_of("physicalType"),
            format!("a `{other}`: a contract describes a table"),
        ),
    }
    match node.string("logicalType", problems).as_deref() {
        None | Some("object") => {}
        Some(other) => problems.invalid(
            node.path_of("logicalType"),
            format!("a table whose logical type is `{other}`"),
        ),
    }
    let description = node.string("description", problems);
    let layout = TableCustoms::read(&mut node, problems);
    let properties = node.items("properties", problems);
    if properties.is_empty() {
        problems.invalid(
            node.path_of("properties"),
            "a table needs at least one property",
        );
    }
    let columns: Vec<Column> = properties
        .iter()
        .filter_map(|(path, value)| {
            property::read(path, value, Level::Table, layout.default_severity, problems)
        })
        .collect();
    let mut contract = Contract {
        version: version.to_string(),
        description,
        clustering: layout.clustering.clone(),
        default_severity: layout.default_severity,
        drift: layout.drift.clone(),
        reconciliations: layout.reconciliations.clone(),
        ..Contract::new(table, Vec::new())
    };
    let mut key_rule = None;
    for (rule_path, rule) in node.items("quality", problems) {
        let Some(rule) = quality::read(&rule_path, &rule, problems) else {
            continue;
        };
        match rule.check {
            Check::Key(_) if key_rule.is_some() => {
                problems.invalid(rule_path, "a second dedup key: a table has one")
            }
            Check::Key(columns) => key_rule = Some((rule_path, columns, rule.severity)),
            Check::Rule(mut row_rule) => {
                row_rule.severity = rule.severity;
                rule_columns(&row_rule.sql, &columns, &rule_path, problems);
                contract.rules.push(row_rule);
            }
            Check::Statistic(None, expectation) => contract.expectations.push(expectation),
            Check::Statistic(Some(column), _) => problems.unsupported(
                rule_path,
                format!("a statistic of `{column}` on the table (give it on its property)"),
            ),
            Check::NotNull | Check::OneOf(_) | Check::Unique => problems.unsupported(
                rule_path,
                "a column's check on the table, without its column (give it on its property)",
            ),
        }
    }
    contract.dedup_key = dedup_key(&columns, key_rule, layout.default_severity, problems);
    let stored = |named: String| {
        columns
            .iter()
            .find(|column| column.logical_name == named)
            .map_or(named, |column| column.field.name.clone())
    };
    let composite = relationships::of_table(
        &mut node,
        &[&name, &contract.name],
        layout.default_severity,
        problems,
    )
    .into_iter()
    .map(|mut key| {
        key.columns = key.columns.into_iter().map(stored).collect();
        key
    });
    contract.foreign_keys = columns
        .iter()
        .filter_map(|column| column.foreign_key.clone())
        .chain(composite)
        .collect();
    let column_names = columns
        .iter()
        .map(|column| (column.logical_name.clone(), column.field.name.clone()))
        .collect();
    contract.partitioning = partitioning(&node, &columns, layout.partitioning.clone(), problems);
    contract.fields = columns.into_iter().map(|column| column.field).collect();
    for column in &contract.clustering {
        if contract.field(column).is_none() {
            problems.invalid(
                &layout.path,
                format!("clustering on `{column}`, which is not a column"),
            );
        }
    }
    checks::table(&contract, path, problems);
    node.finish(problems);
    Some(Pending {
        table: Table { name, contract },
        path: path.to_string(),
        freshness_severity: layout.freshness_severity,
        column_names,
    })
}

/// The columns a row rule reads must be columns of the table.
fn rule_columns(sql: &str, columns: &[Column], path: &str, problems: &mut Problems) {
    match crate::check::rule::columns(sql) {
        Ok(read) => {
            for column in read {
                if !columns.iter().any(|known| known.field.name == column) {
                    problems.invalid(
                        path,
                        format!("the rule `{sql}` reads `{column}`, which is not a column"),
                    );
                }
            }
        }
        Err(error) => problems.invalid(
            path,
            format!("the rule `{sql}` is not SQL a warehouse runs: {error}"),
        ),
    }
}

/// The dedup key: the `primaryKey` columns by position, and the
/// `duplicateValues` rule on them; both say the same when both are given.
fn dedup_key(
    columns: &[Column],
    rule: Option<(String, Vec<String>, Severity)>,
    default: Severity,
    problems: &mut Problems,
) -> Option<DedupKey> {
    let mut keyed: Vec<(i64, usize, &Column)> = columns
        .iter()
        .enumerate()
        .filter_map(|(index, column)| {
            column
                .primary_key
                .map(|position| (position.unwrap_or(i64::MAX), index, column))
        })
        .collect();
    keyed.sort_by_key(|(position, index, _)| (*position, *index));
    let from_properties: Vec<String> = keyed
        .iter()
        .map(|(_, _, column)| column.field.name.clone())
        .collect();
    match rule {
        Some((path, columns, severity)) => {
            if !from_properties.is_empty() && from_properties != columns {
                problems.invalid(
                    path,
                    format!(
                        "the key's columns ({}) are not the primary key's ({})",
                        columns.join(", "),
                        from_properties.join(", ")
                    ),
                );
            }
            Some(DedupKey { columns, severity })
        }
        None if from_properties.is_empty() => None,
        None => Some(DedupKey {
            columns: from_properties,
            severity: default,
        }),
    }
}

/// The partitioning: the custom property's when given (the `partitioned`
/// column must be its column), else by day of the one `partitioned` date
/// or time column.
fn partitioning(
    node: &Node,
    columns: &[Column],
    declared: Option<Partitioning>,
    problems: &mut Problems,
) -> Option<Partitioning> {
    let partitioned: Vec<&Column> = columns.iter().filter(|column| column.partitioned).collect();
    match (declared, partitioned.as_slice()) {
        (Some(declared), marked) => {
            let column = match &declared {
                Partitioning::Time { column, .. } | Partitioning::IntegerRange { column, .. } => {
                    Some(column.as_str())
                }
                Partitioning::IngestionTime { .. } => None,
            };
            let marked_names: Vec<&str> = marked.iter().map(|c| c.field.name.as_str()).collect();
            if marked_names != column.into_iter().collect::<Vec<_>>() {
                problems.invalid(
                    node.path_of("customProperties"),
                    "the partitioning does not partition by the `partitioned` property",
                );
            }
            Some(declared)
        }
        (None, []) => None,
        (None, [column]) => {
            use crate::LogicalType::{Date, DateTime, Timestamp};
            if matches!(column.field.logical_type, Date | DateTime | Timestamp) {
                Some(Partitioning::Time {
                    column: column.field.name.clone(),
                    granularity: TimeGranularity::Day,
                })
            } else {
                problems.unsupported(
                    format!("{}.partitioned", column.path),
                    "partitioning by a column that is not a date or time, without its ranges (customProperties `partitioning`)",
                );
                None
            }
        }
        (None, _) => {
            problems.unsupported(
                node.path_of("properties"),
                "partitioning by more than one column",
            );
            None
        }
    }
}

/// What a table's custom properties say.
struct TableCustoms {
    path: String,
    default_severity: Severity,
    partitioning: Option<Partitioning>,
    clustering: Vec<String>,
    drift: Option<DriftRule>,
    freshness_severity: Option<Severity>,
    reconciliations: Vec<ReconcileRule>,
}

impl TableCustoms {
    fn read(node: &mut Node, problems: &mut Problems) -> TableCustoms {
        let mut customs = TableCustoms {
            path: node.path_of("customProperties"),
            default_severity: Severity::Error,
            partitioning: None,
            clustering: Vec::new(),
            drift: None,
            freshness_severity: None,
            reconciliations: Vec::new(),
        };
        node.custom_properties(problems, |name, value, _| {
            let severity = |value: &Value| {
                value
                    .as_str()
                    .and_then(severity_named)
                    .ok_or_else(|| "expected `error` or `warning`".to_string())
            };
            let plain = |error: serde_json::Error| error.to_string();
            Some(match name {
                custom::REGEX_DIALECT if value.as_str() == Some("RE2") => Ok(()),
                custom::REGEX_DIALECT => {
                    Err(format!("the regex dialect {value} (patterns are RE2's)"))
                }
                custom::DEFAULT_SEVERITY => {
                    severity(&value).map(|level| customs.default_severity = level)
                }
                custom::FRESHNESS_SEVERITY => {
                    severity(&value).map(|level| customs.freshness_severity = Some(level))
                }
                custom::PARTITIONING => serde_json::from_value(value)
                    .map(|p| customs.partitioning = Some(p))
                    .map_err(plain),
                custom::CLUSTERING => serde_json::from_value(value)
                    .map(|c| customs.clustering = c)
                    .map_err(plain),
                custom::DRIFT => serde_json::from_value(value)
                    .map(|d| customs.drift = Some(d))
                    .map_err(plain),
                custom::RECONCILIATIONS => serde_json::from_value(value)
                    .map(|r| customs.reconciliations = r)
                    .map_err(plain),
                _ => return None,
            })
        });
        customs
    }
}

/// An SLA property: freshness, on the column `element` names.
fn service_level(path: &str, value: &Value, tables: &mut [Pending], problems: &mut Problems) {
    let Some(mut node) = Node::new(path, value, problems) else {
        return;
    };
    let property = node.string("property", problems).unwrap_or_default();
    if property != "freshness" {
        problems.unsupported(
            node.path_of("property"),
            format!("the service level `{property}` (freshness is checked)"),
        );
        node.take("value");
        node.take("unit");
        node.take("element");
        node.finish(problems);
        return;
    }
    let amount = node.integer("value", problems);
    let unit = node.string("unit", problems).unwrap_or_else(|| "s".into());
    let seconds_per_unit = match unit.as_str() {
        "s" | "sec" | "second" | "seconds" => Some(1),
        "m" | "min" | "minute" | "minutes" => Some(60),
        "h" | "hr" | "hour" | "hours" => Some(3600),
        "d" | "day" | "days" => Some(86_400),
        _ => None,
    };
    let element = node.string("element", problems).unwrap_or_default();
    let target = element
        .rsplit_once('.')
        .map(|(table, column)| (table.to_string(), column.to_string()));
    let pending = match (&target, tables.len()) {
        (Some((table, _)), _) => tables
            .iter_mut()
            .find(|p| p.table.contract.name == *table || p.table.name == *table),
        (None, 1) => tables.first_mut(),
        (None, _) => None,
    };
    let column = target
        .as_ref()
        .map(|(_, column)| column.clone())
        .unwrap_or(element.clone());
    match (amount, seconds_per_unit, pending) {
        (Some(amount), Some(per_unit), Some(pending))
            if amount >= 0 && (amount as u64).checked_mul(per_unit).is_some() =>
        {
            let contract = &mut pending.table.contract;
            if contract.freshness.is_some() {
                problems.invalid(node.path_of("property"), "a second freshness of one table");
            }
            if contract.field(&column).is_none() {
                problems.invalid(
                    node.path_of("element"),
                    format!("freshness of `{element}`, which is not a column"),
                );
            }
            let severity = pending
                .freshness_severity
                .unwrap_or(contract.default_severity);
            contract.freshness = Some(Freshness {
                column,
                max_age_seconds: amount as u64 * per_unit,
                severity,
            });
        }
        (_, None, _) => problems.unsupported(
            node.path_of("unit"),
            format!("the unit `{unit}` (s, m, h or d)"),
        ),
        (_, _, None) => problems.invalid(
            node.path_of("element"),
            format!("`{element}` names no table of the document"),
        ),
        _ => problems.invalid(
            node.path_of("value"),
            "freshness is a whole number of units, at least 0",
        ),
    }
    node.finish(problems);
}
