//! Queries written once, in GoogleSQL, for every engine we run them on.
//!
//! A transform or a reconciliation that runs in the warehouse is written
//! in BigQuery's dialect, the production one. [`translate`] checks that it
//! is one query and rewrites the few constructs DuckDB spells otherwise:
//!
//! | GoogleSQL | DuckDB |
//! |---|---|
//! | `` `name` `` | `"name"` |
//! | `TIMESTAMP_TRUNC(t, HOUR)` | `CAST(date_trunc('hour', CAST(t AS TIMESTAMP)) AS TIMESTAMPTZ)` |
//! | `EXTRACT(HOUR FROM t)` | `EXTRACT(HOUR FROM CAST(t AS TIMESTAMP))` |
//! | `CAST(x AS FLOAT64)`, `INT64`, `STRING`, `BOOL`, `NUMERIC`, `TIMESTAMP` | `DOUBLE`, `BIGINT`, `VARCHAR`, `BOOLEAN`, `DECIMAL(38, 9)`, `TIMESTAMPTZ` |
//! | `EXTRACT(DAYOFWEEK FROM t)` (1 = Sunday) | `EXTRACT(DOW FROM …) + 1` |
//! | `"text"` (a string) | `'text'` |
//! | `GREATEST`, `LEAST`, `CONCAT` (NULL when any argument is) | the same, NULL when any argument is ([`crate::check::rule::portable`]'s rewrite) |
//!
//! Time parts are taken in UTC on both engines: the DuckDB rewrites read a
//! `TIMESTAMPTZ` as its UTC wall time. Weeks are refused: BigQuery's start
//! on Sunday and DuckDB's are ISO weeks. DuckDB sorts NULLs as BigQuery
//! does (first ascending, last descending: [`crate::warehouse::DuckDbWarehouse`]
//! sets `default_null_order`). Anything else passes through as written; a
//! function only one engine knows fails there, with the engine's own
//! message. A query is one statement with no `;`.

use std::ops::ControlFlow;

use sqlparser::ast::{
    DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName, Statement,
    Value, visit_expressions_mut,
};
use sqlparser::dialect::{BigQueryDialect, GenericDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::Dialect;
use crate::check::rule::{null_if_any_null, null_skipping_arguments};

/// `sql`, one GoogleSQL query, as `dialect` runs it. An error says why it
/// is not one query that parses, or which construct cannot be rewritten.
pub fn translate(sql: &str, dialect: Dialect) -> Result<String, String> {
    let mut statements =
        Parser::parse_sql(&BigQueryDialect, sql).map_err(|e| format!("does not parse: {e}"))?;
    let mut statement = match (statements.pop(), statements.is_empty()) {
        (Some(statement @ Statement::Query(_)), true) => statement,
        _ => return Err("is not one query (a SELECT or a WITH … SELECT)".into()),
    };
    let semicolon = Tokenizer::new(&BigQueryDialect, sql)
        .tokenize()
        .map_err(|e| format!("does not parse: {e}"))?
        .contains(&Token::SemiColon);
    if semicolon {
        return Err("has a `;`: write the query without it".into());
    }
    match dialect {
        Dialect::BigQuery => Ok(sql.to_string()),
        Dialect::DuckDb => {
            let mut problem = None;
            let _ = visit_expressions_mut(&mut statement, |expr| match to_duckdb(expr) {
                Ok(()) => ControlFlow::Continue(()),
                Err(error) => {
                    problem = Some(error);
                    ControlFlow::Break(())
                }
            });
            match problem {
                Some(problem) => Err(problem),
                None => requote(&statement.to_string()),
            }
        }
    }
}

/// Rewrites one expression (its own node; its children were rewritten
/// before it) for DuckDB.
fn to_duckdb(expr: &mut Expr) -> Result<(), String> {
    let replacement = match expr {
        Expr::Cast { data_type, .. } => {
            if let Some(duckdb) = duckdb_type(data_type) {
                *data_type = DataType::Custom(ObjectName::from(vec![Ident::new(duckdb)]), vec![]);
            }
            None
        }
        Expr::Value(value) => {
            if let Value::DoubleQuotedString(text) = &value.value {
                value.value = Value::SingleQuotedString(text.clone());
            }
            None
        }
        Expr::Extract {
            field, expr: time, ..
        } => Some(extract(&field.to_string(), &time.to_string())?),
        Expr::Function(function) => match null_skipping_arguments(function) {
            Some(arguments) => Some(null_if_any_null(&arguments, &function.to_string())),
            None if function
                .name
                .to_string()
                .eq_ignore_ascii_case("TIMESTAMP_TRUNC") =>
            {
                Some(timestamp_trunc(function)?)
            }
            None => None,
        },
        _ => None,
    };
    if let Some(replacement) = replacement {
        *expr = parse_expr(&replacement)?;
    }
    Ok(())
}

/// `EXTRACT(part FROM time)` in DuckDB: on the UTC wall time, with
/// BigQuery's day numbers; weeks refused.
fn extract(part: &str, time: &str) -> Result<String, String> {
    let part = part.to_ascii_uppercase();
    if part.starts_with("WEEK") || part.starts_with("ISOWEEK") {
        return Err(format!(
            "`EXTRACT({part} …)` counts weeks differently in BigQuery (from Sunday) and DuckDB (ISO weeks)"
        ));
    }
    Ok(match part.as_str() {
        "DAYOFWEEK" => format!("(EXTRACT(DOW FROM CAST(({time}) AS TIMESTAMP)) + 1)"),
        _ => format!("EXTRACT({part} FROM CAST(({time}) AS TIMESTAMP))"),
    })
}

/// `TIMESTAMP_TRUNC(time, PART)` in DuckDB, for the parts both engines
/// mean the same by.
fn timestamp_trunc(function: &sqlparser::ast::Function) -> Result<String, String> {
    let call = function.to_string();
    let malformed = || format!("`{call}`: expected TIMESTAMP_TRUNC(timestamp, PART)");
    let FunctionArguments::List(list) = &function.args else {
        return Err(malformed());
    };
    let [
        FunctionArg::Unnamed(FunctionArgExpr::Expr(time)),
        FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(part))),
    ] = list.args.as_slice()
    else {
        return Err(malformed());
    };
    let part = part.value.to_ascii_lowercase();
    if !TRUNCATABLE.contains(&part.as_str()) {
        return Err(format!(
            "`{call}`: truncating to `{part}` is not the same in BigQuery and DuckDB; use one of {}",
            TRUNCATABLE.join(", ")
        ));
    }
    Ok(format!(
        "CAST(date_trunc('{part}', CAST(({time}) AS TIMESTAMP)) AS TIMESTAMPTZ)"
    ))
}

/// The parts `TIMESTAMP_TRUNC` means the same by on both engines.
const TRUNCATABLE: [&str; 9] = [
    "microsecond",
    "millisecond",
    "second",
    "minute",
    "hour",
    "day",
    "month",
    "quarter",
    "year",
];

/// DuckDB's name for a GoogleSQL type that DuckDB spells otherwise.
fn duckdb_type(data_type: &DataType) -> Option<&'static str> {
    Some(match data_type.to_string().to_ascii_uppercase().as_str() {
        "FLOAT64" => "DOUBLE",
        "INT64" => "BIGINT",
        "STRING" => "VARCHAR",
        "BOOL" => "BOOLEAN",
        "NUMERIC" => "DECIMAL(38, 9)",
        "TIMESTAMP" => "TIMESTAMPTZ",
        _ => return None,
    })
}

/// One expression, as the rewrites above spell it.
fn parse_expr(sql: &str) -> Result<Expr, String> {
    Parser::new(&BigQueryDialect)
        .try_with_sql(sql)
        .and_then(|mut parser| parser.parse_expr())
        .map_err(|e| format!("cannot rewrite `{sql}` for DuckDB: {e}"))
}

/// `sql` with every backquoted identifier double-quoted, and nothing else
/// changed (strings keep their escapes).
fn requote(sql: &str) -> Result<String, String> {
    let tokens = Tokenizer::new(&GenericDialect, sql)
        .with_unescape(false)
        .tokenize()
        .map_err(|e| format!("cannot requote for DuckDB: {e}"))?;
    Ok(tokens
        .iter()
        .map(|token| match token {
            Token::Word(word) if word.quote_style == Some('`') => format!("\"{}\"", word.value),
            other => other.to_string(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigquery_gets_the_query_as_written() {
        let sql = "SELECT TIMESTAMP_TRUNC(`t`, HOUR) AS h FROM input";
        assert_eq!(translate(sql, Dialect::BigQuery).unwrap(), sql);
    }

    #[test]
    fn duckdb_gets_its_own_spelling() {
        let sql = "WITH a AS (SELECT `interval`, CAST(x AS FLOAT64) AS x, CAST(n AS INT64) AS n, \
                   TIMESTAMP_TRUNC(t, HOUR) AS h, EXTRACT(HOUR FROM t) AS hour, 'it''s' AS s FROM input) \
                   SELECT * FROM a";
        let duckdb = translate(sql, Dialect::DuckDb).unwrap();
        assert_eq!(
            duckdb,
            "WITH a AS (SELECT \"interval\", CAST(x AS DOUBLE) AS x, CAST(n AS BIGINT) AS n, \
             CAST(date_trunc('hour', CAST((t) AS TIMESTAMP)) AS TIMESTAMPTZ) AS h, \
             EXTRACT(HOUR FROM CAST((t) AS TIMESTAMP)) AS hour, 'it''s' AS s FROM input) SELECT * FROM a"
        );
    }

    #[test]
    fn only_one_query_is_translated() {
        for sql in [
            "SELECT 1; SELECT 2",
            "DELETE FROM t WHERE TRUE",
            "SELECT FROM WHERE",
        ] {
            assert!(translate(sql, Dialect::DuckDb).is_err(), "{sql}");
            assert!(translate(sql, Dialect::BigQuery).is_err(), "{sql}");
        }
        let error = translate("SELECT TIMESTAMP_TRUNC(t) FROM x", Dialect::DuckDb).unwrap_err();
        assert!(
            error.contains("TIMESTAMP_TRUNC(timestamp, PART)"),
            "{error}"
        );
    }
}
