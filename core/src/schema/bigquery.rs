//! The BigQuery JSON schema: the REST API's `TableFieldSchema` list.

use serde::{Deserialize, Serialize};

use crate::{Contract, Field};

/// One column in BigQuery's REST representation. Keys serialize in
/// alphabetical order, as `bq show --schema --format=prettyjson` prints them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableFieldSchema {
    /// The column's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The sub-fields of a RECORD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<TableFieldSchema>>,
    /// `REQUIRED`, `NULLABLE` or `REPEATED` (the API omits NULLABLE at times).
    #[serde(default)]
    pub mode: String,
    /// The column name.
    pub name: String,
    /// Policy tags guarding the column.
    #[serde(
        default,
        rename = "policyTags",
        skip_serializing_if = "Option::is_none"
    )]
    pub policy_tags: Option<PolicyTags>,
    /// The declared precision of a NUMERIC or BIGNUMERIC (a string, as in the API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
    /// The declared scale of a NUMERIC or BIGNUMERIC (a string, as in the API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<String>,
    /// The legacy type name: `INTEGER`, `FLOAT`, `BOOLEAN`, `RECORD`, …
    #[serde(rename = "type")]
    pub field_type: String,
}

/// The policy tags of a column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyTags {
    /// Policy tag resource names.
    pub names: Vec<String>,
}

impl TableFieldSchema {
    /// A column with a name, a type (`INTEGER`, `TIMESTAMP`, …) and a mode,
    /// and nothing else.
    pub fn new(name: &str, field_type: &str, mode: &str) -> Self {
        TableFieldSchema {
            description: None,
            fields: None,
            mode: mode.to_string(),
            name: name.to_string(),
            policy_tags: None,
            precision: None,
            scale: None,
            field_type: field_type.to_string(),
        }
    }
}

impl Contract {
    /// The table's columns as BigQuery's REST API describes them.
    pub fn bigquery_schema(&self) -> Vec<TableFieldSchema> {
        self.fields.iter().map(table_field_schema).collect()
    }

    /// The BigQuery JSON schema, pretty-printed as `bq show --schema
    /// --format=prettyjson` does; `bq mk --schema FILE` accepts it.
    pub fn bigquery_schema_json(&self) -> String {
        serde_json::to_string_pretty(&self.bigquery_schema())
            .expect("a list of plain structs always serializes")
    }
}

fn table_field_schema(field: &Field) -> TableFieldSchema {
    let (precision, scale) = match &field.logical_type {
        crate::LogicalType::Numeric { precision, scale }
        | crate::LogicalType::BigNumeric { precision, scale } => (
            precision.map(|p| p.to_string()),
            precision.map(|_| scale.unwrap_or(0).to_string()),
        ),
        _ => (None, None),
    };
    let sub_fields = field.sub_fields();
    TableFieldSchema {
        description: field.description.clone(),
        fields: (!sub_fields.is_empty())
            .then(|| sub_fields.iter().map(table_field_schema).collect()),
        mode: field.mode.api_name().to_string(),
        name: field.name.clone(),
        policy_tags: (!field.policy_tags.is_empty()).then(|| PolicyTags {
            names: field.policy_tags.clone(),
        }),
        precision,
        scale,
        field_type: field.logical_type.api_name().to_string(),
    }
}
