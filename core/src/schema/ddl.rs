//! BigQuery DDL: `CREATE TABLE … PARTITION BY … CLUSTER BY … OPTIONS(…)`.

use std::fmt::Write as _;

use super::SchemaError;
use crate::contract::naming;
use crate::{Contract, Field, LogicalType, Mode, Partitioning, TimeGranularity};

/// Where the table goes and how the statement is phrased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DdlOptions {
    /// The Google Cloud project; without it the table name is resolved
    /// against the job's project.
    pub project: Option<String>,
    /// The dataset; without it the job's default dataset is used.
    pub dataset: Option<String>,
    /// Write `CREATE TABLE IF NOT EXISTS` (the default) rather than `CREATE TABLE`.
    pub if_not_exists: bool,
}

impl Default for DdlOptions {
    fn default() -> Self {
        DdlOptions {
            project: None,
            dataset: None,
            if_not_exists: true,
        }
    }
}

impl Contract {
    /// The `CREATE TABLE` statement for this contract in GoogleSQL.
    ///
    /// Every identifier is validated and quoted with backticks; descriptions
    /// are escaped as GoogleSQL string literals. Fails when the project,
    /// dataset, table or a column name is invalid, or when the partitioning
    /// names a column the table does not have.
    pub fn ddl(&self, options: &DdlOptions) -> Result<String, SchemaError> {
        let mut sql = format!(
            "CREATE TABLE {}{}\n(\n",
            if options.if_not_exists {
                "IF NOT EXISTS "
            } else {
                ""
            },
            self.table_path(options)?
        );
        let columns = self
            .fields
            .iter()
            .map(|field| Ok(format!("  {}", column_definition(field)?)))
            .collect::<Result<Vec<_>, SchemaError>>()?;
        sql.push_str(&columns.join(",\n"));
        sql.push_str("\n)");
        if let Some(partitioning) = &self.partitioning {
            write!(
                sql,
                "\nPARTITION BY {}",
                self.partition_expression(partitioning)?
            )
            .unwrap();
        }
        if !self.clustering.is_empty() {
            let columns: Vec<_> = self.clustering.iter().map(|c| quote(c)).collect();
            write!(sql, "\nCLUSTER BY {}", columns.join(", ")).unwrap();
        }
        if let Some(description) = &self.description {
            write!(
                sql,
                "\nOPTIONS(description={})",
                string_literal(description)
            )
            .unwrap();
        }
        sql.push(';');
        Ok(sql)
    }

    /// `` `project.dataset.table` `` with each part validated.
    fn table_path(&self, options: &DdlOptions) -> Result<String, SchemaError> {
        let mut parts = Vec::new();
        if let Some(project) = &options.project {
            if options.dataset.is_none() {
                return Err(SchemaError(format!(
                    "a project (`{project}`) needs a dataset too: pass --dataset"
                )));
            }
            check(naming::project_id_problem(project))?;
            parts.push(project.as_str());
        }
        if let Some(dataset) = &options.dataset {
            check(naming::dataset_name_problem(dataset))?;
            parts.push(dataset.as_str());
        }
        check(naming::table_name_problem(&self.name))?;
        parts.push(&self.name);
        Ok(format!("`{}`", parts.join(".")))
    }

    fn partition_expression(&self, partitioning: &Partitioning) -> Result<String, SchemaError> {
        let column_type =
            |column: &str| {
                self.field(column).map(|field| &field.logical_type).ok_or_else(|| {
                SchemaError(format!(
                    "table `{}` is partitioned by `{column}`, which is not one of its columns",
                    self.name
                ))
            })
            };
        Ok(match partitioning {
            Partitioning::Time {
                column,
                granularity,
            } => {
                let quoted = quote(column);
                let unit = granularity.name();
                match (column_type(column)?, granularity) {
                    (LogicalType::Date, TimeGranularity::Day) => quoted,
                    (LogicalType::Date, _) => format!("DATE_TRUNC({quoted}, {unit})"),
                    (LogicalType::Timestamp | LogicalType::DateTime, TimeGranularity::Day) => {
                        format!("DATE({quoted})")
                    }
                    (LogicalType::Timestamp, _) => format!("TIMESTAMP_TRUNC({quoted}, {unit})"),
                    (LogicalType::DateTime, _) => format!("DATETIME_TRUNC({quoted}, {unit})"),
                    (other, _) => {
                        return Err(SchemaError(format!(
                            "table `{}` is time-partitioned by `{column}`, a {} column; \
                             it must be DATE, TIMESTAMP or DATETIME",
                            self.name,
                            other.sql_name()
                        )));
                    }
                }
            }
            Partitioning::IngestionTime {
                granularity: TimeGranularity::Day,
            } => "_PARTITIONDATE".to_string(),
            Partitioning::IngestionTime { granularity } => {
                format!("TIMESTAMP_TRUNC(_PARTITIONTIME, {})", granularity.name())
            }
            Partitioning::IntegerRange {
                column,
                start,
                end,
                interval,
            } => {
                column_type(column)?;
                format!(
                    "RANGE_BUCKET({}, GENERATE_ARRAY({start}, {end}, {interval}))",
                    quote(column)
                )
            }
        })
    }
}

/// `` `name` TYPE [NOT NULL] [OPTIONS(description=…)] ``
fn column_definition(field: &Field) -> Result<String, SchemaError> {
    check(naming::column_name_problem(&field.name))?;
    let mut definition = format!("{} {}", quote(&field.name), column_type(field)?);
    if field.mode == Mode::Required {
        definition.push_str(" NOT NULL");
    }
    if let Some(description) = &field.description {
        write!(
            definition,
            " OPTIONS(description={})",
            string_literal(description)
        )
        .unwrap();
    }
    Ok(definition)
}

/// The type of a column, with `ARRAY<…>` for REPEATED.
fn column_type(field: &Field) -> Result<String, SchemaError> {
    let element = element_type(&field.logical_type)?;
    Ok(match field.mode {
        Mode::Repeated => format!("ARRAY<{element}>"),
        Mode::Required | Mode::Nullable => element,
    })
}

fn element_type(logical_type: &LogicalType) -> Result<String, SchemaError> {
    Ok(match logical_type {
        LogicalType::Record { fields } => {
            let fields = fields
                .iter()
                .map(column_definition)
                .collect::<Result<Vec<_>, _>>()?;
            format!("STRUCT<{}>", fields.join(", "))
        }
        other => scalar_type(other),
    })
}

/// The GoogleSQL type of a value that is not a RECORD, with its
/// parameters: `INT64`, `NUMERIC(20, 0)`; `STRUCT` for a RECORD.
pub fn scalar_type(logical_type: &LogicalType) -> String {
    match logical_type {
        LogicalType::Numeric {
            precision: Some(p),
            scale,
        }
        | LogicalType::BigNumeric {
            precision: Some(p),
            scale,
        } => format!("{}({p}, {})", logical_type.sql_name(), scale.unwrap_or(0)),
        other => other.sql_name().to_string(),
    }
}

fn check(problem: Option<String>) -> Result<(), SchemaError> {
    problem.map_or(Ok(()), |problem| Err(SchemaError(problem)))
}

/// A validated identifier in backticks.
fn quote(identifier: &str) -> String {
    format!("`{identifier}`")
}

/// A GoogleSQL double-quoted string literal: backslashes, quotes and
/// control characters escaped, so any description is safe to embed.
pub(crate) fn string_literal(text: &str) -> String {
    let mut literal = String::with_capacity(text.len() + 2);
    literal.push('"');
    for c in text.chars() {
        match c {
            '\\' => literal.push_str("\\\\"),
            '"' => literal.push_str("\\\""),
            '\n' => literal.push_str("\\n"),
            '\r' => literal.push_str("\\r"),
            '\t' => literal.push_str("\\t"),
            c if c.is_control() => write!(literal, "\\u{:04x}", c as u32).unwrap(),
            c => literal.push(c),
        }
    }
    literal.push('"');
    literal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DedupKey, Severity};

    fn table(fields: Vec<Field>, partitioning: Option<Partitioning>) -> Contract {
        Contract {
            name: "events".into(),
            version: "1.0.0".into(),
            description: None,
            fields,
            dedup_key: Some(DedupKey {
                columns: vec!["day".into()],
                severity: Severity::Error,
            }),
            partitioning,
            clustering: Vec::new(),
            default_severity: Severity::Error,
            rules: Vec::new(),
            expectations: Vec::new(),
            freshness: None,
            drift: None,
            foreign_keys: Vec::new(),
            reconciliations: Vec::new(),
        }
    }

    fn partition_clause(logical_type: LogicalType, granularity: TimeGranularity) -> String {
        let contract = table(
            vec![Field::new("day", logical_type, Mode::Nullable)],
            Some(Partitioning::Time {
                column: "day".into(),
                granularity,
            }),
        );
        let ddl = contract.ddl(&DdlOptions::default()).unwrap();
        let line = ddl
            .lines()
            .find(|line| line.starts_with("PARTITION BY"))
            .unwrap();
        line.trim_end_matches(';').to_string()
    }

    #[test]
    fn partition_expressions_follow_the_column_type() {
        use TimeGranularity::*;
        for (logical_type, granularity, clause) in [
            (LogicalType::Date, Day, "PARTITION BY `day`"),
            (
                LogicalType::Date,
                Month,
                "PARTITION BY DATE_TRUNC(`day`, MONTH)",
            ),
            (LogicalType::Timestamp, Day, "PARTITION BY DATE(`day`)"),
            (
                LogicalType::Timestamp,
                Year,
                "PARTITION BY TIMESTAMP_TRUNC(`day`, YEAR)",
            ),
            (
                LogicalType::DateTime,
                Hour,
                "PARTITION BY DATETIME_TRUNC(`day`, HOUR)",
            ),
        ] {
            assert_eq!(partition_clause(logical_type, granularity), clause);
        }
    }

    #[test]
    fn ingestion_time_partitions_use_the_pseudo_columns() {
        let day = table(
            Vec::new(),
            Some(Partitioning::IngestionTime {
                granularity: TimeGranularity::Day,
            }),
        );
        assert!(
            day.ddl(&DdlOptions::default())
                .unwrap()
                .contains("PARTITION BY _PARTITIONDATE")
        );
        let hour = table(
            Vec::new(),
            Some(Partitioning::IngestionTime {
                granularity: TimeGranularity::Hour,
            }),
        );
        assert!(
            hour.ddl(&DdlOptions::default())
                .unwrap()
                .contains("PARTITION BY TIMESTAMP_TRUNC(_PARTITIONTIME, HOUR)")
        );
    }

    #[test]
    fn a_contract_built_by_hand_is_checked_too() {
        let missing = table(
            Vec::new(),
            Some(Partitioning::Time {
                column: "day".into(),
                granularity: TimeGranularity::Day,
            }),
        );
        let error = missing.ddl(&DdlOptions::default()).unwrap_err();
        assert!(
            error
                .0
                .contains("partitioned by `day`, which is not one of its columns"),
            "{error}"
        );
        let wrong_type = table(
            vec![Field::new("day", LogicalType::String, Mode::Required)],
            Some(Partitioning::Time {
                column: "day".into(),
                granularity: TimeGranularity::Day,
            }),
        );
        assert!(
            wrong_type
                .ddl(&DdlOptions::default())
                .unwrap_err()
                .0
                .contains("a STRING column")
        );
        let bad_column = table(
            vec![Field::new("bad name", LogicalType::Int64, Mode::Required)],
            None,
        );
        assert!(
            bad_column
                .ddl(&DdlOptions::default())
                .unwrap_err()
                .0
                .contains("only letters")
        );
    }

    #[test]
    fn hostile_project_and_dataset_names_are_refused() {
        let contract = table(Vec::new(), None);
        for (project, dataset) in [
            (Some("evil`proj"), Some("d")),
            (None, Some("d`; DROP TABLE x; --")),
            (Some("good-project"), None),
        ] {
            let options = DdlOptions {
                project: project.map(Into::into),
                dataset: dataset.map(Into::into),
                if_not_exists: false,
            };
            assert!(contract.ddl(&options).is_err(), "{project:?} {dataset:?}");
        }
        let plain = contract.ddl(&DdlOptions {
            if_not_exists: false,
            ..DdlOptions::default()
        });
        assert!(plain.unwrap().starts_with("CREATE TABLE `events`"));
    }

    #[test]
    fn string_literals_escape_everything_that_could_end_them() {
        assert_eq!(string_literal("plain"), r#""plain""#);
        assert_eq!(
            string_literal("say \"hi\"\\ then\nnew line\ttab\u{7}"),
            r#""say \"hi\"\\ then\nnew line\ttab\u0007""#
        );
    }
}
