//! The layout of the one measuring pass, written once for every engine:
//! which outputs each check needs, under which column names, and how they
//! are read back into measurements.
//!
//! An engine turns each [`Output`] into an expression of its own (a Polars
//! column, a SQL aggregate) and reads the pass's results by name; what the
//! results mean, and that a count which is not a count is an error and
//! never a pass, is decided here.

use polars::prelude::AnyValue;

use super::ValidationError;
use super::driver::{Check, Engine, Measure, Measured, Other};

/// The pass's column holding the number of rows read.
pub(crate) const ROWS: &str = "__rows";

/// One output of the measuring pass.
pub(crate) enum Output<'c, E: Engine + ?Sized> {
    /// The rows failing a check: a per-row flag (in memory) or their
    /// count (in a warehouse).
    Failing(&'c E::Predicate),
    /// The count of duplicated keys. In memory, the failing rows that are
    /// the first of their key; in a warehouse, the groups of the key that
    /// the failing rows' count groups too, counted beside it.
    FirstOfKey {
        /// The name of the output holding the failing rows.
        failing_output: String,
        /// What tells the duplicated keys apart: a flag true on the first
        /// row of each key (in memory), the key itself (in a warehouse).
        first: &'c E::Predicate,
    },
    /// An aggregate's value.
    Value(&'c E::Aggregate),
}

/// Every output the checks need, each with its column name (`__f{i}`,
/// `__k{i}`, `__c{i}`, `__o{i}` for check `i`), in the checks' order.
pub(crate) fn outputs<E: Engine + ?Sized>(checks: &[Check<E>]) -> Vec<(String, Output<'_, E>)> {
    let mut outputs = Vec::new();
    for (index, check) in checks.iter().enumerate() {
        match &check.measure {
            Measure::Rows { predicates, .. } => {
                outputs.push((failing(index), Output::Failing(&predicates.failing)));
                if let Some(first) = &predicates.first_of_key {
                    let output = Output::FirstOfKey {
                        failing_output: failing(index),
                        first,
                    };
                    outputs.push((keys(index), output));
                }
            }
            Measure::Statistic {
                aggregate: Some(aggregate),
                ..
            }
            | Measure::Freshness {
                newest: aggregate, ..
            } => outputs.push((value(index), Output::Value(aggregate))),
            Measure::Reconcile { ours, theirs, .. } => {
                outputs.push((value(index), Output::Value(ours)));
                if let Other::Aggregate(theirs) = theirs {
                    outputs.push((other(index), Output::Value(theirs)));
                }
            }
            Measure::Statistic {
                aggregate: None, ..
            }
            | Measure::Skip => {}
        }
    }
    outputs
}

/// Reads each check's measurement back from a pass over `rows` rows:
/// `read(name, output)` is the value of the output named `name`. A count
/// that is NULL over no rows is 0; NULL over rows, or anything else that is
/// not a count, is an error naming the check.
pub(crate) fn read<E: Engine + ?Sized>(
    checks: &[Check<E>],
    rows: u64,
    mut read: impl FnMut(&str) -> Result<AnyValue<'static>, ValidationError>,
) -> Result<Vec<Measured>, ValidationError> {
    let mut measured = Vec::with_capacity(checks.len());
    for (index, check) in checks.iter().enumerate() {
        let mut count = |name: &str| -> Result<u64, ValidationError> {
            match read(name)? {
                AnyValue::Null if rows == 0 => Ok(0),
                other => other
                    .extract::<u64>()
                    .ok_or_else(|| ValidationError::Unmeasured {
                        check: check.result.id.clone(),
                        problem: format!("the pass's `{name}` is `{other}`, not a count"),
                    }),
            }
        };
        measured.push(match &check.measure {
            Measure::Rows { predicates, .. } => Measured::Rows {
                failing: count(&failing(index))?,
                distinct_keys: match &predicates.first_of_key {
                    Some(_) => Some(count(&keys(index))?),
                    None => None,
                },
            },
            Measure::Statistic {
                aggregate: Some(_), ..
            }
            | Measure::Freshness { .. } => Measured::Value(read(&value(index))?),
            Measure::Reconcile { theirs, .. } => {
                let theirs = match theirs {
                    Other::Value(value) => value.clone(),
                    Other::Aggregate(_) => read(&other(index))?,
                };
                Measured::Pair(read(&value(index))?, theirs)
            }
            Measure::Statistic {
                aggregate: None, ..
            }
            | Measure::Skip => Measured::Nothing,
        });
    }
    Ok(measured)
}

/// The name of check `index`'s failing rows in the pass.
pub(crate) fn failing(index: usize) -> String {
    format!("__f{index}")
}

/// The name of check `index`'s distinct failing keys in the pass.
pub(crate) fn keys(index: usize) -> String {
    format!("__k{index}")
}

fn value(index: usize) -> String {
    format!("__c{index}")
}

/// The name of check `index`'s value of another table in the pass.
fn other(index: usize) -> String {
    format!("__o{index}")
}
