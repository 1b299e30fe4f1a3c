//! Reads a `DeriveInput` into the [`Table`] model, attribute by attribute.

use heck::ToSnakeCase;
use syn::ext::IdentExt;
use syn::{Data, DataStruct, DeriveInput, Fields};

use crate::ast::{Column, Table};
use crate::attr::{Severity, Spanned};
use crate::ctxt::Ctxt;
use crate::{attr, foreign, ty};

/// The version of a contract that does not declare one.
const DEFAULT_VERSION: &str = "0.1.0";

/// The table the struct describes, or `None` when it is not a struct with
/// named fields (the error is recorded).
pub fn table(cx: &Ctxt, input: &DeriveInput) -> Option<Table> {
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            "DataContract does not support generic structs",
        );
    }
    let Data::Struct(DataStruct {
        fields: Fields::Named(named),
        ..
    }) = &input.data
    else {
        cx.error_spanned_by(
            &input.ident,
            "DataContract goes on a struct with named fields",
        );
        return None;
    };
    let table_attrs = attr::table_attrs(cx, &input.attrs);
    let rename_all = foreign::serde_rename_all(cx, &input.attrs).and_then(|rule| {
        if foreign::apply_rename_rule(&rule.value, "x").is_none() {
            cx.error_at(
                rule.span,
                format!("unknown serde rename_all rule `{}`", rule.value),
            );
            return None;
        }
        Some(rule.value)
    });
    let mut columns: Vec<Column> = named
        .named
        .iter()
        .filter_map(|field| column(cx, field, rename_all.as_deref()))
        .collect();
    let mut foreign_keys = Vec::new();
    for column in &mut columns {
        if let Some(mut reference) = column.attrs.references.take() {
            reference.columns = vec![column.ident.clone()];
            reference.severity = reference.severity.or(column.attrs.severity);
            foreign_keys.push(reference);
        }
    }
    foreign_keys.extend(table_attrs.foreign_keys);
    let ident = input.ident.clone();
    Some(Table {
        name: table_attrs.name.unwrap_or_else(|| Spanned {
            value: ident.unraw().to_string().to_snake_case(),
            span: ident.span(),
        }),
        version: table_attrs.version.unwrap_or_else(|| Spanned {
            value: DEFAULT_VERSION.to_string(),
            span: ident.span(),
        }),
        description: table_attrs
            .description
            .or_else(|| foreign::doc_comment(&input.attrs)),
        dedup_key: table_attrs.dedup_key,
        dedup_severity: table_attrs.dedup_severity,
        partition: table_attrs.partition,
        cluster_by: table_attrs.cluster_by,
        severity: table_attrs.severity.unwrap_or(Severity::Error),
        row_count: table_attrs.row_count,
        freshness: table_attrs.freshness,
        drift: table_attrs.drift,
        rules: table_attrs.rules,
        foreign_keys,
        reconciliations: table_attrs.reconciliations,
        columns,
        ident,
    })
}

/// One field as a column, or `None` when serde or the contract skips it.
fn column(cx: &Ctxt, field: &syn::Field, rename_all: Option<&str>) -> Option<Column> {
    let ident = field.ident.clone().expect("named fields have names");
    let serde = foreign::serde_field(cx, &field.attrs);
    let attrs = attr::column_attrs(cx, &field.attrs);
    if serde.skip || attrs.skip {
        return None;
    }
    for (key, span) in &serde.unmodelled {
        cx.error_at(*span, foreign::unmodelled(key));
    }
    let rust_name = ident.unraw().to_string();
    let name = attrs
        .rename
        .clone()
        .or(serde.rename)
        .unwrap_or_else(|| Spanned {
            value: rename_all
                .and_then(|rule| foreign::apply_rename_rule(rule, &rust_name))
                .unwrap_or(rust_name),
            span: ident.span(),
        });
    let column_type = ty::classify(&field.ty)
        .map_err(|error| cx.syn_error(error))
        .ok();
    let mut checks = foreign::validator_checks(cx, &field.attrs);
    let mut attrs = attrs;
    checks.append(&mut attrs.checks);
    attrs.checks = checks;
    Some(Column {
        ident,
        name,
        ty: field.ty.clone(),
        column_type,
        description: attrs
            .description
            .clone()
            .or_else(|| foreign::doc_comment(&field.attrs)),
        attrs,
    })
}
