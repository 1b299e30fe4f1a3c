//! Row rules with one meaning in every engine.
//!
//! A row rule is a GoogleSQL boolean expression, and a row fails it only
//! when it is FALSE: NULL (unknown) passes, as in BigQuery. The engines
//! differ on a few functions, though. BigQuery's `GREATEST`, `LEAST` and
//! `CONCAT` return NULL when any argument is NULL; DuckDB and Polars skip
//! the NULL arguments. So `low <= LEAST(open, close)` with a NULL `close`
//! would be unknown in BigQuery but FALSE elsewhere whenever `low > open`.
//!
//! [`portable`] rewrites every such call to return NULL when any argument
//! is NULL, BigQuery's meaning, before a rule is compiled for any engine.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, visit_expressions,
    visit_expressions_mut,
};
use sqlparser::dialect::BigQueryDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

/// The functions whose NULL handling differs between engines; each returns
/// NULL on any NULL argument once rewritten.
const NULL_SKIPPING_FUNCTIONS: [&str; 3] = ["GREATEST", "LEAST", "CONCAT"];

/// `sql`, a row rule, with every call that some engine would let skip a
/// NULL argument made NULL on any NULL argument. An error says why the
/// rule does not parse.
pub fn portable(sql: &str) -> Result<String, String> {
    let mut expr = parse(sql)?;
    let mut rewrite_error = None;
    let _ = visit_expressions_mut(&mut expr, |expr| {
        if let Expr::Function(function) = expr
            && let Some(arguments) = null_skipping_arguments(function)
        {
            match parse(&null_if_any_null(&arguments, &function.to_string())) {
                Ok(strict) => *expr = strict,
                Err(error) => {
                    rewrite_error = Some(error);
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    });
    match rewrite_error {
        Some(error) => Err(error),
        None => Ok(expr.to_string()),
    }
}

/// The columns `sql`, a row rule, reads, each once, in the order they
/// are first mentioned; a dotted path counts as its top-level column.
pub fn columns(sql: &str) -> Result<Vec<String>, String> {
    let expr = parse(sql)?;
    let mut columns: Vec<String> = Vec::new();
    let _ = visit_expressions(&expr, |expr| {
        let column = match expr {
            Expr::Identifier(ident) => Some(&ident.value),
            Expr::CompoundIdentifier(parts) => parts.first().map(|part| &part.value),
            _ => None,
        };
        if let Some(column) = column
            && !columns.contains(column)
        {
            columns.push(column.clone());
        }
        ControlFlow::<()>::Continue(())
    });
    Ok(columns)
}

/// One SQL expression, all of `sql`.
fn parse(sql: &str) -> Result<Expr, String> {
    let mut parser = Parser::new(&BigQueryDialect)
        .try_with_sql(sql)
        .map_err(|e| format!("rule `{sql}` does not parse: {e}"))?;
    let expr = parser
        .parse_expr()
        .map_err(|e| format!("rule `{sql}` does not parse: {e}"))?;
    let rest = parser.peek_token();
    if rest.token != Token::EOF {
        return Err(format!(
            "rule `{sql}` does not parse: unexpected `{}` after the expression",
            rest.token
        ));
    }
    Ok(expr)
}

/// The plain positional arguments of `function` when it is one of
/// [`NULL_SKIPPING_FUNCTIONS`].
pub(crate) fn null_skipping_arguments(function: &Function) -> Option<Vec<String>> {
    let name = function.name.to_string().to_ascii_uppercase();
    if !NULL_SKIPPING_FUNCTIONS.contains(&name.as_str()) {
        return None;
    }
    let FunctionArguments::List(list) = &function.args else {
        return None;
    };
    list.args
        .iter()
        .map(|argument| match argument {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => Some(expr.to_string()),
            _ => None,
        })
        .collect()
}

/// `call`, or NULL when any of `arguments` is NULL.
pub(crate) fn null_if_any_null(arguments: &[String], call: &str) -> String {
    let any_null = arguments
        .iter()
        .map(|argument| format!("({argument}) IS NULL"))
        .collect::<Vec<_>>()
        .join(" OR ");
    format!("CASE WHEN {any_null} THEN NULL ELSE {call} END")
}

#[cfg(test)]
mod tests {
    use super::{columns, portable};

    #[test]
    fn columns_are_named_once_in_order_of_mention() {
        assert_eq!(
            columns("low <= LEAST(open, close) AND close > low").unwrap(),
            ["low", "open", "close"]
        );
        assert_eq!(
            columns("address.zip != '' OR `interval` = '1m'").unwrap(),
            ["address", "interval"]
        );
    }

    #[test]
    fn null_skipping_calls_become_null_on_any_null_argument() {
        assert_eq!(
            portable("low <= LEAST(open, close)").unwrap(),
            "low <= CASE WHEN (open) IS NULL OR (close) IS NULL THEN NULL ELSE LEAST(open, close) END"
        );
        assert_eq!(
            portable("concat(a, 'x') != ''").unwrap(),
            "CASE WHEN (a) IS NULL OR ('x') IS NULL THEN NULL ELSE concat(a, 'x') END <> ''"
        );
    }

    #[test]
    fn nested_calls_are_each_rewritten() {
        let least = "CASE WHEN (b) IS NULL OR (c) IS NULL THEN NULL ELSE LEAST(b, c) END";
        assert_eq!(
            portable("GREATEST(a, LEAST(b, c)) > 0").unwrap(),
            format!(
                "CASE WHEN (a) IS NULL OR ({least}) IS NULL THEN NULL ELSE GREATEST(a, {least}) END > 0"
            )
        );
    }

    #[test]
    fn other_rules_keep_their_meaning() {
        assert_eq!(portable("high >= low").unwrap(), "high >= low");
        assert_eq!(
            portable("`interval` != '1s' AND ABS(x) < 3").unwrap(),
            "`interval` <> '1s' AND ABS(x) < 3"
        );
    }

    #[test]
    fn a_rule_that_does_not_parse_is_an_error() {
        let error = portable("high >= ").unwrap_err();
        assert!(error.contains("rule `high >= ` does not parse"), "{error}");
        let error = portable("high >= low low").unwrap_err();
        assert!(error.contains("unexpected"), "{error}");
    }
}
