//! A contract as an ODCS v3.1.0 document.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::servers::FileServer;
use super::vocabulary::{custom, severity};

use crate::check::sql_expr::quantile_bucket;
use crate::schema::scalar_type;

use crate::{
    Bound, Constraint, ConstraintKind, Contract, Expectation, Field, ForeignKey, Literal,
    LogicalType, Mode, Partitioning, Severity, Statistic,
};

/// The ODCS version the documents follow.
pub const API_VERSION: &str = "v3.1.0";

/// Where the contract's table lives, for the document's `servers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Servers {
    /// The BigQuery project, when the table is (also) in BigQuery.
    pub bigquery_project: Option<String>,
    /// The dataset (a schema in DuckDB) holding the table.
    pub dataset: String,
    /// The DuckDB database file.
    pub duckdb_path: String,
    /// Files holding the table, and how they are read.
    pub files: Option<FileServer>,
}

impl Default for Servers {
    /// The local setup's production dataset and database.
    fn default() -> Self {
        Servers {
            bigquery_project: None,
            dataset: "production".into(),
            duckdb_path: "data/warehouse.duckdb".into(),
            files: None,
        }
    }
}

/// The ODCS document of `contract`, its table in `servers`.
pub fn export(contract: &Contract, servers: &Servers) -> Value {
    let mut document = Map::new();
    document.insert("apiVersion".into(), json!(API_VERSION));
    document.insert("kind".into(), json!("DataContract"));
    document.insert(
        "id".into(),
        json!(format!("urn:datacontract:{}", contract.name)),
    );
    document.insert("name".into(), json!(contract.name));
    document.insert("version".into(), json!(contract.version));
    document.insert("status".into(), json!("active"));
    if let Some(description) = &contract.description {
        document.insert("description".into(), json!({ "purpose": description }));
    }
    document.insert("servers".into(), Value::Array(server_list(servers)));
    document.insert("schema".into(), json!([schema_object(contract)]));
    if let Some(freshness) = &contract.freshness {
        document.insert(
            "slaProperties".into(),
            json!([{
                "property": "freshness",
                "value": freshness.max_age_seconds,
                "unit": "s",
                "element": format!("{}.{}", contract.name, freshness.column),
            }]),
        );
    }
    Value::Object(document)
}

fn server_list(servers: &Servers) -> Vec<Value> {
    let mut list = Vec::new();
    if let Some(project) = &servers.bigquery_project {
        list.push(json!({
            "server": "bigquery",
            "type": "bigquery",
            "project": project,
            "dataset": servers.dataset,
        }));
    }
    list.push(json!({
        "server": "duckdb",
        "type": "duckdb",
        "database": servers.duckdb_path,
        "schema": servers.dataset,
    }));
    list.extend(servers.files.as_ref().map(FileServer::to_json));
    list
}

fn schema_object(contract: &Contract) -> Value {
    let mut object = Map::new();
    object.insert("name".into(), json!(contract.name));
    object.insert("physicalName".into(), json!(contract.name));
    object.insert("physicalType".into(), json!("table"));
    object.insert("logicalType".into(), json!("object"));
    if let Some(description) = &contract.description {
        object.insert("description".into(), json!(description));
    }
    let properties: Vec<Value> = contract
        .fields
        .iter()
        .map(|field| property(field, Some(contract), contract.default_severity))
        .collect();
    object.insert("properties".into(), Value::Array(properties));
    let quality = table_quality(contract);
    if !quality.is_empty() {
        object.insert("quality".into(), Value::Array(quality));
    }
    let composite: Vec<Value> = contract
        .foreign_keys
        .iter()
        .filter(|key| key.columns.len() > 1)
        .map(|key| relationship(key, Some(&contract.name), contract.default_severity))
        .collect();
    if !composite.is_empty() {
        object.insert("relationships".into(), Value::Array(composite));
    }
    object.insert(
        "customProperties".into(),
        Value::Array(contract_custom_properties(contract)),
    );
    Value::Object(object)
}

/// The property of `field`; `table` is given for a top-level column (its
/// key and partition positions), not for a RECORD's sub-field. A check's
/// severity is written where it differs from `default`, the contract's.
fn property(field: &Field, table: Option<&Contract>, default: Severity) -> Value {
    let mut property = Map::new();
    property.insert("name".into(), json!(field.name));
    property.insert("physicalName".into(), json!(field.name));
    if let Some(description) = &field.description {
        property.insert("description".into(), json!(description));
    }
    // An array's length is the array's; every other check is its
    // elements'.
    let element_checks: Vec<Constraint> = field
        .constraints
        .iter()
        .filter(|c| {
            field.mode != Mode::Repeated || !matches!(c.kind, ConstraintKind::Length { .. })
        })
        .cloned()
        .collect();
    let element = element(&field.logical_type, &element_checks, default);
    if field.mode == Mode::Repeated {
        property.insert("logicalType".into(), json!("array"));
        property.insert(
            "physicalType".into(),
            json!(format!("ARRAY<{}>", physical_type(&field.logical_type))),
        );
        let mut items = element;
        items.insert("name".into(), json!(format!("{}_item", field.name)));
        property.insert("items".into(), Value::Object(items));
        let lengths = length_options(&field.constraints, "minItems", "maxItems");
        if !lengths.is_empty() {
            property.insert("logicalTypeOptions".into(), Value::Object(lengths));
        }
    } else {
        property.extend(element);
    }
    // An array is never NULL in BigQuery; only `Option<Vec<T>>` rows may
    // spell one as `null`.
    let required = match field.mode {
        Mode::Required => true,
        Mode::Nullable => false,
        Mode::Repeated => !field.null_array_allowed,
    };
    property.insert("required".into(), json!(required));
    if field
        .constraints
        .iter()
        .any(|c| matches!(c.kind, ConstraintKind::Unique))
    {
        property.insert("unique".into(), json!(true));
    }
    if let Some(table) = table {
        if let Some(position) = table
            .dedup_key
            .as_ref()
            .and_then(|key| key.columns.iter().position(|c| *c == field.name))
        {
            property.insert("primaryKey".into(), json!(true));
            property.insert("primaryKeyPosition".into(), json!(position + 1));
        }
        if partition_column(table) == Some(field.name.as_str()) {
            property.insert("partitioned".into(), json!(true));
            property.insert("partitionKeyPosition".into(), json!(1));
        }
    }
    if let Some(sensitivity) = field.sensitivity {
        property.insert("classification".into(), json!(sensitivity.name()));
    }
    let quality = column_quality(field);
    if !quality.is_empty() {
        property.insert("quality".into(), Value::Array(quality));
    }
    if let Some(table) = table {
        let keys: Vec<Value> = table
            .foreign_keys
            .iter()
            .filter(|key| key.columns == [field.name.as_str()])
            .map(|key| relationship(key, None, default))
            .collect();
        if !keys.is_empty() {
            property.insert("relationships".into(), Value::Array(keys));
        }
    }
    let mut custom = Vec::new();
    if !field.policy_tags.is_empty() {
        custom.push(custom::property(
            custom::POLICY_TAGS,
            json!(field.policy_tags),
        ));
    }
    custom.extend(check_severities(&field.constraints, default));
    if !custom.is_empty() {
        property.insert("customProperties".into(), Value::Array(custom));
    }
    Value::Object(property)
}

/// A foreign key as an ODCS relationship, in shorthand (`table.column`):
/// on its property (`from` implied) for one column, on the table (`from`
/// naming `table`'s columns) for several. Its severity is a custom
/// property where it differs from `default`.
fn relationship(key: &ForeignKey, table: Option<&str>, default: Severity) -> Value {
    let mut relationship = Map::new();
    relationship.insert("type".into(), json!("foreignKey"));
    let shorthand = |table: &str, columns: &[String]| -> Value {
        let named: Vec<String> = columns.iter().map(|c| format!("{table}.{c}")).collect();
        match named.as_slice() {
            [single] => json!(single),
            _ => json!(named),
        }
    };
    if let Some(table) = table {
        relationship.insert("from".into(), shorthand(table, &key.columns));
    }
    relationship.insert("to".into(), shorthand(&key.table, &key.referenced));
    if key.severity != default {
        relationship.insert(
            "customProperties".into(),
            json!([custom::property(
                custom::SEVERITY,
                json!(severity(key.severity))
            )]),
        );
    }
    Value::Object(relationship)
}

/// The logical type, physical type and options of one value of `logical`
/// (a column's, or an array's element).
fn element(
    logical: &LogicalType,
    constraints: &[Constraint],
    default: Severity,
) -> Map<String, Value> {
    let mut element = Map::new();
    let odcs_type = logical_type_name(logical);
    let mut options = Map::new();
    match logical {
        LogicalType::Int64 => {
            options.insert("format".into(), json!("i64"));
        }
        LogicalType::Float64 => {
            options.insert("format".into(), json!("f64"));
        }
        LogicalType::Bytes => {
            options.insert("format".into(), json!("binary"));
        }
        LogicalType::DateTime | LogicalType::Timestamp => {
            let timezone = *logical == LogicalType::Timestamp;
            options.insert("timezone".into(), json!(timezone));
        }
        _ => {}
    }
    element.insert("logicalType".into(), json!(odcs_type));
    element.insert("physicalType".into(), json!(physical_type(logical)));
    if let LogicalType::Record { fields } = logical {
        let properties: Vec<Value> = fields
            .iter()
            .map(|field| property(field, None, default))
            .collect();
        element.insert("properties".into(), Value::Array(properties));
    }
    for constraint in constraints {
        match &constraint.kind {
            ConstraintKind::Range { min, max } => {
                let temporal = matches!(odcs_type, "date" | "time" | "timestamp");
                for (bound, inclusive_name, exclusive_name) in [
                    (min, "minimum", "exclusiveMinimum"),
                    (max, "maximum", "exclusiveMaximum"),
                ] {
                    if let Some(Bound { value, inclusive }) = bound {
                        let name = if *inclusive {
                            inclusive_name
                        } else {
                            exclusive_name
                        };
                        options.insert(name.into(), literal(value, temporal));
                    }
                }
            }
            ConstraintKind::Length { .. } if odcs_type == "string" => {
                options.extend(length_options(constraints, "minLength", "maxLength"));
            }
            ConstraintKind::Regex { pattern } => {
                options.insert("pattern".into(), json!(pattern));
            }
            ConstraintKind::Email => {
                options.insert("format".into(), json!("email"));
            }
            ConstraintKind::Url => {
                options.insert("format".into(), json!("uri"));
            }
            _ => {}
        }
    }
    if !options.is_empty() {
        element.insert("logicalTypeOptions".into(), Value::Object(options));
    }
    element
}

/// ODCS's logical type of a column type.
pub(super) fn logical_type_name(logical: &LogicalType) -> &'static str {
    match logical {
        LogicalType::Bool => "boolean",
        LogicalType::Int64 => "integer",
        LogicalType::Float64 | LogicalType::Numeric { .. } | LogicalType::BigNumeric { .. } => {
            "number"
        }
        LogicalType::String | LogicalType::Json | LogicalType::Bytes => "string",
        LogicalType::Date => "date",
        LogicalType::Time => "time",
        LogicalType::DateTime | LogicalType::Timestamp => "timestamp",
        LogicalType::Record { .. } => "object",
    }
}

/// The BigQuery type as the physical one, its parameters as declared
/// (`NUMERIC(10)` stays so).
fn physical_type(logical: &LogicalType) -> String {
    match logical {
        LogicalType::Numeric {
            precision: Some(p),
            scale: None,
        }
        | LogicalType::BigNumeric {
            precision: Some(p),
            scale: None,
        } => format!("{}({p})", logical.sql_name()),
        other => scalar_type(other),
    }
}

/// A length constraint's bounds under the given option names.
fn length_options(
    constraints: &[Constraint],
    min_name: &str,
    max_name: &str,
) -> Map<String, Value> {
    let mut options = Map::new();
    for constraint in constraints {
        if let ConstraintKind::Length { min, max } = &constraint.kind {
            if let Some(min) = min {
                options.insert(min_name.into(), json!(min));
            }
            if let Some(max) = max {
                options.insert(max_name.into(), json!(max));
            }
        }
    }
    options
}

/// A bound as ODCS writes it: a number, or (for dates and times) text.
fn literal(value: &Literal, temporal: bool) -> Value {
    match (value, temporal) {
        (Literal::String(text), _) => json!(text),
        (other, true) => json!(other.to_string()),
        (Literal::Int(n), false) => json!(n),
        (Literal::Float(x), false) => json!(x),
        (Literal::Bool(b), false) => json!(b),
    }
}

/// The column's checks that ODCS has quality metrics for.
fn column_quality(field: &Field) -> Vec<Value> {
    let mut quality = Vec::new();
    if field.mode == Mode::Required {
        quality.push(json!({
            "type": "library",
            "metric": "nullValues",
            "mustBe": 0,
            "severity": "error",
        }));
    }
    for constraint in &field.constraints {
        match &constraint.kind {
            ConstraintKind::OneOf { values } => quality.push(json!({
                "type": "library",
                "metric": "invalidValues",
                "arguments": { "validValues": values.iter().map(|v| literal(v, false)).collect::<Vec<_>>() },
                "mustBe": 0,
                "severity": severity(constraint.severity),
            })),
            ConstraintKind::Unique => quality.push(json!({
                "type": "library",
                "metric": "duplicateValues",
                "mustBe": 0,
                "severity": severity(constraint.severity),
            })),
            _ => {}
        }
    }
    for expectation in &field.expectations {
        quality.push(statistic_quality(expectation, Some(&field.name)));
    }
    quality
}

/// The table's checks: the dedup key, the row rules, the table-level
/// expectations.
fn table_quality(contract: &Contract) -> Vec<Value> {
    let mut quality = Vec::new();
    if let Some(key) = &contract.dedup_key {
        quality.push(json!({
            "name": "dedup_key",
            "type": "library",
            "metric": "duplicateValues",
            "arguments": { "properties": key.columns },
            "mustBe": 0,
            "severity": severity(key.severity),
        }));
    }
    for rule in &contract.rules {
        quality.push(json!({
            "name": rule.name,
            "type": "sql",
            "description": rule_description(&rule.sql),
            "query": rule_query(&rule.sql),
            "mustBe": 0,
            "severity": severity(rule.severity),
        }));
    }
    for expectation in &contract.expectations {
        quality.push(statistic_quality(expectation, None));
    }
    quality
}

/// The comparison of a rule bounded by `min` and `max`, both inclusive.
fn bounds(min: Option<&Literal>, max: Option<&Literal>) -> Map<String, Value> {
    let bound = |value: &Literal| literal(value, false);
    let mut operators = Map::new();
    match (min, max) {
        (Some(min), Some(max)) => {
            operators.insert("mustBeBetween".into(), json!([bound(min), bound(max)]));
        }
        (Some(min), None) => {
            operators.insert("mustBeGreaterOrEqualTo".into(), bound(min));
        }
        (None, Some(max)) => {
            operators.insert("mustBeLessOrEqualTo".into(), bound(max));
        }
        (None, None) => {}
    }
    operators
}

/// An expectation as a quality rule: the row count as the library's
/// `rowCount`, every other statistic as its SQL query; bounded.
fn statistic_quality(expectation: &Expectation, column: Option<&str>) -> Value {
    let mut rule = Map::new();
    match (&expectation.statistic, column) {
        (Statistic::RowCount, _) => {
            rule.insert("type".into(), json!("library"));
            rule.insert("metric".into(), json!("rowCount"));
        }
        (statistic, column) => {
            let query = statistic_query(statistic, column.unwrap_or("*"), expectation.approximate);
            rule.insert("type".into(), json!("sql"));
            rule.insert("query".into(), json!(query));
        }
    }
    rule.extend(bounds(expectation.min.as_ref(), expectation.max.as_ref()));
    rule.insert("severity".into(), json!(severity(expectation.severity)));
    Value::Object(rule)
}

/// The query of a statistic of `column` over the table; `approximate`
/// spells a quantile or a distinct count with BigQuery's approximate
/// aggregate.
pub(super) fn statistic_query(statistic: &Statistic, column: &str, approximate: bool) -> String {
    let aggregate = match statistic {
        Statistic::Quantile { q } if approximate => {
            let (buckets, offset) = quantile_bucket(*q);
            format!("APPROX_QUANTILES({column}, {buckets})[OFFSET({offset})]")
        }
        Statistic::DistinctCount if approximate => format!("APPROX_COUNT_DISTINCT({column})"),
        Statistic::RowCount => "COUNT(*)".to_string(),
        Statistic::Mean => format!("AVG({column})"),
        Statistic::Stddev => format!("STDDEV_SAMP({column})"),
        Statistic::Min => format!("MIN({column})"),
        Statistic::Max => format!("MAX({column})"),
        Statistic::Sum => format!("SUM({column})"),
        Statistic::Quantile { q } => format!("PERCENTILE_CONT({column}, {q}) OVER ()"),
        Statistic::NullFraction => format!("COUNTIF({column} IS NULL) / COUNT(*)"),
        Statistic::DistinctCount => format!("COUNT(DISTINCT {column})"),
    };
    format!("SELECT {aggregate} FROM ${{object}}")
}

/// How a row rule is described.
pub(super) fn rule_description(sql: &str) -> String {
    format!("rows where `{sql}` is FALSE")
}

/// The query of a row rule: the rows where it is FALSE.
pub(super) fn rule_query(sql: &str) -> String {
    format!("SELECT COUNT(*) FROM ${{object}} WHERE NOT ({sql})")
}

/// The column a time or range partitioning reads, if any.
fn partition_column(contract: &Contract) -> Option<&str> {
    match contract.partitioning.as_ref()? {
        Partitioning::Time { column, .. } | Partitioning::IntegerRange { column, .. } => {
            Some(column)
        }
        Partitioning::IngestionTime { .. } => None,
    }
}

/// How a column's check severities survive the document, when any differs
/// from `default`: `severities`, by check, when each kind of check occurs
/// once; otherwise (a range that warns beyond one bound and fails beyond
/// another) `checks`, the column's checks as the model writes them, which
/// the standard fields can only summarise.
fn check_severities(constraints: &[Constraint], default: Severity) -> Option<Value> {
    if constraints.iter().all(|c| c.severity == default) {
        return None;
    }
    let kinds: BTreeSet<&str> = constraints.iter().map(|c| c.kind.name()).collect();
    if kinds.len() < constraints.len() {
        return Some(custom::property(
            custom::CHECKS,
            serde_json::to_value(constraints).expect("plain data"),
        ));
    }
    let map: Map<String, Value> = constraints
        .iter()
        .map(|c| (c.kind.name().to_string(), json!(severity(c.severity))))
        .collect();
    Some(custom::property(custom::SEVERITIES, Value::Object(map)))
}

/// What the standard has no field for, kept so that an import restores it.
fn contract_custom_properties(contract: &Contract) -> Vec<Value> {
    let mut custom = vec![
        custom::property(custom::REGEX_DIALECT, json!("RE2")),
        custom::property(
            custom::DEFAULT_SEVERITY,
            json!(severity(contract.default_severity)),
        ),
    ];
    if let Some(partitioning) = &contract.partitioning {
        custom.push(custom::property(
            custom::PARTITIONING,
            serde_json::to_value(partitioning).expect("plain data"),
        ));
    }
    if !contract.clustering.is_empty() {
        custom.push(custom::property(
            custom::CLUSTERING,
            json!(contract.clustering),
        ));
    }
    if let Some(drift) = &contract.drift {
        custom.push(custom::property(
            custom::DRIFT,
            serde_json::to_value(drift).expect("plain data"),
        ));
    }
    if !contract.reconciliations.is_empty() {
        custom.push(custom::property(
            custom::RECONCILIATIONS,
            serde_json::to_value(&contract.reconciliations).expect("plain data"),
        ));
    }
    if let Some(freshness) = &contract.freshness {
        custom.push(custom::property(
            custom::FRESHNESS_SEVERITY,
            json!(severity(freshness.severity)),
        ));
    }
    custom
}
