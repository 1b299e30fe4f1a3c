//! A query written as named steps, each a GoogleSQL query over the
//! relations before it: how a transform or a measure that runs in the
//! warehouse is spelled once for every engine.

use super::{Dialect, check_column, translate};

/// Named steps, each one GoogleSQL query (see [`translate`]) that may read
/// the relations the caller provides (a transform's `input`) and the steps
/// before it. The last step's rows are the result.
///
/// ```
/// use datacontract::sql::{Dialect, SqlSteps};
///
/// let hours = SqlSteps::new()
///     .step("hours", "SELECT symbol, TIMESTAMP_TRUNC(open_time, HOUR) AS hour FROM input")
///     .step("counted", "SELECT COUNT(*) AS n FROM hours");
/// let sql = hours
///     .compose(Dialect::DuckDb, &[("input", "SELECT * FROM raw".into())])
///     .unwrap()
///     .select_all();
/// assert!(sql.starts_with("WITH \"input\" AS (\nSELECT * FROM raw\n), \"hours\" AS (\nSELECT symbol, CAST(date_trunc('hour'"));
/// assert!(sql.ends_with("\"counted\" AS (\nSELECT COUNT(*) AS n FROM hours\n) SELECT * FROM \"counted\""));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlSteps {
    steps: Vec<(String, String)>,
}

impl SqlSteps {
    /// No steps yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a step: `sql`, a query, whose rows the later steps read as
    /// `name`.
    pub fn step(mut self, name: &str, sql: impl Into<String>) -> Self {
        self.steps.push((name.to_string(), sql.into()));
        self
    }

    /// The steps' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().map(|(name, _)| name.as_str())
    }

    /// The `WITH` clause, in `dialect`, that defines `relations` (each
    /// already in `dialect`), then every step; and the quoted name of the
    /// last step, whose rows the statement after it selects. An error names
    /// the step that does not translate, a name that is not an identifier
    /// or is given twice, or the lack of any step.
    pub fn compose(
        &self,
        dialect: Dialect,
        relations: &[(&str, String)],
    ) -> Result<Composed, String> {
        let Some((last, _)) = self.steps.last() else {
            return Err("has no step".into());
        };
        let mut steps: Vec<(&str, String)> = relations
            .iter()
            .map(|(name, sql)| (*name, sql.clone()))
            .collect();
        for (name, sql) in &self.steps {
            let sql =
                translate(sql, dialect).map_err(|problem| format!("step `{name}` {problem}"))?;
            steps.push((name, sql));
        }
        let mut definitions: Vec<String> = Vec::new();
        for (index, (name, sql)) in steps.iter().enumerate() {
            check_column(name).map_err(|e| format!("step name `{name}`: {e}"))?;
            if steps[..index]
                .iter()
                .any(|(known, _)| known.eq_ignore_ascii_case(name))
            {
                return Err(format!("two relations are named `{name}`"));
            }
            // On lines of their own: a step may end in a `--` comment.
            definitions.push(format!("{} AS (\n{sql}\n)", dialect.quote(name)));
        }
        Ok(Composed {
            with: format!("WITH {}", definitions.join(", ")),
            last: dialect.quote(last),
        })
    }
}

/// Steps composed for one engine: `{with} SELECT … FROM {last}` is a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    /// `WITH name AS (…), …`.
    pub with: String,
    /// The last step's name, quoted.
    pub last: String,
}

impl Composed {
    /// The query that selects every row of the last step.
    pub fn select_all(&self) -> String {
        format!("{} SELECT * FROM {}", self.with, self.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_identifiers_given_once_and_steps_queries() {
        let input = [("input", "SELECT 1 AS x".to_string())];
        let compose = |steps: SqlSteps| steps.compose(Dialect::BigQuery, &input).unwrap_err();
        assert!(compose(SqlSteps::new()).contains("no step"));
        assert!(compose(SqlSteps::new().step("a b", "SELECT 1")).contains("`a b`"));
        assert!(compose(SqlSteps::new().step("INPUT", "SELECT 1")).contains("two relations"));
        let error = compose(SqlSteps::new().step("bad", "DROP TABLE x"));
        assert!(error.starts_with("step `bad` is not one query"), "{error}");
        let sql = SqlSteps::new()
            .step("a", "SELECT x FROM input -- the input's x")
            .compose(Dialect::BigQuery, &input)
            .unwrap()
            .select_all();
        assert_eq!(
            sql,
            "WITH `input` AS (\nSELECT 1 AS x\n), `a` AS (\nSELECT x FROM input -- the input's x\n) SELECT * FROM `a`"
        );
    }
}
