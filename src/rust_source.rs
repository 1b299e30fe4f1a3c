//! The Rust source of contracts: structs with `#[derive(DataContract)]`
//! whose attributes give back the same [`Contract`]s, for
//! `contracts import` and `contracts suggest`.
//!
//! Every attribute is the one the README's "Attributes" tables list;
//! descriptions become doc comments where a doc comment keeps them exactly
//! (else `description = "…"`), and a check whose severity differs from the
//! table's goes inside `warn(…)` or `error(…)`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use heck::{ToSnakeCase, ToUpperCamelCase};

use datacontract_model::naming::rule_name;

use datacontract_model::rust_types::{RUST_TYPES, UNSUPPORTED_RUST_TYPES};

use crate::{
    Bound, Constraint, ConstraintKind, Contract, Expectation, Field, ForeignKey, Literal,
    LogicalType, Mode, Partitioning, ReconcileRule, Severity, Statistic,
};

/// Why a contract has no Rust source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{table}` cannot be written as a struct: {reason}")]
pub struct SourceError {
    /// The table.
    pub table: String,
    /// What no attribute can say.
    pub reason: String,
}

/// One struct to write: its Rust name and its contract.
pub struct Struct<'a> {
    /// The struct's name, in UpperCamelCase (made so if it is not).
    pub name: &'a str,
    /// The contract it derives.
    pub contract: &'a Contract,
}

/// A Rust file holding a struct per contract (and one per RECORD column),
/// headed by `header` as an inner doc comment.
pub fn render(header: &str, structs: &[Struct]) -> Result<String, SourceError> {
    let mut out = String::new();
    for line in header.lines() {
        let _ = writeln!(out, "//!{}{line}", if line.is_empty() { "" } else { " " });
    }
    out.push_str("\nuse datacontract::DataContract;\n");
    for item in structs {
        if let Some(literal) = non_finite(item.contract) {
            return Err(SourceError {
                table: item.contract.name.clone(),
                reason: format!("the bound {literal} is no finite number"),
            });
        }
    }
    let mut names = Names::default();
    for item in structs {
        let name = names.fresh(item.name);
        let table = TableAttributes::of(item.contract)?;
        let header = Header {
            name: &name,
            description: item.contract.description.as_deref(),
            attributes: table.render(),
        };
        write_struct(
            &mut out,
            header,
            &item.contract.fields,
            &item.contract.foreign_keys,
            item.contract.default_severity,
            &mut names,
        );
    }
    Ok(out)
}

/// A bound of the contract no literal can write: NaN or an infinity.
fn non_finite(contract: &Contract) -> Option<Literal> {
    let of_expectations = |expectations: &[Expectation]| -> Vec<Literal> {
        expectations
            .iter()
            .flat_map(|e| [e.min.clone(), e.max.clone()])
            .flatten()
            .collect()
    };
    let mut literals = of_expectations(&contract.expectations);
    for field in &contract.fields {
        literals.extend(of_expectations(&field.expectations));
        for constraint in &field.constraints {
            if let ConstraintKind::Range { min, max } = &constraint.kind {
                literals.extend([min, max].into_iter().flatten().map(|b| b.value.clone()));
            }
        }
    }
    literals
        .into_iter()
        .find(|literal| matches!(literal, Literal::Float(x) if !x.is_finite()))
}

/// The struct names written so far, and the RECORD structs by their
/// fields, so that a RECORD used by several columns is one struct.
#[derive(Default)]
struct Names {
    taken: BTreeSet<String>,
    records: Vec<(Vec<Field>, String)>,
}

impl Names {
    fn fresh(&mut self, wanted: &str) -> String {
        type_name(wanted, &mut self.taken)
    }
}

/// What goes above a struct's fields.
struct Header<'a> {
    name: &'a str,
    description: Option<&'a str>,
    attributes: Vec<String>,
}

/// Writes the struct and, before it, one per RECORD it holds that is not
/// written yet.
fn write_struct(
    out: &mut String,
    header: Header,
    fields: &[Field],
    foreign_keys: &[ForeignKey],
    default: Severity,
    names: &mut Names,
) {
    let name = header.name;
    let mut body = String::new();
    let mut idents = BTreeSet::new();
    for field in fields {
        let rust_type = match &field.logical_type {
            LogicalType::Record { fields: sub_fields } => {
                match names.records.iter().find(|(known, _)| known == sub_fields) {
                    Some((_, record)) => record.clone(),
                    None => {
                        let record = names.fresh(&format!("{name}_{}", field.name));
                        names.records.push((sub_fields.clone(), record.clone()));
                        let header = Header {
                            name: &record,
                            description: None,
                            attributes: Vec::new(),
                        };
                        write_struct(out, header, sub_fields, &[], Severity::Error, names);
                        record
                    }
                }
            }
            scalar => scalar_type(scalar).to_string(),
        };
        let rust_type = match (field.mode, field.null_array_allowed) {
            (Mode::Required, _) => rust_type,
            (Mode::Nullable, _) => format!("Option<{rust_type}>"),
            (Mode::Repeated, false) => format!("Vec<{rust_type}>"),
            (Mode::Repeated, true) => format!("Option<Vec<{rust_type}>>"),
        };
        let ident = field_ident(&field.name, &mut idents);
        let mut attributes = Vec::new();
        if ident.trim_start_matches("r#") != field.name {
            attributes.push(format!("rename = {}", string(&field.name)));
        }
        doc_or_description(
            &mut body,
            "    ",
            field.description.as_deref(),
            &mut attributes,
        );
        attributes.extend(column_attributes(field, default));
        if let Some(key) = foreign_keys
            .iter()
            .find(|key| key.columns == [field.name.as_str()])
        {
            let reference = format!("references = {}", string(&key.target()));
            attributes.push(if key.severity == default {
                reference
            } else {
                format!("{}({reference})", key.severity.name())
            });
        }
        contract_attribute(&mut body, "    ", &attributes);
        let _ = writeln!(body, "    pub {ident}: {rust_type},");
    }
    out.push('\n');
    let mut attributes = header.attributes;
    doc_or_description(out, "", header.description, &mut attributes);
    out.push_str("#[derive(DataContract)]\n");
    contract_attribute(out, "", &attributes);
    let _ = writeln!(out, "pub struct {name} {{\n{body}}}");
}

/// `#[contract(…)]` on one line, or one item a line when the items are
/// longer than rustfmt keeps on one (its `attr_fn_like_width`, 70).
fn contract_attribute(out: &mut String, indent: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let arguments = items.join(", ");
    if arguments.len() <= 70 {
        let _ = writeln!(out, "{indent}#[contract({arguments})]");
    } else {
        let _ = writeln!(
            out,
            "{indent}#[contract(\n{indent}    {}\n{indent})]",
            items.join(&format!(",\n{indent}    "))
        );
    }
}

/// A doc comment when it keeps `text` exactly, else a `description`.
fn doc_or_description(
    out: &mut String,
    indent: &str,
    text: Option<&str>,
    attributes: &mut Vec<String>,
) {
    let Some(text) = text else { return };
    let exact = text == text.trim()
        && !text.contains('\r')
        && text.lines().all(|line| line == line.trim_end());
    if exact {
        for line in text.split('\n') {
            let _ = writeln!(
                out,
                "{indent}///{}{line}",
                if line.is_empty() { "" } else { " " }
            );
        }
    } else {
        attributes.insert(0, format!("description = {}", string(text)));
    }
}

/// The struct-level attributes, grouped by severity.
struct TableAttributes {
    plain: Vec<String>,
    grouped: Vec<(Severity, Vec<String>)>,
}

impl TableAttributes {
    fn of(contract: &Contract) -> Result<TableAttributes, SourceError> {
        let default = contract.default_severity;
        let mut table = TableAttributes {
            plain: vec![
                format!("name = {}", string(&contract.name)),
                format!("version = {}", string(&contract.version)),
            ],
            grouped: Vec::new(),
        };
        if default != Severity::Error {
            table
                .plain
                .push(format!("severity = {}", string(default.name())));
        }
        if let Some(partitioning) = &contract.partitioning {
            table
                .plain
                .push(format!("partition_by({})", partition(partitioning)));
        }
        if !contract.clustering.is_empty() {
            table
                .plain
                .push(format!("cluster_by({})", column_list(&contract.clustering)));
        }
        if let Some(key) = &contract.dedup_key {
            table.add(
                default,
                key.severity,
                format!("dedup_key({})", column_list(&key.columns)),
            );
        }
        for expectation in &contract.expectations {
            if expectation.statistic != Statistic::RowCount {
                return Err(SourceError {
                    table: contract.name.clone(),
                    reason: "a table-level expectation other than the row count".into(),
                });
            }
            table.add(
                default,
                expectation.severity,
                format!("row_count({})", bounds(expectation)),
            );
        }
        if let Some(freshness) = &contract.freshness {
            let age = age(freshness.max_age_seconds);
            table.add(
                default,
                freshness.severity,
                format!(
                    "freshness({}, max_age = {})",
                    column_ref(&freshness.column),
                    string(&age)
                ),
            );
        }
        if let Some(drift) = &contract.drift {
            let mut parts = Vec::new();
            for (name, value) in [
                ("psi", drift.max_psi),
                ("ks", drift.max_ks),
                ("category_share", drift.max_share_change),
            ] {
                if let Some(value) = value {
                    parts.push(format!("{name} = {}", float(value)));
                }
            }
            if !drift.columns.is_empty() {
                parts.push(format!("columns({})", column_list(&drift.columns)));
            }
            table.add(
                default,
                drift.severity,
                format!("drift({})", parts.join(", ")),
            );
        }
        for key in contract
            .foreign_keys
            .iter()
            .filter(|key| key.columns.len() > 1)
        {
            table.add(
                default,
                key.severity,
                format!(
                    "foreign_key(columns({}), references = {})",
                    column_list(&key.columns),
                    string(&key.target())
                ),
            );
        }
        for rule in &contract.reconciliations {
            let measured = match &rule.column {
                Some(column) => format!("{}({})", rule.statistic.name(), column_ref(column)),
                None => rule.statistic.name(),
            };
            let mut parts = vec![measured, format!("against = {}", string(&rule.against()))];
            if rule.tolerance != 0.0 {
                parts.push(format!("tolerance = {}", float(rule.tolerance)));
            }
            let default_name =
                ReconcileRule::default_name(&rule.statistic.name(), rule.column.as_deref());
            if rule.name != default_name {
                parts.push(format!("name = {}", string(&rule.name)));
            }
            table.add(
                default,
                rule.severity,
                format!("reconcile({})", parts.join(", ")),
            );
        }
        for rule in &contract.rules {
            let attribute = if rule.name == rule_name(&rule.sql) {
                format!("rule({})", string(&rule.sql))
            } else {
                format!(
                    "rule(name = {}, sql = {})",
                    string(&rule.name),
                    string(&rule.sql)
                )
            };
            table.add(default, rule.severity, attribute);
        }
        Ok(table)
    }

    fn add(&mut self, default: Severity, severity: Severity, attribute: String) {
        if severity == default {
            self.plain.push(attribute);
        } else {
            match self
                .grouped
                .iter_mut()
                .find(|(level, _)| *level == severity)
            {
                Some((_, list)) => list.push(attribute),
                None => self.grouped.push((severity, vec![attribute])),
            }
        }
    }

    fn render(self) -> Vec<String> {
        let mut all = self.plain;
        for (severity, list) in self.grouped {
            all.push(format!("{}({})", severity.name(), list.join(", ")));
        }
        all
    }
}

/// A column's checks, expectations, tags and sensitivity, as attributes.
fn column_attributes(field: &Field, default: Severity) -> Vec<String> {
    let mut attributes = Vec::new();
    if let Some(override_type) = bigquery_type(&field.logical_type) {
        attributes.push(format!("bigquery_type = {}", string(&override_type)));
    }
    let mut grouped: Vec<(Severity, Vec<String>)> = Vec::new();
    for constraint in &field.constraints {
        let parts = check(constraint);
        if constraint.severity == default {
            attributes.extend(parts);
        } else {
            match grouped
                .iter_mut()
                .find(|(level, _)| *level == constraint.severity)
            {
                Some((_, list)) => list.extend(parts),
                None => grouped.push((constraint.severity, parts)),
            }
        }
    }
    for (severity, list) in grouped {
        attributes.push(format!("{}({})", severity.name(), list.join(", ")));
    }
    if !field.expectations.is_empty() {
        let list: Vec<String> = field
            .expectations
            .iter()
            .map(|e| expectation(e, default))
            .collect();
        attributes.push(format!("expect({})", list.join(", ")));
    }
    if !field.policy_tags.is_empty() {
        let tags: Vec<String> = field.policy_tags.iter().map(|tag| string(tag)).collect();
        attributes.push(format!("policy_tags({})", tags.join(", ")));
    }
    if let Some(sensitivity) = field.sensitivity {
        attributes.push(format!("sensitivity = {}", string(sensitivity.name())));
    }
    attributes
}

/// The attributes of one check (a range is up to two).
fn check(constraint: &Constraint) -> Vec<String> {
    match &constraint.kind {
        ConstraintKind::Range { min, max } => {
            let mut parts = Vec::new();
            for (bound, inclusive, exclusive) in
                [(min, "min", "min_exclusive"), (max, "max", "max_exclusive")]
            {
                if let Some(Bound {
                    value,
                    inclusive: is_inclusive,
                }) = bound
                {
                    let key = if *is_inclusive { inclusive } else { exclusive };
                    parts.push(format!("{key} = {}", literal(value)));
                }
            }
            parts
        }
        ConstraintKind::Length { min, max } => vec![match (min, max) {
            (Some(min), Some(max)) if min == max => format!("length(equal = {min})"),
            (Some(min), Some(max)) => format!("length(min = {min}, max = {max})"),
            (Some(min), None) => format!("length(min = {min})"),
            (None, Some(max)) => format!("length(max = {max})"),
            (None, None) => "length()".to_string(),
        }],
        ConstraintKind::Regex { pattern } => vec![format!("regex = {}", string(pattern))],
        ConstraintKind::OneOf { values } => {
            let values: Vec<String> = values.iter().map(literal).collect();
            vec![format!("one_of({})", values.join(", "))]
        }
        ConstraintKind::Unique => vec!["unique".into()],
        ConstraintKind::Email => vec!["email".into()],
        ConstraintKind::Url => vec!["url".into()],
    }
}

fn expectation(expectation: &Expectation, default: Severity) -> String {
    let name = match &expectation.statistic {
        Statistic::Quantile { .. } => "quantile".to_string(),
        other => other.name(),
    };
    let mut parts = Vec::new();
    if let Statistic::Quantile { q } = expectation.statistic {
        parts.push(format!("q = {}", float(q)));
    }
    parts.push(bounds(expectation));
    if expectation.approximate {
        parts.push("approximate = true".into());
    }
    if expectation.severity != default {
        parts.push(format!(
            "severity = {}",
            string(expectation.severity.name())
        ));
    }
    format!("{name}({})", parts.join(", "))
}

fn bounds(expectation: &Expectation) -> String {
    let mut parts = Vec::new();
    if let Some(min) = &expectation.min {
        parts.push(format!("min = {}", literal(min)));
    }
    if let Some(max) = &expectation.max {
        parts.push(format!("max = {}", literal(max)));
    }
    parts.join(", ")
}

fn partition(partitioning: &Partitioning) -> String {
    match partitioning {
        Partitioning::Time {
            column,
            granularity,
        } => {
            format!("{}({column})", granularity.name().to_ascii_lowercase())
        }
        Partitioning::IngestionTime { granularity } => {
            format!(
                "ingestion_time({})",
                granularity.name().to_ascii_lowercase()
            )
        }
        Partitioning::IntegerRange {
            column,
            start,
            end,
            interval,
        } => {
            format!("range({column}, start = {start}, end = {end}, interval = {interval})")
        }
    }
}

/// An age in the largest unit that divides it.
fn age(seconds: u64) -> String {
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if seconds > 0 && seconds.is_multiple_of(size) {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{seconds}s")
}

/// The Rust type of a scalar column.
fn scalar_type(logical: &LogicalType) -> &'static str {
    match logical {
        LogicalType::Bool => "bool",
        LogicalType::Int64 => "i64",
        LogicalType::Float64 => "f64",
        LogicalType::Numeric { .. } | LogicalType::BigNumeric { .. } => "rust_decimal::Decimal",
        LogicalType::String => "String",
        LogicalType::Bytes => "Vec<u8>",
        LogicalType::Date => "chrono::NaiveDate",
        LogicalType::Time => "chrono::NaiveTime",
        LogicalType::DateTime => "chrono::NaiveDateTime",
        LogicalType::Timestamp => "chrono::DateTime<chrono::Utc>",
        LogicalType::Json => "serde_json::Value",
        LogicalType::Record { .. } => unreachable!("a RECORD is a struct of its own"),
    }
}

/// The `bigquery_type` a decimal column needs beyond `Decimal`'s NUMERIC.
fn bigquery_type(logical: &LogicalType) -> Option<String> {
    match logical {
        LogicalType::Numeric {
            precision: None,
            scale: None,
        } => None,
        LogicalType::Numeric { precision, scale }
        | LogicalType::BigNumeric { precision, scale } => {
            let name = logical.sql_name();
            Some(match (precision, scale) {
                (Some(p), Some(s)) => format!("{name}({p}, {s})"),
                (Some(p), None) => format!("{name}({p})"),
                _ => name.to_string(),
            })
        }
        _ => None,
    }
}

/// A literal as Rust source.
fn literal(value: &Literal) -> String {
    match value {
        Literal::Bool(flag) => flag.to_string(),
        Literal::Int(whole) => whole.to_string(),
        Literal::Float(number) => float(*number),
        Literal::String(text) => string(text),
    }
}

/// A float literal that reads back as the same `f64` (and as a float).
fn float(number: f64) -> String {
    let text = format!("{number:?}");
    if text.contains(['.', 'e', 'E']) {
        text
    } else {
        format!("{text}.0")
    }
}

/// A Rust string literal.
fn string(text: &str) -> String {
    format!("{text:?}")
}

/// A struct name in UpperCamelCase, not a type the derive reads as a
/// scalar, and not taken yet.
fn type_name(wanted: &str, taken: &mut BTreeSet<String>) -> String {
    let mut name = wanted.to_upper_camel_case();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name = format!("Table{name}");
    }
    let clashes = |name: &str| {
        RUST_TYPES.iter().any(|(rust, _)| *rust == name)
            || UNSUPPORTED_RUST_TYPES.contains(&name)
            || matches!(name, "Option" | "Vec" | "Self" | "DataContract")
    };
    if clashes(&name) {
        name.push_str("Record");
    }
    let base = name.clone();
    let mut suffix = 2;
    while !taken.insert(name.clone()) {
        name = format!("{base}{suffix}");
        suffix += 1;
    }
    name
}

/// A field name: the column's in snake_case (raw when a keyword), unique
/// in its struct.
fn field_ident(column: &str, taken: &mut BTreeSet<String>) -> String {
    let mut ident = column.to_snake_case();
    if ident.is_empty() || ident.starts_with(|c: char| c.is_ascii_digit()) {
        ident = format!("_{ident}");
    }
    let base = ident.clone();
    let mut suffix = 2;
    while !taken.insert(ident.clone()) {
        ident = format!("{base}_{suffix}");
        suffix += 1;
    }
    if matches!(ident.as_str(), "self" | "super" | "crate" | "_") {
        ident.push('_');
        taken.insert(ident.clone());
    }
    if KEYWORDS.contains(&ident.as_str()) {
        format!("r#{ident}")
    } else {
        ident
    }
}

/// A column named in an attribute (a key, clustering, freshness): its
/// stored name, raw where it is a keyword (`r#type`), which the derive
/// reads back as the stored name.
fn column_ref(column: &str) -> String {
    if KEYWORDS.contains(&column) {
        format!("r#{column}")
    } else {
        column.to_string()
    }
}

/// Columns named in an attribute, comma-separated.
fn column_list(columns: &[String]) -> String {
    let refs: Vec<String> = columns.iter().map(|column| column_ref(column)).collect();
    refs.join(", ")
}

/// Rust's keywords, strict and reserved, that a raw identifier may be.
const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static",
    "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn",
    "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized",
    "virtual", "yield", "try", "gen",
];
