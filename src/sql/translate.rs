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
//!
//! Time parts are taken in UTC on both engines: the DuckDB rewrites read a
//! `TIMESTAMPTZ` as its UTC wall time. Anything else passes through as
//! written; a function only one engine knows fails there, with the
//! engine's own message.

use std::ops::ControlFlow;

use sqlparser::ast::{
    DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName, Statement,
    visit_expressions_mut,
};
use sqlparser::dialect::{BigQueryDialect, GenericDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::Dialect;

/// `sql`, one GoogleSQL query, as `dialect` runs it. An error says why it
/// is not one query that parses, or which construct cannot be rewritten.
pub fn translate(sql: &str, dialect: Dialect) -> Result<String, String> {
    let mut statements =
        Parser::parse_sql(&BigQueryDialect, sql).map_err(|e| format!("does not parse: {e}"))?;
    let mut statement = match (statements.pop(), statements.is_empty()) {
        (Some(statement @ Statement::Query(_)), true) => statement,
        _ => return Err("is not one query (a SELECT or a WITH … SELECT)".into()),
    };
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
    match expr {
        Expr::Cast { data_type, .. } => {
            if let Some(duckdb) = duckdb_type(data_type) {
                *data_type = DataType::Custom(ObjectName::from(vec![Ident::new(duckdb)]), vec![]);
            }
        }
        Expr::Extract { expr: time, .. } => {
            **time = parse_expr(&format!("CAST(({time}) AS TIMESTAMP)"))?;
        }
        Expr::Function(function)
            if function
                .name
                .to_string()
                .eq_ignore_ascii_case("TIMESTAMP_TRUNC") =>
        {
            let call = function.to_string();
            let (time, part) = match &function.args {
                FunctionArguments::List(list) => match list.args.as_slice() {
                    [
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(time)),
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(part))),
                    ] => (time.to_string(), part.value.to_ascii_lowercase()),
                    _ => {
                        return Err(format!(
                            "`{call}`: expected TIMESTAMP_TRUNC(timestamp, PART)"
                        ));
                    }
                },
                _ => {
                    return Err(format!(
                        "`{call}`: expected TIMESTAMP_TRUNC(timestamp, PART)"
                    ));
                }
            };
            if !part.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(format!("`{call}`: `{part}` is not a date part"));
            }
            *expr = parse_expr(&format!(
                "CAST(date_trunc('{part}', CAST(({time}) AS TIMESTAMP)) AS TIMESTAMPTZ)"
            ))?;
        }
        _ => {}
    }
    Ok(())
}

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
