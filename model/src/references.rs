//! Foreign keys: columns of one table whose values must name rows of
//! another, and the spelling of what they reference (`orders.order_id`,
//! `order_lines(order_id, line)`), shared by the derive, ODCS and the
//! command line.

use serde::{Deserialize, Serialize};

use crate::naming::{column_name_problem, table_name_problem};
use crate::{LogicalType, Severity};

/// Rows of this table name rows of `table`: every key in `columns` with no
/// NULL in it is found in `referenced` of some row of `table`. A key with a
/// NULL in any column is not checked (SQL's MATCH SIMPLE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// This table's columns, in key order.
    pub columns: Vec<String>,
    /// The referenced table: a contract's name.
    pub table: String,
    /// The referenced table's columns, one per column of `columns`.
    pub referenced: Vec<String>,
    /// What an orphaned key does to a run.
    pub severity: Severity,
}

impl ForeignKey {
    /// What it references, as written: `orders.order_id`, or
    /// `order_lines(order_id, line)` for a key of several columns.
    pub fn target(&self) -> String {
        match self.referenced.as_slice() {
            [single] => format!("{}.{single}", self.table),
            several => format!("{}({})", self.table, several.join(", ")),
        }
    }
}

/// Reads `table.column` or `table(column, column, …)`: the referenced
/// table and its columns, each a valid name. An error says what is wrong.
pub fn parse_target(text: &str) -> Result<(String, Vec<String>), String> {
    let text = text.trim();
    let (table, columns) = if let Some((table, rest)) = text.split_once('(') {
        let inside = rest.strip_suffix(')').ok_or_else(|| {
            format!("`{text}` opens a parenthesis it does not close: write `table(a, b)`")
        })?;
        let columns: Vec<String> = inside.split(',').map(|c| c.trim().to_string()).collect();
        (table.trim(), columns)
    } else if let Some((table, column)) = text.split_once('.') {
        (table.trim(), vec![column.trim().to_string()])
    } else {
        return Err(format!(
            "`{text}` names no column: write `table.column`, or `table(a, b)` for a key of several columns"
        ));
    };
    if let Some(problem) = table_name_problem(table) {
        return Err(format!("in `{text}`: {problem}"));
    }
    if let Some(problem) = columns.iter().find_map(|c| column_name_problem(c)) {
        return Err(format!("in `{text}`: {problem}"));
    }
    if let Some(repeated) = columns
        .iter()
        .enumerate()
        .find(|(at, column)| columns[..*at].contains(column))
    {
        return Err(format!("`{text}` names column `{}` twice", repeated.1));
    }
    Ok((table.to_string(), columns))
}

impl LogicalType {
    /// The type as keys compare it: the SQL name, with precision and scale
    /// for a decimal (`NUMERIC(38, 9)`). A key and the column it
    /// references must have the same.
    pub fn key_type(&self) -> String {
        match self.decimal_precision_scale() {
            Some((precision, scale)) => format!("{}({precision}, {scale})", self.sql_name()),
            None => self.sql_name().to_string(),
        }
    }

    /// Whether the type holds numbers (INT64, FLOAT64, NUMERIC,
    /// BIGNUMERIC): what a sum, mean, minimum or maximum is reconciled on.
    pub fn is_number(&self) -> bool {
        matches!(
            self,
            LogicalType::Int64
                | LogicalType::Float64
                | LogicalType::Numeric { .. }
                | LogicalType::BigNumeric { .. }
        )
    }

    /// Whether BigQuery clusters by a column of this type: BOOL, INT64,
    /// NUMERIC, BIGNUMERIC, STRING, DATE, DATETIME or TIMESTAMP.
    pub fn clusterable(&self) -> bool {
        matches!(
            self,
            LogicalType::Bool
                | LogicalType::Int64
                | LogicalType::Numeric { .. }
                | LogicalType::BigNumeric { .. }
                | LogicalType::String
                | LogicalType::Date
                | LogicalType::DateTime
                | LogicalType::Timestamp
        )
    }

    /// Whether a key can be of this type: a single scalar value, not a
    /// RECORD or JSON (as for a dedup key).
    pub fn can_be_key(&self) -> bool {
        !matches!(self, LogicalType::Record { .. } | LogicalType::Json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_back_as_written() {
        assert_eq!(
            parse_target("orders.order_id"),
            Ok(("orders".into(), vec!["order_id".into()]))
        );
        assert_eq!(
            parse_target(" order_lines( order_id , line ) "),
            Ok(("order_lines".into(), vec!["order_id".into(), "line".into()]))
        );
        let key = ForeignKey {
            columns: vec!["o".into(), "l".into()],
            table: "order_lines".into(),
            referenced: vec!["order_id".into(), "line".into()],
            severity: Severity::Error,
        };
        assert_eq!(
            parse_target(&key.target()).unwrap(),
            (key.table.clone(), key.referenced.clone())
        );
    }

    #[test]
    fn a_malformed_target_says_what_is_wrong() {
        let problem = |text: &str| parse_target(text).unwrap_err();
        assert!(problem("orders").contains("names no column"));
        assert!(problem("orders(a, b").contains("does not close"));
        assert!(problem("or-ders.id").contains("table name"));
        assert!(problem("orders.1d").contains("column name"));
        assert!(problem("orders()").contains("column name"));
        assert!(problem("orders(a, a)").contains("twice"));
    }

    #[test]
    fn decimals_compare_with_their_precision_and_scale() {
        let numeric = LogicalType::Numeric {
            precision: None,
            scale: None,
        };
        assert_eq!(numeric.key_type(), "NUMERIC(38, 9)");
        assert_eq!(LogicalType::Int64.key_type(), "INT64");
        assert!(!LogicalType::Json.can_be_key());
        assert!(LogicalType::String.can_be_key());
    }
}
