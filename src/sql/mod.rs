//! What the two SQL dialects we generate differ in: quoting identifiers,
//! placeholders for query parameters, and a handful of functions.
//!
//! Every identifier that reaches SQL is validated against BigQuery's naming
//! rules first (see [`crate::contract::naming`]) and then quoted, so a name
//! from configuration can neither break out of its quotes nor collide with
//! a keyword. Every value travels as a query parameter ([`SqlValue`]).

use chrono::{DateTime, Utc};

mod steps;
mod translate;

pub use steps::{Composed, SqlSteps};
pub use translate::translate;

use crate::contract::naming;

/// A SQL dialect we generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// BigQuery's GoogleSQL: `` `name` ``, `@p0`.
    BigQuery,
    /// DuckDB: `"name"`, `$1`.
    DuckDb,
}

impl Dialect {
    /// `name` quoted as one identifier. The caller has validated it; the
    /// quote character cannot occur in a valid name, and is refused anyway.
    pub fn quote(self, name: &str) -> String {
        let quote = match self {
            Dialect::BigQuery => '`',
            Dialect::DuckDb => '"',
        };
        assert!(
            !name.contains(quote) && !name.contains('\\'),
            "identifier `{name}` was not validated before quoting"
        );
        format!("{quote}{name}{quote}")
    }

    /// A dotted column path (`record.field`) with each part quoted.
    pub fn column(self, path: &str) -> String {
        path.split('.')
            .map(|part| self.quote(part))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The placeholder of the `index`-th (0-based) query parameter.
    pub fn placeholder(self, index: usize) -> String {
        match self {
            Dialect::BigQuery => format!("@p{index}"),
            Dialect::DuckDb => format!("${}", index + 1),
        }
    }

    /// The name of the 64-bit float type.
    pub fn float_type(self) -> &'static str {
        match self {
            Dialect::BigQuery => "FLOAT64",
            Dialect::DuckDb => "DOUBLE",
        }
    }

    /// The name of the 64-bit integer type.
    pub fn integer_type(self) -> &'static str {
        match self {
            Dialect::BigQuery => "INT64",
            Dialect::DuckDb => "BIGINT",
        }
    }

    /// The name of the timestamp type (an instant, in UTC).
    pub fn timestamp_type(self) -> &'static str {
        match self {
            Dialect::BigQuery => "TIMESTAMP",
            Dialect::DuckDb => "TIMESTAMPTZ",
        }
    }

    /// The dialect's name for people.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::BigQuery => "BigQuery",
            Dialect::DuckDb => "DuckDB",
        }
    }
}

/// A value bound to a query parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// BOOL.
    Bool(bool),
    /// INT64.
    Int(i64),
    /// FLOAT64.
    Float(f64),
    /// STRING; also the text of a NUMERIC, DATE or DATETIME the SQL casts.
    String(String),
    /// TIMESTAMP.
    Timestamp(DateTime<Utc>),
}

impl std::fmt::Display for SqlValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SqlValue::Bool(flag) => write!(f, "{flag}"),
            SqlValue::Int(int) => write!(f, "{int}"),
            SqlValue::Float(float) => write!(f, "{float}"),
            SqlValue::String(text) => write!(f, "{text:?}"),
            SqlValue::Timestamp(instant) => write!(f, "{}", instant.to_rfc3339()),
        }
    }
}

/// SQL text with its parameters, built up piece by piece.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The dialect the text is written in.
    pub dialect: Dialect,
    /// The statement.
    pub sql: String,
    /// The values of its placeholders, in order.
    pub params: Vec<SqlValue>,
}

impl Query {
    /// An empty statement in `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        Query {
            dialect,
            sql: String::new(),
            params: Vec::new(),
        }
    }

    /// Adds `value` as a parameter and returns its placeholder.
    pub fn bind(&mut self, value: SqlValue) -> String {
        self.params.push(value);
        self.dialect.placeholder(self.params.len() - 1)
    }
}

/// A table in a warehouse: `project.dataset.table` on BigQuery, `dataset`
/// being a schema in DuckDB. Every part is validated when it is made.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TableRef {
    /// The Google Cloud project; `None` uses the client's (and, in DuckDB,
    /// is ignored).
    pub project: Option<String>,
    /// The dataset (BigQuery) or schema (DuckDB).
    pub dataset: String,
    /// The table.
    pub table: String,
}

/// A name from configuration that is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdentifierError(pub String);

impl TableRef {
    /// `dataset.table`, both validated.
    pub fn new(dataset: &str, table: &str) -> Result<Self, IdentifierError> {
        if let Some(problem) =
            naming::dataset_name_problem(dataset).or_else(|| naming::table_name_problem(table))
        {
            return Err(IdentifierError(problem));
        }
        Ok(TableRef {
            project: None,
            dataset: dataset.to_string(),
            table: table.to_string(),
        })
    }

    /// The same table in `project`, validated.
    pub fn in_project(mut self, project: &str) -> Result<Self, IdentifierError> {
        check_project(project)?;
        self.project = Some(project.to_string());
        Ok(self)
    }

    /// Another table in the same dataset (validated).
    pub fn sibling(&self, table: &str) -> Result<Self, IdentifierError> {
        if let Some(problem) = naming::table_name_problem(table) {
            return Err(IdentifierError(problem));
        }
        Ok(TableRef {
            table: table.to_string(),
            ..self.clone()
        })
    }

    /// The table's quoted path in `dialect`: `` `project`.`dataset`.`table` ``
    /// or `"dataset"."table"`.
    pub fn quoted(&self, dialect: Dialect) -> String {
        let mut parts = Vec::new();
        if dialect == Dialect::BigQuery
            && let Some(project) = &self.project
        {
            parts.push(dialect.quote(project));
        }
        parts.push(dialect.quote(&self.dataset));
        parts.push(dialect.quote(&self.table));
        parts.join(".")
    }
}

impl std::fmt::Display for TableRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(project) = &self.project {
            write!(f, "{project}.")?;
        }
        write!(f, "{}.{}", self.dataset, self.table)
    }
}

/// Checks a Google Cloud project id from configuration.
pub fn check_project(id: &str) -> Result<(), IdentifierError> {
    match naming::project_id_problem(id) {
        Some(problem) => Err(IdentifierError(problem)),
        None => Ok(()),
    }
}

/// Checks a dataset name from configuration.
pub fn check_dataset(name: &str) -> Result<(), IdentifierError> {
    match naming::dataset_name_problem(name) {
        Some(problem) => Err(IdentifierError(problem)),
        None => Ok(()),
    }
}

/// Checks a column name from configuration.
pub fn check_column(name: &str) -> Result<(), IdentifierError> {
    match naming::column_name_problem(name) {
        Some(problem) => Err(IdentifierError(problem)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_refused_before_they_reach_sql() {
        for (dataset, table) in [
            ("staging", "t`; DROP TABLE x; --"),
            ("staging\"", "t"),
            ("", "t"),
            ("staging", "a b"),
            ("staging", "1st"),
        ] {
            assert!(
                TableRef::new(dataset, table).is_err(),
                "{dataset}.{table} was accepted"
            );
        }
        assert!(
            TableRef::new("staging", "t")
                .unwrap()
                .in_project("Bad_Project")
                .is_err()
        );
        assert!(check_column("_PARTITIONTIME").is_err());
    }

    #[test]
    fn tables_are_quoted_per_dialect() {
        let table = TableRef::new("staging", "klines")
            .unwrap()
            .in_project("my-project")
            .unwrap();
        assert_eq!(
            table.quoted(Dialect::BigQuery),
            "`my-project`.`staging`.`klines`"
        );
        assert_eq!(table.quoted(Dialect::DuckDb), "\"staging\".\"klines\"");
        assert_eq!(Dialect::DuckDb.column("r.a"), "\"r\".\"a\"");
    }

    #[test]
    fn placeholders_count_from_the_dialects_base() {
        let mut query = Query::new(Dialect::DuckDb);
        assert_eq!(query.bind(SqlValue::Int(1)), "$1");
        assert_eq!(query.bind(SqlValue::Int(2)), "$2");
        let mut query = Query::new(Dialect::BigQuery);
        assert_eq!(query.bind(SqlValue::Int(1)), "@p0");
    }
}
