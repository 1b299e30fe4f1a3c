//! Contract types as DuckDB column types, and DuckDB's type names back in
//! BigQuery's terms (to compare a live table with its contract).
//!
//! | contract | DuckDB |
//! |---|---|
//! | BOOL, INT64, FLOAT64 | BOOLEAN, BIGINT, DOUBLE |
//! | NUMERIC(P, S) | DECIMAL(P, S), default DECIMAL(38, 9) |
//! | BIGNUMERIC | VARCHAR (DuckDB's decimals stop at 38 digits) |
//! | STRING, BYTES, JSON | VARCHAR, BLOB, JSON |
//! | DATE, TIME | DATE, TIME |
//! | DATETIME, TIMESTAMP | TIMESTAMP, TIMESTAMPTZ |
//! | RECORD | STRUCT(…) |
//! | REPEATED | `type[]` |
//!
//! REQUIRED becomes NOT NULL on top-level columns; DuckDB cannot constrain
//! a STRUCT's fields, so sub-fields are NULLABLE here.

use crate::schema::TableFieldSchema;
use crate::sql::Dialect;
use crate::{Field, LogicalType, Mode};

/// `"name" TYPE [NOT NULL]` for a top-level column.
pub fn column_definition(field: &Field) -> String {
    let not_null = if field.mode == Mode::Required {
        " NOT NULL"
    } else {
        ""
    };
    format!(
        "{} {}{not_null}",
        Dialect::DuckDb.quote(&field.name),
        column_type(field)
    )
}

/// The DuckDB type of a field, arrays included.
fn column_type(field: &Field) -> String {
    let scalar = match &field.logical_type {
        LogicalType::Bool => "BOOLEAN".to_string(),
        LogicalType::Int64 => "BIGINT".to_string(),
        LogicalType::Float64 => "DOUBLE".to_string(),
        numeric @ LogicalType::Numeric { .. } => {
            let (precision, scale) = numeric
                .decimal_precision_scale()
                .expect("NUMERIC has a precision and scale");
            format!("DECIMAL({precision}, {scale})")
        }
        LogicalType::BigNumeric { .. } | LogicalType::String => "VARCHAR".to_string(),
        LogicalType::Bytes => "BLOB".to_string(),
        LogicalType::Json => "JSON".to_string(),
        LogicalType::Date => "DATE".to_string(),
        LogicalType::Time => "TIME".to_string(),
        LogicalType::DateTime => "TIMESTAMP".to_string(),
        LogicalType::Timestamp => "TIMESTAMPTZ".to_string(),
        LogicalType::Record { fields } => {
            let members: Vec<String> = fields
                .iter()
                .map(|f| format!("{} {}", Dialect::DuckDb.quote(&f.name), column_type(f)))
                .collect();
            format!("STRUCT({})", members.join(", "))
        }
    };
    if field.mode == Mode::Repeated {
        format!("{scalar}[]")
    } else {
        scalar
    }
}

/// A contract column as DuckDB holds it: sub-fields NULLABLE, BIGNUMERIC
/// as STRING, NUMERIC with its precision spelled out, no descriptions.
pub fn expected_column(column: TableFieldSchema, top_level: bool) -> TableFieldSchema {
    let mut column = column;
    column.description = None;
    column.policy_tags = None;
    if !top_level && column.mode == "REQUIRED" {
        column.mode = "NULLABLE".into();
    }
    match column.field_type.as_str() {
        "BIGNUMERIC" => {
            column.field_type = "STRING".into();
            column.precision = None;
            column.scale = None;
        }
        "NUMERIC" if column.precision.is_none() => {
            column.precision = Some("38".into());
            column.scale = Some("9".into());
        }
        _ => {}
    }
    column.fields = column.fields.map(|fields| {
        fields
            .into_iter()
            .map(|field| expected_column(field, false))
            .collect()
    });
    column
}

/// A live column, from `information_schema.columns`, in BigQuery's terms.
/// Types this project never creates keep their DuckDB name, so a drift
/// report shows them as they are.
pub fn live_column(name: &str, data_type: &str, nullable: bool) -> TableFieldSchema {
    let mut column = parse_type(name, data_type.trim());
    if column.mode != "REPEATED" {
        column.mode = if nullable { "NULLABLE" } else { "REQUIRED" }.into();
    }
    column
}

fn parse_type(name: &str, data_type: &str) -> TableFieldSchema {
    let mut column = TableFieldSchema::new(name, "", "NULLABLE");
    if let Some(element) = data_type.strip_suffix("[]") {
        let mut element = parse_type(name, element);
        element.mode = "REPEATED".into();
        return element;
    }
    let upper = data_type.to_ascii_uppercase();
    if let Some(inner) = upper
        .strip_prefix("STRUCT(")
        .and_then(|_| data_type.get(7..data_type.len() - 1))
    {
        column.field_type = "RECORD".into();
        column.fields = Some(
            split_members(inner)
                .into_iter()
                .map(|member| {
                    let (member_name, member_type) = split_name(member);
                    parse_type(&member_name, member_type)
                })
                .collect(),
        );
        return column;
    }
    if let Some(parameters) = upper
        .strip_prefix("DECIMAL(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        let mut parts = parameters.split(',').map(str::trim);
        column.field_type = "NUMERIC".into();
        column.precision = parts.next().map(str::to_string);
        column.scale = parts.next().map(str::to_string);
        return column;
    }
    column.field_type = match upper.as_str() {
        "BOOLEAN" => "BOOL",
        "BIGINT" => "INT64",
        "DOUBLE" => "FLOAT64",
        "VARCHAR" => "STRING",
        "BLOB" => "BYTES",
        "JSON" => "JSON",
        "DATE" => "DATE",
        "TIME" => "TIME",
        "TIMESTAMP" => "DATETIME",
        "TIMESTAMP WITH TIME ZONE" | "TIMESTAMPTZ" => "TIMESTAMP",
        other => other,
    }
    .to_string();
    column
}

/// The members of a STRUCT's parentheses, split at top-level commas.
fn split_members(inner: &str) -> Vec<&str> {
    let mut members = Vec::new();
    let (mut depth, mut quoted, mut start) = (0usize, false, 0usize);
    for (index, c) in inner.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            ',' if !quoted && depth == 0 => {
                members.push(inner[start..index].trim());
                start = index + 1;
            }
            _ => {}
        }
    }
    let last = inner[start..].trim();
    if !last.is_empty() {
        members.push(last);
    }
    members
}

/// `"name" TYPE` or `name TYPE` into the unquoted name and the type.
fn split_name(member: &str) -> (String, &str) {
    if let Some(rest) = member.strip_prefix('"')
        && let Some(end) = rest.find('"')
    {
        return (rest[..end].replace("\"\"", "\""), rest[end + 1..].trim());
    }
    match member.split_once(' ') {
        Some((name, data_type)) => (name.to_string(), data_type.trim()),
        None => (member.to_string(), ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duckdb_type_names_read_back_in_bigquery_terms() {
        let column = live_column(
            "bar",
            "STRUCT(\"open\" DECIMAL(38,9), tags VARCHAR[], at TIMESTAMP WITH TIME ZONE)[]",
            true,
        );
        assert_eq!(column.mode, "REPEATED");
        assert_eq!(column.field_type, "RECORD");
        let fields = column.fields.unwrap();
        assert_eq!(fields[0].name, "open");
        assert_eq!(fields[0].field_type, "NUMERIC");
        assert_eq!(fields[0].precision.as_deref(), Some("38"));
        assert_eq!(fields[0].scale.as_deref(), Some("9"));
        assert_eq!(
            (fields[1].field_type.as_str(), fields[1].mode.as_str()),
            ("STRING", "REPEATED")
        );
        assert_eq!(fields[2].field_type, "TIMESTAMP");
        assert_eq!(live_column("n", "BIGINT", false).mode, "REQUIRED");
        assert_eq!(live_column("n", "HUGEINT", true).field_type, "HUGEINT");
    }
}
