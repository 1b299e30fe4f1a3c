//! Compiles planned checks to SQL, in BigQuery's GoogleSQL or DuckDB's
//! dialect, for validation inside the warehouse.
//!
//! The same semantics as [`super::polars`]: a row test becomes a boolean
//! expression that is `TRUE` exactly for failing rows and never NULL; a
//! statistic becomes one aggregate. What needs a window (a quantile in
//! BigQuery, which has no quantile aggregate) or a subquery per row (a
//! foreign key) names a column the query computes in a subquery first
//! ([`Window`]). Duplicates are found by grouping the rows on their key
//! ([`RepeatedKey`]), not row by row. Every constant is a query parameter.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};

use super::{RowTest, rule};
use crate::sql::{Dialect, Query, SqlValue, TableRef};
use crate::{Bound, Contract, Field, Literal, LogicalType, Mode, Statistic};

/// A column the aggregate query computes over the rows first: a window,
/// or a foreign key's correlated subquery.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The name it gets.
    pub alias: String,
    /// The window expression.
    pub expr: String,
}

/// A row test in SQL.
#[derive(Debug, Clone, PartialEq)]
pub struct RowSql {
    /// Which rows fail.
    pub failing: Failing,
    /// The windows a per-row condition reads.
    pub windows: Vec<Window>,
}

/// Which rows fail a row test, in SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Failing {
    /// A condition on each row: `TRUE` on failing rows, never NULL.
    Rows(String),
    /// The rows whose key another row repeats, found by grouping the rows
    /// on the key.
    RepeatedKey(RepeatedKey),
}

/// A key (one column or several) that rows may repeat, counted with a
/// `GROUP BY` over the rows rather than a window on every row: with the
/// workload's five-column key, DuckDB 2.0 runs the whole counting query in
/// about two thirds of the time it took with the two windows this
/// replaces (`benches/pushdown_sql.py`).
///
/// The key's NULLs compare equal to each other, as in memory, except in a
/// key of one column, where a NULL is no value and never repeated.
#[derive(Debug, Clone, PartialEq)]
pub struct RepeatedKey {
    /// The key's columns, quoted for the dialect.
    columns: Vec<String>,
    /// The dialect of the query the key goes into.
    dialect: Dialect,
}

/// The order rows arrived in, in a table that numbers them: by the
/// partition's creation time, then the row's number within it.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrivalOrder {
    /// The column holding when a row's partition was created, quoted.
    pub created_at: String,
    /// The column numbering the rows of a partition, quoted.
    pub row: String,
}

impl ArrivalOrder {
    /// A row's position, one HUGEINT ordered as `ORDER BY created_at, row`
    /// orders the rows; over the row's columns qualified by `prefix` (`""`
    /// or `"__all."`). NULL on a row without a number or a creation time:
    /// positions are only used where [`ArrivalOrder::unnumbered`] counts
    /// no such row.
    fn position(&self, prefix: &str) -> String {
        format!(
            "CAST(epoch_us({prefix}{}) AS HUGEINT) * 18446744073709551616 + {prefix}{}",
            self.created_at, self.row
        )
    }

    /// An aggregate over the rows: how many have no position (loaded
    /// before rows were numbered). Where any has, the first groups are
    /// not known by position, and the examples group the rows again.
    pub fn unnumbered(&self) -> String {
        format!(
            "SUM(CASE WHEN {} IS NULL OR {} IS NULL THEN 1 ELSE 0 END)",
            self.created_at, self.row
        )
    }
}

/// Where a key's first repeated groups begin, returned by the counting
/// query beside the counts so that the examples of a failing key need not
/// group the rows again (in DuckDB, which computes it as one more
/// aggregate of each group, for about 7 % more time than the counts alone,
/// where grouping again costs as much as the counts: `benches/pushdown_sql.py`).
///
/// The first failing rows, in the order the rows arrived, all lie in the
/// groups whose first rows come first: a group whose first row comes after
/// those of `max` others has `max` failing rows before its own.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstGroups {
    /// The order the groups' first rows are found in.
    order: ArrivalOrder,
    /// The name of the output: a list of the groups' first positions
    /// ([`ArrivalOrder::position`]), as text.
    output: String,
    /// How many groups: as many as the examples wanted.
    max: usize,
}

impl FirstGroups {
    /// The name of the output holding the positions.
    pub fn output(&self) -> &str {
        &self.output
    }
}

/// Which rows of a query hold a repeated key, for its examples.
#[derive(Debug, Clone, PartialEq)]
pub struct RowsOfKey {
    /// `TRUE` on those rows.
    pub condition: String,
    /// The windows `condition` reads.
    pub windows: Vec<Window>,
}

impl RepeatedKey {
    /// One row per key value that `rows` (a subquery with its alias)
    /// repeat: `__n`, how many rows hold it, after the key's columns as
    /// `__key0`, `__key1`… with `with_key`, and, with `first`, the
    /// position of its first row as `__first`.
    fn repeated(&self, rows: &str, with_key: bool, first: Option<&FirstGroups>) -> String {
        let key = self.columns.join(", ");
        let mut select: Vec<String> = Vec::new();
        if with_key {
            select.extend(
                self.columns
                    .iter()
                    .enumerate()
                    .map(|(index, column)| format!("{column} AS __key{index}")),
            );
        }
        select.push("COUNT(*) AS __n".into());
        if let Some(first) = first {
            select.push(format!("MIN({}) AS __first", first.order.position("")));
        }
        let nulls = match self.columns.as_slice() {
            [single] => format!(" WHERE {single} IS NOT NULL"),
            _ => String::new(),
        };
        format!(
            "SELECT {} FROM {rows}{nulls} GROUP BY {key} HAVING COUNT(*) > 1",
            select.join(", ")
        )
    }

    /// A one-row subquery of the pass's counts over `rows`: the rows
    /// sharing their key with another as `failing`, and, with `keys`, how
    /// many key values are shared as `keys`. With `first`, also where the
    /// first repeated groups begin (see [`FirstGroups`]).
    pub fn counts(
        &self,
        rows: &str,
        failing: &str,
        keys: Option<&str>,
        first: Option<&FirstGroups>,
    ) -> String {
        let mut select = format!("COALESCE(SUM(__n), 0) AS {failing}");
        if let Some(keys) = keys {
            select.push_str(&format!(", COUNT(*) AS {keys}"));
        }
        if let Some(first) = first {
            select.push_str(&format!(
                ", [CAST(__at AS VARCHAR) FOR __at IN min(__first, {})] AS {}",
                first.max, first.output
            ));
        }
        format!(
            "SELECT {select} FROM ({}) AS __repeated",
            self.repeated(rows, false, first)
        )
    }

    /// What [`RepeatedKey::counts`] adds to say where the first `max`
    /// repeated groups begin in `order`, into `output`, so that
    /// [`RepeatedKey::rows_starting_at`] finds their rows without grouping
    /// again: in DuckDB, and when examples are wanted at all.
    pub fn first_groups(
        &self,
        order: ArrivalOrder,
        output: String,
        max: usize,
    ) -> Option<FirstGroups> {
        (self.dialect == Dialect::DuckDb && max > 0).then_some(FirstGroups { order, output, max })
    }

    /// The rows of the query's `alias` whose key the rows of `all_rows`
    /// (a subquery aliased `__all`) hold at `positions` in `order`, where
    /// [`FirstGroups`] found the first repeated groups to begin (bound as
    /// parameters of `query`): the rows of those groups, by a semi-join
    /// whose other side is only the few rows at `positions`, NULL matching
    /// NULL.
    pub fn rows_starting_at(
        &self,
        alias: &str,
        all_rows: &str,
        order: &ArrivalOrder,
        positions: &[String],
        query: &mut Query,
    ) -> String {
        let at: Vec<String> = positions
            .iter()
            .map(|text| {
                let placeholder = query.bind(SqlValue::String(text.clone()));
                format!("CAST({placeholder} AS HUGEINT)")
            })
            .collect();
        let matches: Vec<String> = self
            .columns
            .iter()
            .map(|column| format!("__all.{column} IS NOT DISTINCT FROM {alias}.{column}"))
            .collect();
        format!(
            "EXISTS (SELECT 1 FROM {all_rows} WHERE {} IN ({}) AND {})",
            order.position("__all."),
            at.join(", "),
            matches.join(" AND ")
        )
    }

    /// The rows of the query's `alias` whose key the query's rows repeat
    /// (`all_rows` builds them anew, as a subquery with its alias, if the
    /// dialect needs them apart).
    ///
    /// DuckDB semi-joins the rows to the key's repeated groups, NULL
    /// matching NULL (`IS NOT DISTINCT FROM`, which its hash join takes as
    /// a key). BigQuery hash-joins on equality only, so it counts each
    /// row's key in a window instead, which partitions NULLs together.
    pub fn rows_of(&self, alias: &str, all_rows: impl FnOnce() -> String) -> RowsOfKey {
        match self.dialect {
            Dialect::DuckDb => {
                let matches: Vec<String> = self
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(index, column)| {
                        format!("__repeated.__key{index} IS NOT DISTINCT FROM {alias}.{column}")
                    })
                    .collect();
                RowsOfKey {
                    condition: format!(
                        "EXISTS (SELECT 1 FROM ({}) AS __repeated WHERE {})",
                        self.repeated(&all_rows(), true, None),
                        matches.join(" AND ")
                    ),
                    windows: Vec::new(),
                }
            }
            Dialect::BigQuery => {
                let count = "__key_rows";
                let mut condition = format!("{count} > 1");
                if let [single] = self.columns.as_slice() {
                    condition.push_str(&format!(" AND {single} IS NOT NULL"));
                }
                RowsOfKey {
                    condition,
                    windows: vec![Window {
                        alias: count.into(),
                        expr: format!("COUNT(*) OVER (PARTITION BY {})", self.columns.join(", ")),
                    }],
                }
            }
        }
    }
}

/// A statistic in SQL.
#[derive(Debug, Clone, PartialEq)]
pub struct StatisticSql {
    /// The aggregate.
    pub aggregate: String,
    /// The windows it reads.
    pub windows: Vec<Window>,
}

/// The alias of the validated rows inside the subquery that computes the
/// windows, which a foreign key's correlated subquery refers to.
pub const SOURCE_ALIAS: &str = "__src";

/// Compiles the checks of one contract into one query's expressions.
pub struct SqlCompiler<'a> {
    contract: &'a Contract,
    query: &'a mut Query,
    /// The warehouse tables foreign keys reference, by table name.
    referenced: Option<&'a BTreeMap<String, TableRef>>,
}

impl<'a> SqlCompiler<'a> {
    /// A compiler adding its parameters to `query`.
    pub fn new(contract: &'a Contract, query: &'a mut Query) -> Self {
        SqlCompiler {
            contract,
            query,
            referenced: None,
        }
    }

    /// The compiler, checking foreign keys against the tables `referenced`
    /// names (by the referenced contract's name).
    pub fn referencing(mut self, referenced: &'a BTreeMap<String, TableRef>) -> Self {
        self.referenced = Some(referenced);
        self
    }

    /// The dialect the checks compile to.
    pub fn dialect(&self) -> Dialect {
        self.query.dialect
    }

    /// The failure condition of `test`; `name` makes its window aliases
    /// unique. Fails (the check is then skipped) when a bound cannot be
    /// compared with the column's type.
    pub fn failure(&mut self, test: &RowTest, name: &str) -> Result<RowSql, String> {
        let dialect = self.dialect();
        let mut windows = Vec::new();
        let failing = match test {
            RowTest::NotNull { column } => format!("{} IS NULL", dialect.column(column)),
            RowTest::Range { column, min, max } => {
                self.out_of_range(column, min.as_ref(), max.as_ref())?
            }
            RowTest::Length {
                column,
                array,
                min,
                max,
            } => {
                let length = match (dialect, array) {
                    (Dialect::BigQuery, true) => "ARRAY_LENGTH",
                    (Dialect::BigQuery, false) => "CHAR_LENGTH",
                    (Dialect::DuckDb, true) => "len",
                    (Dialect::DuckDb, false) => "length",
                };
                let length = format!("{length}({})", dialect.column(column));
                let mut conditions = Vec::new();
                if let Some(min) = min {
                    let min = self.int(*min)?;
                    conditions.push(format!("{length} < {min}"));
                }
                if let Some(max) = max {
                    let max = self.int(*max)?;
                    conditions.push(format!("{length} > {max}"));
                }
                any_of(conditions)
            }
            RowTest::Regex { column, pattern } => {
                let pattern = self.query.bind(SqlValue::String(pattern.clone()));
                let column = dialect.column(column);
                match dialect {
                    Dialect::BigQuery => format!("NOT REGEXP_CONTAINS({column}, {pattern})"),
                    Dialect::DuckDb => format!("NOT regexp_matches({column}, {pattern})"),
                }
            }
            RowTest::OneOf { column, values } => {
                let field = self.field(column)?;
                let allowed = values
                    .iter()
                    .map(|value| self.value(value, field))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("{} NOT IN ({})", dialect.column(column), allowed.join(", "))
            }
            RowTest::Unique { columns } => {
                let columns = columns.iter().map(|c| dialect.column(c)).collect();
                return Ok(RowSql {
                    failing: Failing::RepeatedKey(RepeatedKey { columns, dialect }),
                    windows: Vec::new(),
                });
            }
            RowTest::Rule { sql } => format!("NOT ({})", rule::portable(sql)?),
            RowTest::References {
                columns,
                table,
                referenced,
            } => {
                let location = self
                    .referenced
                    .and_then(|tables| tables.get(table))
                    .ok_or_else(|| format!("no warehouse table is known for `{table}`"))?;
                let found = format!("__ref_{name}");
                let matches: Vec<String> = columns
                    .iter()
                    .zip(referenced)
                    .map(|(ours, theirs)| {
                        format!(
                            "__ref.{} = {SOURCE_ALIAS}.{}",
                            dialect.quote(theirs),
                            dialect.column(ours)
                        )
                    })
                    .collect();
                windows.push(Window {
                    alias: found.clone(),
                    expr: format!(
                        "EXISTS (SELECT 1 FROM {} AS __ref WHERE {})",
                        location.quoted(dialect),
                        matches.join(" AND ")
                    ),
                });
                let complete: Vec<String> = columns
                    .iter()
                    .map(|column| format!("{} IS NOT NULL", dialect.column(column)))
                    .collect();
                format!("{} AND NOT {found}", complete.join(" AND "))
            }
        };
        Ok(RowSql {
            failing: Failing::Rows(never_null(&failing)),
            windows,
        })
    }

    /// The aggregate measuring `statistic` of `column`; `name` makes its
    /// window alias unique. With `approximate`, a quantile or a distinct
    /// count uses the dialect's approximate aggregate (see
    /// [`Statistic::is_approximable`]), which needs neither a sort nor a
    /// set of every value.
    pub fn statistic(
        &mut self,
        statistic: &Statistic,
        column: &str,
        name: &str,
        approximate: bool,
    ) -> StatisticSql {
        let dialect = self.dialect();
        let value = dialect.column(column);
        let number = format!("CAST({value} AS {})", dialect.float_type());
        let float = dialect.float_type();
        let mut windows = Vec::new();
        let aggregate = match statistic {
            Statistic::RowCount => format!("CAST(COUNT(*) AS {float})"),
            Statistic::Mean => format!("AVG({number})"),
            Statistic::Stddev => format!("STDDEV_SAMP({number})"),
            Statistic::Sum => format!("SUM({number})"),
            Statistic::Min => format!("MIN({value})"),
            Statistic::Max => format!("MAX({value})"),
            Statistic::NullFraction => format!(
                "CASE WHEN COUNT(*) = 0 THEN NULL ELSE \
                 CAST(SUM(CASE WHEN {value} IS NULL THEN 1 ELSE 0 END) AS {float}) / COUNT(*) END"
            ),
            Statistic::DistinctCount => {
                let count = match (dialect, approximate) {
                    (_, false) => format!("COUNT(DISTINCT {value})"),
                    (Dialect::BigQuery, true) => format!("APPROX_COUNT_DISTINCT({value})"),
                    (Dialect::DuckDb, true) => format!("approx_count_distinct({value})"),
                };
                format!("CAST({count} AS {float})")
            }
            Statistic::Quantile { q } => match (dialect, approximate) {
                (Dialect::BigQuery, true) => {
                    let (buckets, offset) = quantile_bucket(*q);
                    format!("APPROX_QUANTILES({number}, {buckets})[OFFSET({offset})]")
                }
                (Dialect::DuckDb, true) => {
                    // Its position is a FLOAT (32 bits): a DOUBLE
                    // parameter binds to no overload.
                    let q = self.query.bind(SqlValue::Float(*q));
                    format!("approx_quantile({number}, CAST({q} AS FLOAT))")
                }
                (Dialect::DuckDb, false) => {
                    let q = self.query.bind(SqlValue::Float(*q));
                    format!("quantile_cont({number}, {q})")
                }
                (Dialect::BigQuery, false) => {
                    let q = self.query.bind(SqlValue::Float(*q));
                    let alias = format!("__quantile_{name}");
                    windows.push(Window {
                        alias: alias.clone(),
                        expr: format!("PERCENTILE_CONT({number}, {q}) OVER ()"),
                    });
                    format!("MAX({alias})")
                }
            },
        };
        StatisticSql { aggregate, windows }
    }

    fn out_of_range(
        &mut self,
        column: &str,
        min: Option<&Bound>,
        max: Option<&Bound>,
    ) -> Result<String, String> {
        let field = self.field(column)?;
        let dialect = self.dialect();
        let quoted = dialect.column(column);
        let float = field.logical_type == LogicalType::Float64;
        let value = if float {
            format!("CAST({quoted} AS {})", dialect.float_type())
        } else {
            quoted.clone()
        };
        let mut conditions = Vec::new();
        for (bound, lower) in [(min, true), (max, false)] {
            let Some(bound) = bound else { continue };
            let limit = self.value(&bound.value, field)?;
            let operator = match (lower, bound.inclusive) {
                (true, true) => "<",
                (true, false) => "<=",
                (false, true) => ">",
                (false, false) => ">=",
            };
            conditions.push(format!("{value} {operator} {limit}"));
        }
        if float {
            // NaN and ±infinity are no real number: never within a range.
            conditions.push(match dialect {
                Dialect::BigQuery => format!("IS_NAN({quoted}) OR IS_INF({quoted})"),
                Dialect::DuckDb => format!("isnan({quoted}) OR isinf({quoted})"),
            });
        }
        Ok(any_of(conditions))
    }

    /// A constant as a parameter of the column's type (cast in SQL where a
    /// parameter cannot carry the type itself).
    fn value(&mut self, literal: &Literal, field: &Field) -> Result<String, String> {
        let dialect = self.dialect();
        let mismatch = || {
            format!(
                "a constant {literal} cannot be compared with the {} column `{}`",
                field.logical_type.sql_name(),
                field.name
            )
        };
        let cast =
            |placeholder: String, sql_type: &str| format!("CAST({placeholder} AS {sql_type})");
        Ok(match (&field.logical_type, literal) {
            (LogicalType::Int64, Literal::Int(int)) => self.query.bind(SqlValue::Int(*int)),
            (LogicalType::Float64, Literal::Int(int)) => {
                self.query.bind(SqlValue::Float(*int as f64))
            }
            (LogicalType::Float64, Literal::Float(float)) => {
                self.query.bind(SqlValue::Float(*float))
            }
            (numeric @ LogicalType::Numeric { .. }, Literal::Int(_) | Literal::Float(_)) => {
                let text = match literal {
                    Literal::Int(int) => int.to_string(),
                    Literal::Float(float) => float.to_string(),
                    _ => unreachable!("matched above"),
                };
                let placeholder = self.query.bind(SqlValue::String(text));
                cast(placeholder, &decimal_type(dialect, numeric))
            }
            (LogicalType::String, Literal::String(text)) => {
                self.query.bind(SqlValue::String(text.clone()))
            }
            (LogicalType::Bool, Literal::Bool(flag)) => self.query.bind(SqlValue::Bool(*flag)),
            (temporal, Literal::String(text)) => {
                let (text, sql_type) =
                    temporal_text(dialect, temporal, text).ok_or_else(mismatch)?;
                let placeholder = self.query.bind(SqlValue::String(text));
                cast(placeholder, sql_type)
            }
            _ => return Err(mismatch()),
        })
    }

    fn int(&mut self, value: u64) -> Result<String, String> {
        let value = i64::try_from(value).map_err(|_| format!("{value} is beyond INT64"))?;
        Ok(self.query.bind(SqlValue::Int(value)))
    }

    /// The field at a dotted path.
    fn field(&self, path: &str) -> Result<&'a Field, String> {
        let mut parts = path.split('.');
        let first = parts.next().unwrap_or(path);
        let mut field = self.contract.field(first);
        for part in parts {
            field = field.and_then(|f| f.sub_fields().iter().find(|s| s.name == part));
        }
        field
            .filter(|f| f.mode != Mode::Repeated)
            .ok_or_else(|| format!("the contract has no scalar column `{path}`"))
    }
}

/// The SQL type a decimal constant is cast to.
fn decimal_type(dialect: Dialect, numeric: &LogicalType) -> String {
    let (precision, scale) = numeric
        .decimal_precision_scale()
        .expect("called with a decimal type");
    match dialect {
        Dialect::BigQuery => "NUMERIC".into(),
        Dialect::DuckDb => format!("DECIMAL({precision}, {scale})"),
    }
}

/// An ISO 8601 constant in the canonical text both engines cast from, and
/// the type it is cast to.
fn temporal_text(
    dialect: Dialect,
    logical: &LogicalType,
    text: &str,
) -> Option<(String, &'static str)> {
    Some(match (logical, dialect) {
        (LogicalType::Date, _) => (
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()?
                .to_string(),
            "DATE",
        ),
        (LogicalType::Time, _) => (
            text.parse::<NaiveTime>()
                .ok()?
                .format("%H:%M:%S%.6f")
                .to_string(),
            "TIME",
        ),
        (LogicalType::DateTime, _) => {
            let civil = text
                .parse::<NaiveDateTime>()
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
                .ok()?;
            let sql_type = match dialect {
                Dialect::BigQuery => "DATETIME",
                Dialect::DuckDb => "TIMESTAMP",
            };
            (civil.format("%Y-%m-%d %H:%M:%S%.6f").to_string(), sql_type)
        }
        (LogicalType::Timestamp, _) => {
            let instant = DateTime::parse_from_rfc3339(text).ok()?.naive_utc();
            let sql_type = match dialect {
                Dialect::BigQuery => "TIMESTAMP",
                Dialect::DuckDb => "TIMESTAMPTZ",
            };
            (
                format!("{}+00:00", instant.format("%Y-%m-%d %H:%M:%S%.6f")),
                sql_type,
            )
        }
        _ => return None,
    })
}

/// `COALESCE((condition), FALSE)`: NULL never fails a check.
fn never_null(condition: &str) -> String {
    format!("COALESCE(({condition}), FALSE)")
}

/// The quantile `q` as BigQuery's `APPROX_QUANTILES(x, buckets)[OFFSET(offset)]`
/// spells it: `q` rounded to the nearest ten-thousandth (the derive refuses
/// an approximate `q` with more decimals), then the fewest buckets, 100,
/// 1 000 or 10 000, in which it is a whole bucket boundary
/// (`offset / buckets == q`), so that the ODCS import reads the same `q`
/// back from the query. `q` lies between 0 and 1.
pub fn quantile_bucket(q: f64) -> (u32, u32) {
    let q = (q.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0;
    for buckets in [100u32, 1_000] {
        let offset = (q * f64::from(buckets)).round();
        if offset / f64::from(buckets) == q {
            return (buckets, offset as u32);
        }
    }
    (10_000, (q * 10_000.0).round() as u32)
}

/// The OR of `conditions`; `FALSE` when there are none.
fn any_of(conditions: Vec<String>) -> String {
    if conditions.is_empty() {
        "FALSE".into()
    } else {
        conditions
            .into_iter()
            .map(|c| format!("({c})"))
            .collect::<Vec<_>>()
            .join(" OR ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Test, plan};

    fn contract() -> Contract {
        let mut price = Field::new(
            "price",
            LogicalType::Numeric {
                precision: None,
                scale: None,
            },
            Mode::Required,
        );
        price.constraints.push(crate::Constraint {
            kind: crate::ConstraintKind::Range {
                min: Some(Bound {
                    value: Literal::Int(0),
                    inclusive: false,
                }),
                max: None,
            },
            severity: crate::Severity::Error,
        });
        Contract {
            name: "trades".into(),
            version: "1.0.0".into(),
            description: None,
            fields: vec![price],
            dedup_key: None,
            partitioning: None,
            clustering: Vec::new(),
            default_severity: crate::Severity::Error,
            rules: Vec::new(),
            expectations: Vec::new(),
            freshness: None,
            drift: None,
            foreign_keys: Vec::new(),
            reconciliations: Vec::new(),
        }
    }

    fn range_test(contract: &Contract) -> RowTest {
        plan(contract)
            .into_iter()
            .find_map(|check| match check.test {
                Test::Row(test @ RowTest::Range { .. }) => Some(test),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn constants_are_parameters_cast_to_the_column_type() {
        let contract = contract();
        let test = range_test(&contract);
        let mut query = Query::new(Dialect::BigQuery);
        let sql = SqlCompiler::new(&contract, &mut query)
            .failure(&test, "0")
            .unwrap();
        assert_eq!(
            sql.failing,
            Failing::Rows("COALESCE(((`price` <= CAST(@p0 AS NUMERIC))), FALSE)".into())
        );
        assert_eq!(query.params, vec![SqlValue::String("0".into())]);

        let mut query = Query::new(Dialect::DuckDb);
        let sql = SqlCompiler::new(&contract, &mut query)
            .failure(&test, "0")
            .unwrap();
        assert_eq!(
            sql.failing,
            Failing::Rows("COALESCE(((\"price\" <= CAST($1 AS DECIMAL(38, 9)))), FALSE)".into())
        );
    }

    #[test]
    fn a_bound_of_the_wrong_type_is_refused_not_compiled() {
        let mut contract = contract();
        contract.fields[0].logical_type = LogicalType::Bool;
        let test = range_test(&contract);
        let mut query = Query::new(Dialect::DuckDb);
        let error = SqlCompiler::new(&contract, &mut query)
            .failure(&test, "0")
            .unwrap_err();
        assert!(error.contains("cannot be compared with the BOOL column `price`"));
    }

    #[test]
    fn timestamps_are_cast_from_canonical_utc_text() {
        assert_eq!(
            temporal_text(
                Dialect::DuckDb,
                &LogicalType::Timestamp,
                "2024-01-01T01:00:00+01:00"
            ),
            Some(("2024-01-01 00:00:00.000000+00:00".into(), "TIMESTAMPTZ"))
        );
        assert_eq!(
            temporal_text(Dialect::BigQuery, &LogicalType::Date, "2024-02-30"),
            None
        );
    }

    #[test]
    fn an_approximate_quantile_lands_on_a_bucket_boundary_of_the_same_value() {
        assert_eq!(quantile_bucket(0.5), (100, 50));
        assert_eq!(quantile_bucket(0.9), (100, 90));
        assert_eq!(quantile_bucket(0.999), (1_000, 999));
        assert_eq!(quantile_bucket(0.0001), (10_000, 1));
        assert_eq!(quantile_bucket(1.0), (100, 100));
        // Finer than a ten-thousandth: the nearest boundary.
        assert_eq!(quantile_bucket(0.123456), (10_000, 1_235));
        for q in [0.01, 0.25, 0.75, 0.95, 0.99, 0.995, 0.9999] {
            let (buckets, offset) = quantile_bucket(q);
            assert_eq!(f64::from(offset) / f64::from(buckets), q, "q = {q}");
        }
        // What the ODCS import reads back (offset / buckets) spells the
        // same query again, however fine the q it came from.
        for q in [0.12996, 0.99999, 0.00004, 0.12345, 0.123456] {
            let (buckets, offset) = quantile_bucket(q);
            let read_back = f64::from(offset) / f64::from(buckets);
            assert_eq!(quantile_bucket(read_back), (buckets, offset), "q = {q}");
        }
        assert_eq!(quantile_bucket(0.12996), (100, 13));
    }

    #[test]
    fn approximate_statistics_use_each_dialects_sketch() {
        let contract = contract();
        let compiled = |dialect, statistic: &Statistic, approximate| {
            let mut query = Query::new(dialect);
            SqlCompiler::new(&contract, &mut query)
                .statistic(statistic, "price", "0", approximate)
                .aggregate
        };
        let distinct = Statistic::DistinctCount;
        let median = Statistic::Quantile { q: 0.5 };
        assert_eq!(
            compiled(Dialect::BigQuery, &distinct, true),
            "CAST(APPROX_COUNT_DISTINCT(`price`) AS FLOAT64)"
        );
        assert_eq!(
            compiled(Dialect::BigQuery, &median, true),
            "APPROX_QUANTILES(CAST(`price` AS FLOAT64), 100)[OFFSET(50)]"
        );
        assert!(compiled(Dialect::DuckDb, &distinct, true).contains("approx_count_distinct("));
        assert!(compiled(Dialect::DuckDb, &median, true).starts_with("approx_quantile("));
        // Exact unless asked.
        assert!(compiled(Dialect::BigQuery, &distinct, false).contains("COUNT(DISTINCT"));
        assert_eq!(
            compiled(Dialect::BigQuery, &median, false),
            "MAX(__quantile_0)"
        );
    }

    fn repeated_key(dialect: Dialect, columns: &[&str]) -> RepeatedKey {
        let test = RowTest::Unique {
            columns: columns.iter().map(|c| c.to_string()).collect(),
        };
        let contract = contract();
        let mut query = Query::new(dialect);
        let sql = SqlCompiler::new(&contract, &mut query)
            .failure(&test, "0")
            .unwrap();
        assert!(sql.windows.is_empty(), "a key is counted by grouping");
        match sql.failing {
            Failing::RepeatedKey(key) => key,
            other => panic!("a key compiled to {other:?}"),
        }
    }

    #[test]
    fn a_key_is_counted_by_its_repeated_groups_a_single_column_without_nulls() {
        let pair = repeated_key(Dialect::DuckDb, &["a", "b"]);
        assert_eq!(
            pair.counts("(SELECT * FROM t) AS __t", "__f0", Some("__k0"), None),
            "SELECT COALESCE(SUM(__n), 0) AS __f0, COUNT(*) AS __k0 FROM (SELECT COUNT(*) AS __n \
             FROM (SELECT * FROM t) AS __t GROUP BY \"a\", \"b\" HAVING COUNT(*) > 1) AS __repeated"
        );
        let single = repeated_key(Dialect::BigQuery, &["a"]);
        assert_eq!(
            single.counts("t", "__f0", None, None),
            "SELECT COALESCE(SUM(__n), 0) AS __f0 FROM (SELECT COUNT(*) AS __n FROM t \
             WHERE `a` IS NOT NULL GROUP BY `a` HAVING COUNT(*) > 1) AS __repeated"
        );
    }

    #[test]
    fn the_first_repeated_groups_are_found_by_their_first_rows_and_their_rows_by_those() {
        let order = ArrivalOrder {
            created_at: "\"created_at\"".into(),
            row: "\"row\"".into(),
        };
        let pair = repeated_key(Dialect::DuckDb, &["a", "b"]);
        let first = pair
            .first_groups(order.clone(), "__f0_first".into(), 3)
            .unwrap();
        assert_eq!(
            pair.first_groups(order.clone(), "__f0_first".into(), 0),
            None
        );
        let bigquery = repeated_key(Dialect::BigQuery, &["a"]);
        assert_eq!(
            bigquery.first_groups(order.clone(), "__f0_first".into(), 3),
            None
        );
        let position = |prefix: &str| {
            format!(
                "CAST(epoch_us({prefix}\"created_at\") AS HUGEINT) * 18446744073709551616 \
                 + {prefix}\"row\""
            )
        };
        assert_eq!(
            pair.counts("t", "__f0", None, Some(&first)),
            format!(
                "SELECT COALESCE(SUM(__n), 0) AS __f0, \
                 [CAST(__at AS VARCHAR) FOR __at IN min(__first, 3)] AS __f0_first \
                 FROM (SELECT COUNT(*) AS __n, MIN({}) AS __first FROM t \
                 GROUP BY \"a\", \"b\" HAVING COUNT(*) > 1) AS __repeated",
                position("")
            )
        );
        let mut query = Query::new(Dialect::DuckDb);
        let positions = ["5".to_string(), "18446744073709551623".to_string()];
        assert_eq!(
            pair.rows_starting_at("__t", "t AS __all", &order, &positions, &mut query),
            format!(
                "EXISTS (SELECT 1 FROM t AS __all WHERE {} IN \
                 (CAST($1 AS HUGEINT), CAST($2 AS HUGEINT)) \
                 AND __all.\"a\" IS NOT DISTINCT FROM __t.\"a\" \
                 AND __all.\"b\" IS NOT DISTINCT FROM __t.\"b\")",
                position("__all.")
            )
        );
        assert_eq!(
            query.params,
            [
                SqlValue::String("5".into()),
                SqlValue::String("18446744073709551623".into())
            ]
        );
    }

    #[test]
    fn a_keys_examples_are_a_semi_join_in_duckdb_and_a_window_in_bigquery() {
        let duckdb =
            repeated_key(Dialect::DuckDb, &["a", "b"]).rows_of("__t", || "t AS __all".into());
        assert_eq!(
            duckdb.condition,
            "EXISTS (SELECT 1 FROM (SELECT \"a\" AS __key0, \"b\" AS __key1, COUNT(*) AS __n \
             FROM t AS __all GROUP BY \"a\", \"b\" HAVING COUNT(*) > 1) AS __repeated \
             WHERE __repeated.__key0 IS NOT DISTINCT FROM __t.\"a\" \
             AND __repeated.__key1 IS NOT DISTINCT FROM __t.\"b\")"
        );
        assert!(duckdb.windows.is_empty());
        let bigquery = repeated_key(Dialect::BigQuery, &["a"])
            .rows_of("__t", || unreachable!("BigQuery reads the rows once"));
        assert_eq!(bigquery.condition, "__key_rows > 1 AND `a` IS NOT NULL");
        assert_eq!(
            bigquery.windows,
            [Window {
                alias: "__key_rows".into(),
                expr: "COUNT(*) OVER (PARTITION BY `a`)".into(),
            }]
        );
    }
}
