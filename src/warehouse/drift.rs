//! Schema drift: how a live table's columns differ from what its contract
//! says they are.

use serde::Serialize;

use crate::schema::TableFieldSchema;
use crate::sql::TableRef;

/// How a live table differs from its contract. Nested columns are named by
/// dotted paths (`record.field`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SchemaDrift {
    /// The table compared.
    pub table: String,
    /// Whether the table exists at all.
    pub table_exists: bool,
    /// Columns the contract has and the table lacks, with their types.
    pub missing: Vec<ColumnChange>,
    /// Columns the table has and the contract lacks, with their types.
    pub extra: Vec<ColumnChange>,
    /// Columns whose type differs.
    pub changed_type: Vec<ColumnChange>,
    /// Columns whose mode (REQUIRED, NULLABLE, REPEATED) differs.
    pub changed_mode: Vec<ColumnChange>,
}

/// One column's difference: what the contract expects and what the table has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnChange {
    /// The column's dotted path.
    pub column: String,
    /// What the contract expects (`INT64 REQUIRED`), if anything.
    pub expected: Option<String>,
    /// What the table has, if anything.
    pub actual: Option<String>,
    /// Whether the table accepts NULL where the contract requires a value
    /// (REQUIRED in the contract, NULLABLE in the table).
    pub allows_null: bool,
}

impl SchemaDrift {
    /// The drift of a table that does not exist: every column is missing.
    pub fn no_table(table: &TableRef, expected: &[TableFieldSchema]) -> Self {
        SchemaDrift {
            table: table.to_string(),
            table_exists: false,
            missing: expected
                .iter()
                .map(|column| change(&column.name, Some(column), None))
                .collect(),
            ..SchemaDrift::default()
        }
    }

    /// The drift between the columns a contract expects and a live table's.
    pub fn between(
        table: &TableRef,
        expected: &[TableFieldSchema],
        live: &[TableFieldSchema],
    ) -> Self {
        let mut drift = SchemaDrift {
            table: table.to_string(),
            table_exists: true,
            ..SchemaDrift::default()
        };
        compare(&mut drift, "", expected, live);
        drift
    }

    /// Whether the table matches its contract.
    pub fn is_empty(&self) -> bool {
        self.table_exists
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.changed_type.is_empty()
            && self.changed_mode.is_empty()
    }
}

fn compare(
    drift: &mut SchemaDrift,
    prefix: &str,
    expected: &[TableFieldSchema],
    live: &[TableFieldSchema],
) {
    for want in expected {
        let path = format!("{prefix}{}", want.name);
        let Some(have) = live
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&want.name))
        else {
            drift.missing.push(change(&path, Some(want), None));
            continue;
        };
        if type_of(have) != type_of(want) {
            drift
                .changed_type
                .push(change(&path, Some(want), Some(have)));
        } else if let (Some(want_fields), Some(have_fields)) = (&want.fields, &have.fields) {
            compare(drift, &format!("{path}."), want_fields, have_fields);
        }
        if mode_of(have) != mode_of(want) {
            drift
                .changed_mode
                .push(change(&path, Some(want), Some(have)));
        }
    }
    for have in live {
        if !expected
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(&have.name))
        {
            let path = format!("{prefix}{}", have.name);
            drift.extra.push(change(&path, None, Some(have)));
        }
    }
}

fn change(
    path: &str,
    want: Option<&TableFieldSchema>,
    have: Option<&TableFieldSchema>,
) -> ColumnChange {
    ColumnChange {
        column: path.to_string(),
        expected: want.map(describe),
        actual: have.map(describe),
        allows_null: matches!(
            (want.map(mode_of).as_deref(), have.map(mode_of).as_deref()),
            (Some("REQUIRED"), Some("NULLABLE"))
        ),
    }
}

/// `NUMERIC(10, 2) REQUIRED`, `RECORD REPEATED`, …
fn describe(column: &TableFieldSchema) -> String {
    format!("{} {}", type_of(column), mode_of(column))
}

/// The type with its parameters, under one spelling per type (the REST
/// API accepts `INT64` and `INTEGER` alike).
pub(crate) fn type_of(column: &TableFieldSchema) -> String {
    let name = match column.field_type.to_ascii_uppercase().as_str() {
        "INT64" | "INTEGER" => "INT64",
        "FLOAT64" | "FLOAT" => "FLOAT64",
        "BOOL" | "BOOLEAN" => "BOOL",
        "STRUCT" | "RECORD" => "RECORD",
        other => return with_parameters(other, column),
    };
    name.to_string()
}

fn with_parameters(name: &str, column: &TableFieldSchema) -> String {
    match (&column.precision, &column.scale) {
        (Some(precision), Some(scale)) => format!("{name}({precision}, {scale})"),
        (Some(precision), None) => format!("{name}({precision})"),
        _ => name.to_string(),
    }
}

fn mode_of(column: &TableFieldSchema) -> String {
    if column.mode.is_empty() {
        "NULLABLE".into()
    } else {
        column.mode.to_ascii_uppercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, field_type: &str, mode: &str) -> TableFieldSchema {
        TableFieldSchema::new(name, field_type, mode)
    }

    #[test]
    fn lists_missing_extra_and_changed_columns_at_every_depth() {
        let table = TableRef::new("staging", "t").unwrap();
        let mut record = column("r", "RECORD", "NULLABLE");
        record.fields = Some(vec![column("a", "INT64", "NULLABLE")]);
        let mut live_record = column("r", "STRUCT", "NULLABLE");
        live_record.fields = Some(vec![column("a", "STRING", "NULLABLE")]);
        let expected = vec![
            column("id", "INT64", "REQUIRED"),
            column("price", "FLOAT64", "NULLABLE"),
            column("gone", "STRING", "NULLABLE"),
            record,
        ];
        let live = vec![
            column("id", "INTEGER", "NULLABLE"),
            column("price", "FLOAT", ""),
            column("surprise", "BOOL", "NULLABLE"),
            live_record,
        ];
        let drift = SchemaDrift::between(&table, &expected, &live);
        assert_eq!(drift.missing[0].column, "gone");
        assert_eq!(drift.extra[0].column, "surprise");
        assert_eq!(drift.changed_mode[0].column, "id");
        assert_eq!(
            drift.changed_mode[0].actual.as_deref(),
            Some("INT64 NULLABLE")
        );
        assert!(drift.changed_mode[0].allows_null);
        assert!(!drift.missing[0].allows_null);
        assert_eq!(drift.changed_type.len(), 1);
        assert_eq!(drift.changed_type[0].column, "r.a");
        assert!(!drift.is_empty());
        assert!(
            SchemaDrift::between(&table, &expected[..2], &live[..2])
                .changed_type
                .is_empty()
        );
    }
}
