//! What the macro read from a struct: the table and its columns, each
//! with the attribute values written on it (`attr`) and the spans errors
//! point at. Built by `read`, checked by `check`, turned into code by
//! `expand`.

use syn::Ident;
use syn::ext::IdentExt;

use crate::attr::{
    ColumnAttrs, DriftSpec, Expect, FreshnessSpec, Partition, ReconcileSpec, Reference, Rule,
    Severity, Spanned,
};
use crate::ty::ColumnType;

/// The struct as a table.
pub struct Table {
    pub ident: Ident,
    pub name: Spanned<String>,
    pub version: Spanned<String>,
    pub description: Option<String>,
    pub dedup_key: Vec<Ident>,
    pub dedup_severity: Option<Severity>,
    pub partition: Option<Partition>,
    pub cluster_by: Vec<Ident>,
    pub severity: Severity,
    pub row_count: Option<Expect>,
    pub freshness: Option<FreshnessSpec>,
    pub drift: Option<DriftSpec>,
    pub rules: Vec<Rule>,
    /// Every foreign key: those written on fields first, in field order,
    /// then those written on the struct.
    pub foreign_keys: Vec<Reference>,
    pub reconciliations: Vec<ReconcileSpec>,
    pub columns: Vec<Column>,
}

impl Table {
    /// The column `ident` refers to: by stored column name first, then by
    /// Rust field name.
    pub fn column(&self, ident: &Ident) -> Option<&Column> {
        let wanted = ident.unraw().to_string();
        self.columns
            .iter()
            .find(|column| column.name.value == wanted)
            .or_else(|| {
                self.columns
                    .iter()
                    .find(|column| column.ident.unraw() == wanted)
            })
    }
}

/// One field of the struct as a column.
pub struct Column {
    pub ident: Ident,
    /// The stored name, after `rename`, serde's renaming, or the field's.
    pub name: Spanned<String>,
    pub ty: syn::Type,
    pub column_type: Option<ColumnType>,
    /// The description, or the doc comment.
    pub description: Option<String>,
    /// The column's own attributes, validator's checks included.
    pub attrs: ColumnAttrs,
}
