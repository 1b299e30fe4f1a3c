//! The JSON Schema (draft 2020-12) of one row, as serde writes the struct.

use serde_json::{Map, Value, json};

use crate::{Bound, ConstraintKind, Contract, Field, Literal, LogicalType, Mode};

/// The dialect every generated schema declares.
const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

impl Contract {
    /// The JSON Schema of one row of this table, matching serde's
    /// representation of the struct: chrono types as ISO strings,
    /// `rust_decimal` as a decimal string, `Vec<u8>` as an array of bytes,
    /// `Option<T>` as `T` or `null`.
    ///
    /// Per-value checks that JSON Schema can express (bounds, lengths,
    /// patterns, allowed values, e-mail and URL formats) are included;
    /// checks across rows (uniqueness, row rules) are not.
    pub fn json_schema(&self) -> schemars::Schema {
        let mut root = object_schema(&self.fields);
        root.insert("$schema".into(), DRAFT.into());
        root.insert("title".into(), self.name.clone().into());
        if let Some(description) = &self.description {
            root.insert("description".into(), description.clone().into());
        }
        schemars::Schema::from(root)
    }
}

fn object_schema(fields: &[Field]) -> Map<String, Value> {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|field| (field.name.clone(), Value::Object(field_schema(field))))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|field| match field.mode {
            Mode::Required => true,
            Mode::Repeated => !field.null_array_allowed,
            Mode::Nullable => false,
        })
        .map(|field| field.name.as_str())
        .collect();
    let mut schema = Map::new();
    schema.insert("type".into(), "object".into());
    schema.insert("properties".into(), Value::Object(properties));
    schema.insert("required".into(), json!(required));
    schema.insert("additionalProperties".into(), false.into());
    schema
}

fn field_schema(field: &Field) -> Map<String, Value> {
    let mut value = value_schema(&field.logical_type);
    for constraint in &field.constraints {
        if !matches!(constraint.kind, ConstraintKind::Length { .. }) || field.mode != Mode::Repeated
        {
            add_constraint(&mut value, &constraint.kind, false);
        }
    }
    let mut schema = match field.mode {
        Mode::Required => value,
        Mode::Nullable => allow_null(value),
        Mode::Repeated => {
            let mut array = Map::new();
            array.insert("type".into(), "array".into());
            array.insert("items".into(), Value::Object(value));
            for constraint in &field.constraints {
                if let ConstraintKind::Length { .. } = constraint.kind {
                    add_constraint(&mut array, &constraint.kind, true);
                }
            }
            if field.null_array_allowed {
                allow_null(array)
            } else {
                array
            }
        }
    };
    if let Some(description) = &field.description {
        schema.insert("description".into(), description.clone().into());
    }
    schema
}

/// The schema of one non-null value of a type.
fn value_schema(logical_type: &LogicalType) -> Map<String, Value> {
    let schema = match logical_type {
        LogicalType::Bool => json!({"type": "boolean"}),
        LogicalType::Int64 => json!({"type": "integer"}),
        LogicalType::Float64 => json!({"type": "number"}),
        LogicalType::Numeric { .. } | LogicalType::BigNumeric { .. } => {
            json!({"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"})
        }
        LogicalType::String => json!({"type": "string"}),
        LogicalType::Bytes => {
            json!({"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}})
        }
        LogicalType::Date => json!({"type": "string", "format": "date"}),
        LogicalType::Time => {
            json!({"type": "string", "pattern": r"^\d{2}:\d{2}:\d{2}(\.\d{1,9})?$"})
        }
        LogicalType::DateTime => json!({
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?$"
        }),
        LogicalType::Timestamp => json!({"type": "string", "format": "date-time"}),
        LogicalType::Json => json!({}),
        LogicalType::Record { fields } => return object_schema(fields),
    };
    json_object(schema)
}

/// Adds what JSON Schema can say of a per-value check.
fn add_constraint(schema: &mut Map<String, Value>, kind: &ConstraintKind, on_array: bool) {
    match kind {
        ConstraintKind::Range { min, max } => {
            add_bound(schema, min.as_ref(), "minimum", "exclusiveMinimum");
            add_bound(schema, max.as_ref(), "maximum", "exclusiveMaximum");
        }
        ConstraintKind::Length { min, max } => {
            let (min_key, max_key) = if on_array {
                ("minItems", "maxItems")
            } else {
                ("minLength", "maxLength")
            };
            if let Some(min) = min {
                schema.insert(min_key.into(), (*min).into());
            }
            if let Some(max) = max {
                schema.insert(max_key.into(), (*max).into());
            }
        }
        ConstraintKind::Regex { pattern } => {
            schema.insert("pattern".into(), pattern.clone().into());
        }
        ConstraintKind::OneOf { values } => {
            schema.insert("enum".into(), values.iter().map(literal_value).collect());
        }
        ConstraintKind::Email => {
            schema.insert("format".into(), "email".into());
        }
        ConstraintKind::Url => {
            schema.insert("format".into(), "uri".into());
        }
        ConstraintKind::Unique => {}
    }
}

/// Numeric bounds only: a bound on a date or timestamp has no JSON Schema form.
fn add_bound(
    schema: &mut Map<String, Value>,
    bound: Option<&Bound>,
    inclusive: &str,
    exclusive: &str,
) {
    let Some(bound) = bound else { return };
    if matches!(bound.value, Literal::Int(_) | Literal::Float(_)) {
        let key = if bound.inclusive {
            inclusive
        } else {
            exclusive
        };
        schema.insert(key.into(), literal_value(&bound.value));
    }
}

fn literal_value(literal: &Literal) -> Value {
    match literal {
        Literal::Bool(value) => (*value).into(),
        Literal::Int(value) => (*value).into(),
        Literal::Float(value) => (*value).into(),
        Literal::String(value) => value.clone().into(),
    }
}

/// `T` or `null`.
fn allow_null(mut schema: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Array(values)) = schema.get_mut("enum") {
        values.push(Value::Null);
    }
    match schema.get("type").cloned() {
        Some(Value::String(kind)) => {
            schema.insert("type".into(), json!([kind, "null"]));
            schema
        }
        None => schema,
        Some(_) => json_object(json!({"anyOf": [schema, {"type": "null"}]})),
    }
}

fn json_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("called with object literals only"),
    }
}
