//! The one validation algorithm, over any [`Engine`]: compare the columns
//! with the contract, compile every planned check, measure them all in one
//! pass, conclude each check from its measurement, fetch examples of the
//! failures, and split the rows when asked.
//!
//! An engine only says how to compile and measure: Polars in memory
//! ([`super::in_memory`]), SQL in a warehouse ([`super::warehouse`]). What a
//! measurement means (a status, failing rows, an observed value, the
//! duplicated keys) is decided here, once, so engines cannot diverge on it.
//! A measurement an engine fails to return is an error, never a pass.

use std::time::Instant;

use chrono::{DateTime, Utc};
use polars::prelude::{AnyValue, DataType, Schema};

use super::outcome::{
    conclude_freshness, conclude_reconcile, conclude_rows, conclude_statistic, dtype_at,
    planned_result, skipped,
};
use super::{Options, SchemaPolicy, TextFormats, ValidationError, elapsed_ms};
use crate::check::{CheckKind, PlannedCheck, RowTest, Test, plan};
use crate::report::{CheckResult, Example, Report, Split, Status};
use crate::{Contract, Literal, Statistic};

/// A way of measuring a contract's checks over some rows. Implementing it
/// is all a new engine needs: the driver ([`run`]) does the rest.
pub(crate) trait Engine {
    /// A row predicate: true exactly on failing rows, never NULL.
    type Predicate;
    /// An aggregate over the rows.
    type Aggregate;

    /// The engine's name, as a skipped check's reason gives it.
    const NAME: &'static str;

    /// Compares the data's columns with `contract` under `policy`. Returns
    /// what was found and the checks the engine adds of its own (in
    /// memory: one `<column>.parse` check per coerced column).
    fn conform(
        &mut self,
        contract: &Contract,
        policy: SchemaPolicy,
        formats: &TextFormats,
    ) -> Result<(SchemaVerdict, Vec<Check<Self>>), ValidationError>;

    /// Compiles a row test. `name` is unique per check; with `dedup_key`,
    /// also a predicate true on one row of each key, so that its count is
    /// the number of distinct keys. An error skips the check with it.
    fn row_test(
        &mut self,
        test: &RowTest,
        dedup_key: bool,
        name: &str,
    ) -> Result<RowPredicates<Self::Predicate>, String>;

    /// Whether [`Engine::statistic`] measures with an approximate aggregate
    /// when asked to; an engine that cannot measures exactly either way.
    const APPROXIMATES: bool;

    /// Compiles `statistic` of the column at the dotted path `column`; with
    /// `approximate`, an approximable statistic (a quantile, a distinct
    /// count) may use an approximate aggregate.
    fn statistic(
        &mut self,
        statistic: &Statistic,
        column: &str,
        name: &str,
        approximate: bool,
    ) -> Self::Aggregate;

    /// Compiles the newest value of the column at `column`.
    fn newest(&mut self, column: &str) -> Self::Aggregate;

    /// `statistic` of `column` (`None` for the row count) of another
    /// table, `table` (a contract's name): measured now over its rows in
    /// memory, an aggregate of this pass (a subquery) in a warehouse. An
    /// error fails the validation: the check cannot run.
    fn other_statistic(
        &mut self,
        statistic: &Statistic,
        table: &str,
        column: Option<&str>,
        name: &str,
    ) -> Result<Other<Self::Aggregate>, String>;

    /// Measures every check in one pass over the rows: one [`Measured`]
    /// per check, in order.
    fn measure(&mut self, checks: &[Check<Self>]) -> Result<Measurements, ValidationError>;

    /// Up to `max` failing rows of each check in `wanted` (indices into
    /// `checks`, all row checks), in the order the rows arrived, with the
    /// columns of [`Check::shown`].
    fn examples(
        &mut self,
        checks: &[Check<Self>],
        wanted: &[usize],
        max: usize,
    ) -> Result<Vec<Vec<Example>>, ValidationError>;

    /// The valid and the quarantined rows, where rows can leave the
    /// engine; a warehouse keeps them (`None`).
    fn split(&mut self, checks: &[Check<Self>]) -> Result<Option<Split>, ValidationError> {
        let _ = checks;
        Ok(None)
    }
}

/// What comparing the data's columns with the contract found.
#[derive(Debug, Clone, Default)]
pub(crate) struct SchemaVerdict {
    /// One failed schema check per problem.
    pub findings: Vec<CheckResult>,
    /// Top-level columns whose checks cannot run, with the reason; the
    /// first reason given for a column is the one reported.
    pub unusable: Vec<(String, String)>,
}

impl SchemaVerdict {
    /// Why checks on `column` (a dotted path) cannot run, if they cannot.
    pub fn unusable_reason(&self, column: &str) -> Option<&str> {
        let top = column.split('.').next().unwrap_or(column);
        self.unusable
            .iter()
            .find(|(name, _)| name == top)
            .map(|(_, reason)| reason.as_str())
    }
}

/// A compiled row test.
pub(crate) struct RowPredicates<P> {
    /// Which rows fail: true on failing rows (or, in a warehouse, the
    /// key whose repeated rows fail).
    pub failing: P,
    /// For a dedup key, what counts its duplicated keys: true on one
    /// failing row of each key (or, in a warehouse, the key again).
    pub first_of_key: Option<P>,
}

/// One check on its way through the driver.
pub(crate) struct Check<E: Engine + ?Sized> {
    /// Its result, filled in as it is measured.
    pub result: CheckResult,
    /// What the engine measures for it.
    pub measure: Measure<E>,
    /// The columns an example shows: (name shown, column read).
    pub shown: Vec<(String, String)>,
}

/// What an engine measures for one check.
pub(crate) enum Measure<E: Engine + ?Sized> {
    /// The failing rows.
    Rows {
        /// The planned test (`None` for an engine's own checks).
        test: Option<RowTest>,
        /// The compiled predicates.
        predicates: RowPredicates<E::Predicate>,
    },
    /// An aggregate, compared with bounds.
    Statistic {
        /// `None` for the row count, which every pass measures.
        aggregate: Option<E::Aggregate>,
        /// What is measured.
        statistic: Statistic,
        /// The least value allowed.
        min: Option<Literal>,
        /// The greatest value allowed.
        max: Option<Literal>,
        /// The column's contract dtype (bounds are read in it).
        dtype: Option<DataType>,
    },
    /// This table's value and another table's, compared.
    Reconcile {
        /// This table's aggregate.
        ours: E::Aggregate,
        /// The other table's.
        theirs: Other<E::Aggregate>,
        /// What both measure.
        statistic: Statistic,
        /// The largest difference allowed, relative to the other's value.
        tolerance: f64,
    },
    /// The newest value, compared with the reference time.
    Freshness {
        /// The newest value's aggregate.
        newest: E::Aggregate,
        /// The greatest age allowed.
        max_age_seconds: u64,
    },
    /// Nothing: the check is reported as skipped.
    Skip,
}

/// Another table's value: already measured, or an aggregate of the pass.
pub(crate) enum Other<A> {
    /// Measured before the pass.
    Value(AnyValue<'static>),
    /// Measured by the pass.
    Aggregate(A),
}

/// What one pass measured.
#[derive(Debug)]
pub(crate) struct Measurements {
    /// The rows read.
    pub rows: u64,
    /// One per check, in order.
    pub checks: Vec<Measured>,
}

/// What one pass measured for one check.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Measured {
    /// A row check's failing rows, and for a dedup key the distinct keys
    /// among them.
    Rows {
        /// The failing rows.
        failing: u64,
        /// The distinct failing keys (dedup keys only).
        distinct_keys: Option<u64>,
    },
    /// An aggregate's value.
    Value(AnyValue<'static>),
    /// This table's value and another table's.
    Pair(AnyValue<'static>, AnyValue<'static>),
    /// Nothing (a skipped check, or the row count).
    Nothing,
}

/// Runs every check of `contract` through `engine` and adds the results to
/// `report`.
pub(crate) fn run<E: Engine>(
    engine: &mut E,
    contract: &Contract,
    options: &Options,
    report: &mut Report,
) -> Result<(), ValidationError> {
    let started = Instant::now();
    let (verdict, mut checks) =
        engine.conform(contract, options.schema_policy, &options.formats)?;
    report.checks.extend(verdict.findings.iter().cloned());
    report.timings.schema_ms = elapsed_ms(started);

    let started = Instant::now();
    let expected = contract.polars_schema();
    for planned in plan(contract) {
        let name = checks.len().to_string();
        checks.push(compile(engine, planned, &verdict, &expected, &name)?);
    }
    let measurements = engine.measure(&checks)?;
    if measurements.checks.len() != checks.len() {
        return Err(ValidationError::Unmeasured {
            check: "every check".into(),
            problem: format!(
                "the {} pass measured {} checks of {}",
                E::NAME,
                measurements.checks.len(),
                checks.len()
            ),
        });
    }
    report.input.rows = measurements.rows;
    let reference = options.reference_time.unwrap_or_else(Utc::now);
    for (check, measured) in checks.iter_mut().zip(measurements.checks) {
        conclude::<E>(check, measured, measurements.rows, reference)?;
    }
    report.timings.checks_ms = elapsed_ms(started);

    let started = Instant::now();
    let wanted: Vec<usize> = checks
        .iter()
        .enumerate()
        .filter(|(_, check)| {
            matches!(check.measure, Measure::Rows { .. }) && check.result.status == Status::Fail
        })
        .map(|(index, _)| index)
        .collect();
    if options.max_examples > 0 && !wanted.is_empty() {
        let examples = engine.examples(&checks, &wanted, options.max_examples)?;
        for (index, examples) in wanted.into_iter().zip(examples) {
            checks[index].result.examples = examples;
        }
    }
    report.timings.examples_ms = elapsed_ms(started);

    if options.split {
        let started = Instant::now();
        report.split = engine.split(&checks)?;
        report.timings.split_ms = elapsed_ms(started);
    }
    report
        .checks
        .extend(checks.into_iter().map(|check| check.result));
    Ok(())
}

/// Compiles one planned check for `engine`, or skips it with the reason.
/// A check across tables (a foreign key, a reconciliation) that cannot
/// run is an error instead: the other table's rows or columns are the
/// call's to give, and a skip would pass what was never checked.
fn compile<E: Engine>(
    engine: &mut E,
    check: PlannedCheck,
    verdict: &SchemaVerdict,
    expected: &Schema,
    name: &str,
) -> Result<Check<E>, ValidationError> {
    let mut result = planned_result(&check);
    let shown = shown_columns(&check.columns);
    let skip = |result: CheckResult, reason: String| {
        Ok(Check {
            result: skipped(result, reason),
            measure: Measure::Skip,
            shown: Vec::new(),
        })
    };
    let across_tables = matches!(check.kind, CheckKind::References | CheckKind::Reconcile);
    let cannot_run = |result: CheckResult, reason: String| {
        let reason = format!("cannot run in {}: {reason}", E::NAME);
        if across_tables {
            Err(ValidationError::Unmeasured {
                check: result.id,
                problem: reason,
            })
        } else {
            skip(result, reason)
        }
    };
    if let Some(reason) = check
        .columns
        .iter()
        .find_map(|column| verdict.unusable_reason(column))
    {
        return skip(result, format!("skipped: {reason}"));
    }
    let measure = match check.test {
        Test::Row(test) => {
            let dedup_key = check.kind == CheckKind::DedupKey;
            match engine.row_test(&test, dedup_key, name) {
                Ok(predicates) => Measure::Rows {
                    test: Some(test),
                    predicates,
                },
                Err(reason) => return cannot_run(result, reason),
            }
        }
        Test::Statistic {
            column,
            statistic,
            min,
            max,
            approximate,
        } => {
            let approximate = approximate && statistic.is_approximable() && E::APPROXIMATES;
            result.approximate = approximate;
            Measure::Statistic {
                aggregate: column
                    .as_deref()
                    .map(|column| engine.statistic(&statistic, column, name, approximate)),
                dtype: column
                    .as_deref()
                    .and_then(|column| dtype_at(expected, column)),
                statistic,
                min,
                max,
            }
        }
        Test::Freshness {
            column,
            max_age_seconds,
        } => Measure::Freshness {
            newest: engine.newest(&column),
            max_age_seconds,
        },
        Test::Reconcile {
            statistic,
            column,
            table,
            other_column,
            tolerance,
        } => {
            let theirs =
                match engine.other_statistic(&statistic, &table, other_column.as_deref(), name) {
                    Ok(theirs) => theirs,
                    Err(reason) => return cannot_run(result, reason),
                };
            Measure::Reconcile {
                ours: engine.statistic(
                    &statistic,
                    column.as_deref().unwrap_or_default(),
                    name,
                    false,
                ),
                theirs,
                statistic,
                tolerance,
            }
        }
        Test::Unsupported { reason } => return skip(result, reason),
    };
    Ok(Check {
        result,
        measure,
        shown,
    })
}

/// The top-level columns of `columns`, once each, shown as they are read.
fn shown_columns(columns: &[String]) -> Vec<(String, String)> {
    let mut shown: Vec<(String, String)> = Vec::new();
    for column in columns {
        let top = column.split('.').next().unwrap_or(column);
        if !shown.iter().any(|(name, _)| name == top) {
            shown.push((top.to_string(), top.to_string()));
        }
    }
    shown
}

/// Sets a check's status and observation from what was measured for it.
fn conclude<E: Engine>(
    check: &mut Check<E>,
    measured: Measured,
    rows: u64,
    reference: DateTime<Utc>,
) -> Result<(), ValidationError> {
    let id = check.result.id.clone();
    let result = &mut check.result;
    let unmeasured = |what: &str| ValidationError::Unmeasured {
        check: id.clone(),
        problem: format!("the {} pass returned no {what}", E::NAME),
    };
    match (&check.measure, measured) {
        (Measure::Skip, Measured::Nothing) => {}
        (
            Measure::Rows { predicates, .. },
            Measured::Rows {
                failing,
                distinct_keys,
            },
        ) => {
            conclude_rows(result, failing, rows);
            if predicates.first_of_key.is_some() && result.status == Status::Fail {
                let keys = distinct_keys.ok_or_else(|| unmeasured("count of duplicated keys"))?;
                result.observed = Some(serde_json::json!({
                    "duplicated_rows": failing,
                    "duplicated_keys": keys,
                }));
            }
        }
        (
            Measure::Statistic {
                aggregate,
                statistic,
                min,
                max,
                dtype,
            },
            measured,
        ) => {
            let observed = match (aggregate, measured) {
                (None, Measured::Nothing) if *statistic == Statistic::RowCount => {
                    AnyValue::Float64(rows as f64)
                }
                (Some(_), Measured::Value(value)) => value,
                _ => return Err(unmeasured("value of the statistic")),
            };
            conclude_statistic(
                result,
                &observed,
                statistic,
                dtype.as_ref(),
                min.as_ref(),
                max.as_ref(),
            )
            .map_err(|problem| ValidationError::Unmeasured {
                check: id.clone(),
                problem,
            })?;
        }
        (
            Measure::Freshness {
                max_age_seconds, ..
            },
            Measured::Value(newest),
        ) => conclude_freshness(result, &newest, *max_age_seconds, reference),
        (
            Measure::Reconcile {
                statistic,
                tolerance,
                ..
            },
            Measured::Pair(ours, theirs),
        ) => conclude_reconcile(result, &ours, &theirs, statistic, *tolerance).map_err(
            |problem| ValidationError::Unmeasured {
                check: id.clone(),
                problem,
            },
        )?,
        (Measure::Reconcile { .. }, _) => return Err(unmeasured("values of both tables")),
        (Measure::Rows { .. }, _) => return Err(unmeasured("count of failing rows")),
        (Measure::Freshness { .. }, _) => return Err(unmeasured("newest value")),
        (Measure::Skip, measured) => {
            return Err(ValidationError::Unmeasured {
                check: id,
                problem: format!(
                    "the {} pass measured a skipped check: {measured:?}",
                    E::NAME
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use polars::prelude::{Expr, col};

    use super::super::in_memory::InMemory;
    use super::super::outcome::skeleton;
    use super::*;
    use crate::Severity;

    fn dedup_key() -> Check<InMemory> {
        Check {
            result: skeleton(
                "dedup_key".into(),
                CheckKind::DedupKey,
                vec!["id".into()],
                Severity::Error,
                "one row per (id)".into(),
            ),
            measure: Measure::Rows {
                test: None,
                predicates: RowPredicates {
                    failing: col("f"),
                    first_of_key: Some(col("k")),
                },
            },
            shown: Vec::new(),
        }
    }

    #[test]
    fn a_failed_dedup_key_without_its_count_of_keys_is_an_error() {
        let mut check = dedup_key();
        let measured = Measured::Rows {
            failing: 3,
            distinct_keys: None,
        };
        let error = conclude(&mut check, measured, 10, Utc::now()).unwrap_err();
        assert!(
            error.to_string().contains("dedup_key")
                && error.to_string().contains("duplicated keys"),
            "{error}"
        );
        let mut check = dedup_key();
        let measured = Measured::Rows {
            failing: 3,
            distinct_keys: Some(1),
        };
        conclude(&mut check, measured, 10, Utc::now()).unwrap();
        assert_eq!(check.result.status, Status::Fail);
        assert_eq!(
            check.result.observed,
            Some(serde_json::json!({"duplicated_rows": 3, "duplicated_keys": 1}))
        );
    }

    #[test]
    fn a_measurement_of_the_wrong_kind_is_an_error() {
        let statistic = |aggregate: Option<Expr>| Check::<InMemory> {
            result: skeleton(
                "price.mean".into(),
                CheckKind::Expectation,
                vec!["price".into()],
                Severity::Error,
                "mean".into(),
            ),
            measure: Measure::Statistic {
                aggregate,
                statistic: Statistic::Mean,
                min: Some(Literal::Int(1)),
                max: None,
                dtype: None,
            },
            shown: Vec::new(),
        };
        let nothing = conclude(
            &mut statistic(Some(col("c"))),
            Measured::Nothing,
            3,
            Utc::now(),
        );
        assert!(nothing.is_err());
        // Only the row count is measured by the pass itself.
        let mean_of_nothing = conclude(&mut statistic(None), Measured::Nothing, 3, Utc::now());
        assert!(mean_of_nothing.is_err());
        let rows = Measured::Rows {
            failing: 0,
            distinct_keys: None,
        };
        assert!(
            conclude(
                &mut dedup_key(),
                Measured::Value(AnyValue::Null),
                3,
                Utc::now()
            )
            .is_err()
        );
        assert!(conclude(&mut statistic(Some(col("c"))), rows, 3, Utc::now()).is_err());
    }
}
