//! The in-memory [`Engine`]: Polars. Every check is one expression of a
//! single query over the frame (a boolean column per row check, `true` on
//! failing rows, and a scalar per aggregate); the examples are a second,
//! bounded query for the rows the first one flagged; the split filters the
//! frame on the same predicates.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use super::conformance::conform;
use super::driver::{Check, Engine, Measure, Measurements, Other, RowPredicates, SchemaVerdict};
use super::native::{self, streamed_key};
use super::outcome::{dtype_at, skeleton};
use super::pass::{self, Output};
use super::values::json_value;
use super::{Kernels, References, SchemaPolicy, TextFormats, ValidationError};
use crate::check::polars_expr::{
    column, failure, referenced_keys, referenced_marker, statistic, unreferenced,
};
use crate::check::{CheckKind, RowTest};
use crate::report::{Example, FAILED_CHECKS_COLUMN, Split};
use crate::{Contract, Severity, Statistic};

/// The column holding each row's index in the examples query.
const ROW_INDEX: &str = "__datacontract_row";
/// The column marking the rows a count is taken among.
const FLAGGED: &str = "__datacontract_flagged";

/// A frame (or a lazy scan) and what its single pass measured.
pub(super) struct InMemory {
    frame: LazyFrame,
    /// Whether to run on the streaming engine (scans of files).
    streaming: bool,
    /// Which code evaluates the hot row checks.
    kernels: Kernels,
    /// The frame's columns as they came, before any cast.
    actual: Schema,
    /// The contract's columns, in which bounds are compared.
    expected: Schema,
    /// The single pass: one flag column per row check, kept to find the
    /// rows of the examples.
    pass: Option<DataFrame>,
    /// The rows of the tables foreign keys reference.
    references: References,
}

impl InMemory {
    /// An engine over `frame`.
    pub(super) fn new(
        frame: LazyFrame,
        streaming: bool,
        kernels: Kernels,
        references: &References,
    ) -> Self {
        InMemory {
            frame,
            streaming,
            kernels,
            actual: Schema::default(),
            expected: Schema::default(),
            pass: None,
            references: references.clone(),
        }
    }

    /// Marks, in the column `marker`, the rows whose key (`columns`) some
    /// row of `table` holds in `referenced`: a left join with that table's
    /// distinct keys, which keeps the rows in order. Each referenced column
    /// must hold the key column's type, or text (of a CSV file) that
    /// parses as it.
    fn mark_referenced(
        &mut self,
        columns: &[String],
        table: &str,
        referenced: &[String],
        marker: &str,
    ) -> Result<(), String> {
        let mut rows = self
            .references
            .rows(table)
            .ok_or_else(|| format!("the rows of table `{table}` were not given"))?
            .clone();
        let given = rows
            .collect_schema()
            .map_err(|error| format!("the rows of table `{table}` cannot be read: {error}"))?;
        let mut dtypes = Vec::with_capacity(columns.len());
        for (ours, theirs) in columns.iter().zip(referenced) {
            let wanted = dtype_at(&self.expected, ours)
                .ok_or_else(|| format!("the contract has no column `{ours}`"))?;
            let found = given
                .get(theirs)
                .ok_or_else(|| format!("the rows of table `{table}` have no column `{theirs}`"))?;
            let fits = found == &wanted
                || found == &DataType::String
                || (found.is_integer() && wanted.is_integer());
            if !fits {
                return Err(format!(
                    "`{table}.{theirs}` is {found} in the rows given, but `{ours}` is {wanted}"
                ));
            }
            dtypes.push(wanted);
        }
        let keys = referenced_keys(rows, columns, referenced, &dtypes, marker);
        let on: Vec<Expr> = columns.iter().map(|c| col(c.as_str())).collect();
        let args = JoinArgs {
            maintain_order: MaintainOrderJoin::Left,
            ..JoinArgs::new(JoinType::Left)
        };
        self.frame = self.frame.clone().join(keys, &on, &on, args);
        Ok(())
    }

    fn collect(&self, frame: LazyFrame) -> PolarsResult<DataFrame> {
        if self.streaming {
            Ok(frame
                .collect_with_engine(polars::prelude::Engine::Streaming)?
                .unwrap_single())
        } else {
            frame.collect()
        }
    }

    /// The rows where `predicate` holds among those the pass flagged in
    /// its column `flags` (none read when no row is flagged).
    fn count_among(
        &self,
        pass: &DataFrame,
        flags: &str,
        predicate: &Expr,
    ) -> Result<u64, ValidationError> {
        let flagged = pass.column(flags)?.bool()?;
        if flagged.sum().unwrap_or(0) == 0 {
            return Ok(0);
        }
        let mask = flagged.clone().into_series().with_name(FLAGGED.into());
        let counted = self.collect(
            self.frame
                .clone()
                .with_column(lit(mask))
                .filter(col(FLAGGED))
                .select([predicate
                    .clone()
                    .sum()
                    .cast(DataType::UInt64)
                    .alias(FLAGGED)]),
        )?;
        let count = counted.column(FLAGGED)?.get(0)?;
        Ok(count.extract::<u64>().ok_or_else(
            || polars_err!(ComputeError: "counting among the rows of `{flags}` gave `{count}`"),
        )?)
    }

    /// The uniqueness checks whose key the pass hashes rather than groups
    /// (with their key's columns): over a streamed input, with the native
    /// kernels, where every column of the key has a row hash.
    fn hashed_keys<'c>(&self, checks: &'c [Check<Self>]) -> Vec<(usize, &'c [String])> {
        if !self.streaming || self.kernels != Kernels::Native {
            return Vec::new();
        }
        checks
            .iter()
            .enumerate()
            .filter_map(|(index, check)| match &check.measure {
                Measure::Rows {
                    test: Some(RowTest::Unique { columns }),
                    ..
                } if streamed_key::hashable(&self.frame, columns) => {
                    Some((index, columns.as_slice()))
                }
                _ => None,
            })
            .collect()
    }

    fn pass(&self) -> Result<&DataFrame, ValidationError> {
        self.pass
            .as_ref()
            .ok_or_else(|| ValidationError::Unmeasured {
                check: "every check".into(),
                problem: "examples were asked for before the Polars pass ran".into(),
            })
    }
}

impl Engine for InMemory {
    type Predicate = Expr;
    type Aggregate = Expr;
    const NAME: &'static str = "Polars";
    /// In memory a sort or a set of the values is cheap: always exact.
    const APPROXIMATES: bool = false;

    fn conform(
        &mut self,
        contract: &Contract,
        policy: SchemaPolicy,
        formats: &TextFormats,
    ) -> Result<(SchemaVerdict, Vec<Check<Self>>), ValidationError> {
        self.actual = (*self.frame.collect_schema()?).clone();
        self.expected = contract.polars_schema();
        let conformance = conform(&self.frame, contract, policy, formats)?;
        let mut parse_checks = Vec::new();
        if !conformance.casts.is_empty() {
            let casts = &conformance.casts;
            let raw: Vec<Expr> = casts
                .iter()
                .map(|c| col(c.column.as_str()).alias(raw_column(&c.column)))
                .collect();
            let cast: Vec<Expr> = casts.iter().map(|c| c.cast.clone()).collect();
            // From the raw and the cast columns: each value is parsed once.
            let lost: Vec<Expr> = casts
                .iter()
                .map(|c| {
                    c.lost_between(col(raw_column(&c.column)), col(c.column.as_str()))
                        .alias(lost_column(&c.column))
                })
                .collect();
            self.frame = self
                .frame
                .clone()
                .with_columns(raw)
                .with_columns(cast)
                .with_columns(lost);
            for cast in casts {
                parse_checks.push(Check {
                    result: skeleton(
                        format!("{}.parse", cast.column),
                        CheckKind::Schema,
                        vec![cast.column.clone()],
                        Severity::Error,
                        format!("every value parses ({})", cast.description),
                    ),
                    measure: Measure::Rows {
                        test: None,
                        predicates: RowPredicates {
                            failing: col(lost_column(&cast.column)),
                            first_of_key: None,
                        },
                    },
                    // The text as it was read: the parsed value is NULL.
                    shown: vec![(cast.column.clone(), raw_column(&cast.column))],
                });
            }
        }
        Ok((conformance.verdict, parse_checks))
    }

    fn row_test(
        &mut self,
        test: &RowTest,
        dedup_key: bool,
        name: &str,
    ) -> Result<RowPredicates<Expr>, String> {
        if let RowTest::References {
            columns,
            table,
            referenced,
        } = test
        {
            let marker = referenced_marker(name);
            self.mark_referenced(columns, table, referenced, &marker)?;
            return Ok(RowPredicates {
                failing: unreferenced(columns, &marker),
                first_of_key: None,
            });
        }
        let expected = &self.expected;
        let failing = match self.kernels {
            Kernels::Native => native::failure(test),
            Kernels::Polars => None,
        }
        .map_or_else(|| failure(test, &|path| dtype_at(expected, path)), Ok)
        .map_err(|e| e.to_string())?;
        let first_of_key = match test {
            RowTest::Unique { columns } if dedup_key => {
                Some(as_struct(columns.iter().map(|c| column(c)).collect()).is_first_distinct())
            }
            _ => None,
        };
        Ok(RowPredicates {
            failing,
            first_of_key,
        })
    }

    fn statistic(&mut self, kind: &Statistic, path: &str, _name: &str, _approximate: bool) -> Expr {
        statistic(kind, path)
    }

    fn newest(&mut self, path: &str) -> Expr {
        column(path).max()
    }

    /// Measured now, over the rows given for `table`.
    fn other_statistic(
        &mut self,
        kind: &Statistic,
        table: &str,
        path: Option<&str>,
        _name: &str,
    ) -> Result<Other<Expr>, String> {
        let rows = self
            .references
            .rows(table)
            .ok_or_else(|| format!("the rows of table `{table}` were not given"))?;
        let measured = self
            .collect(
                rows.clone()
                    .select([statistic(kind, path.unwrap_or_default()).alias(FLAGGED)]),
            )
            .map_err(|error| format!("measuring table `{table}` failed: {error}"))?;
        let value = measured
            .column(FLAGGED)
            .and_then(|values| values.get(0))
            .map_err(|error| format!("measuring table `{table}` gave no value: {error}"))?;
        Ok(Other::Value(value.into_static()))
    }

    /// One `select` of every output but the duplicated keys' counts; then,
    /// for a key with failing rows, its distinct keys counted over those
    /// rows alone, so the key is hashed once over every row, not twice.
    ///
    /// Over a streamed input, a key is hashed in the pass and decided after
    /// it ([`streamed_key`]), so the pass never holds the key's values.
    fn measure(&mut self, checks: &[Check<Self>]) -> Result<Measurements, ValidationError> {
        let outputs = pass::outputs(checks);
        let hashed = self.hashed_keys(checks);
        let hashed_key = |name: &str| {
            hashed
                .iter()
                .find(|(index, _)| pass::failing(*index) == name)
                .map(|(_, paths)| *paths)
        };
        let mut per_row = Vec::new();
        let mut aggregates = vec![len().cast(DataType::UInt64).alias(pass::ROWS)];
        for (name, output) in &outputs {
            match output {
                // Per row: examples and the split read the flags again.
                Output::Failing(failing) => per_row.push(
                    hashed_key(name)
                        .map_or_else(|| (*failing).clone(), streamed_key::hashes)
                        .alias(name.as_str()),
                ),
                Output::Value(aggregate) => {
                    aggregates.push((*aggregate).clone().alias(name.as_str()))
                }
                Output::FirstOfKey { .. } => {}
            }
        }
        // A `select` mixing per-row columns with aggregates makes the
        // streaming engine hold its whole input to broadcast them: over a
        // streamed input the two are separate scans, so memory holds the
        // flags and hashes, not the checked columns.
        let (mut result, aggregated) = if self.streaming {
            let flags = if per_row.is_empty() {
                DataFrame::empty()
            } else {
                self.collect(self.frame.clone().select(per_row))?
            };
            (
                flags,
                Some(self.collect(self.frame.clone().select(aggregates))?),
            )
        } else {
            aggregates.extend(per_row);
            (self.collect(self.frame.clone().select(aggregates))?, None)
        };
        let mut key_counts: HashMap<String, u64> = HashMap::new();
        for (index, paths) in &hashed {
            let name = pass::failing(*index);
            let resolved =
                streamed_key::resolve(&self.frame, paths, result.column(&name)?, |frame| {
                    self.collect(frame)
                })?;
            result.with_column(resolved.failing.into_column())?;
            key_counts.insert(pass::keys(*index), resolved.distinct_keys);
        }
        for (name, output) in &outputs {
            if let Output::FirstOfKey {
                failing_output,
                first,
                ..
            } = output
                && !key_counts.contains_key(name)
            {
                let count = self.count_among(&result, failing_output, first)?;
                key_counts.insert(name.clone(), count);
            }
        }
        let flags: Vec<&String> = outputs
            .iter()
            .filter(|(_, output)| matches!(output, Output::Failing(_)))
            .map(|(name, _)| name)
            .collect();
        // Over no rows the pass has no row to hold its aggregates (its
        // per-row flags are empty too): they read as NULL.
        let read = |name: &str| -> Result<AnyValue<'static>, ValidationError> {
            if let Some(count) = key_counts.get(name) {
                return Ok(AnyValue::UInt64(*count));
            }
            let column = match &aggregated {
                Some(aggregated) if !flags.iter().any(|flag| *flag == name) => {
                    aggregated.column(name)?
                }
                _ => result.column(name)?,
            };
            Ok(if flags.iter().any(|flag| *flag == name) {
                AnyValue::UInt64(column.bool()?.sum().unwrap_or(0) as u64)
            } else if column.is_empty() {
                AnyValue::Null
            } else {
                column.get(0)?.into_static()
            })
        };
        let rows = match read(pass::ROWS)? {
            AnyValue::Null => 0,
            count => count.extract::<u64>().ok_or_else(
                || polars_err!(ComputeError: "the validation pass returned no row count"),
            )?,
        };
        let measured = pass::read(checks, rows, read)?;
        self.pass = Some(result);
        Ok(Measurements {
            rows,
            checks: measured,
        })
    }

    fn examples(
        &mut self,
        checks: &[Check<Self>],
        wanted: &[usize],
        max: usize,
    ) -> Result<Vec<Vec<Example>>, ValidationError> {
        let measured = self.pass()?;
        let mut rows_of: Vec<Vec<IdxSize>> = Vec::with_capacity(wanted.len());
        for &index in wanted {
            let failing = measured.column(&pass::failing(index))?.bool()?;
            rows_of.push(
                failing
                    .iter()
                    .enumerate()
                    .filter(|(_, failed)| *failed == Some(true))
                    .map(|(row, _)| row as IdxSize)
                    .take(max)
                    .collect(),
            );
        }
        let mut all_rows: Vec<IdxSize> = rows_of.iter().flatten().copied().collect();
        all_rows.sort_unstable();
        all_rows.dedup();
        if all_rows.is_empty() {
            return Ok(vec![Vec::new(); wanted.len()]);
        }
        let mut sources: Vec<&str> = Vec::new();
        for &index in wanted {
            for (_, source) in &checks[index].shown {
                if !sources.contains(&source.as_str()) {
                    sources.push(source);
                }
            }
        }
        let mut selection: Vec<Expr> = vec![col(ROW_INDEX)];
        selection.extend(sources.iter().map(|name| col(*name)));
        let wanted_rows = Series::new("rows".into(), all_rows);
        let fetched = self.collect(
            self.frame
                .clone()
                .with_row_index(ROW_INDEX, None)
                .filter(col(ROW_INDEX).is_in(lit(wanted_rows).implode(true), false))
                .select(selection),
        )?;
        let positions: HashMap<IdxSize, usize> = fetched
            .column(ROW_INDEX)?
            .idx()?
            .iter()
            .enumerate()
            .filter_map(|(position, row)| Some((row?, position)))
            .collect();
        let mut examples = Vec::with_capacity(wanted.len());
        for (&index, rows) in wanted.iter().zip(rows_of) {
            let check = &checks[index];
            let mut shown = Vec::with_capacity(rows.len());
            for row in rows {
                let position = *positions.get(&row).ok_or_else(|| {
                    polars_err!(ComputeError: "example row {row} of {} was not read back", check.result.id)
                })?;
                let mut values = BTreeMap::new();
                for (name, source) in &check.shown {
                    values.insert(
                        name.clone(),
                        json_value(&fetched.column(source)?.get(position)?),
                    );
                }
                shown.push(Example {
                    row: Some(row as u64),
                    file: None,
                    line: None,
                    values,
                });
            }
            examples.push(shown);
        }
        Ok(examples)
    }

    /// Rows failing an error-severity row check are quarantined, with the
    /// ids of every row check they failed; the other rows are valid.
    fn split(&mut self, checks: &[Check<Self>]) -> Result<Option<Split>, ValidationError> {
        let row_checks: Vec<(&Check<Self>, &Expr)> = checks
            .iter()
            .filter_map(|check| match &check.measure {
                Measure::Rows { predicates, .. } => Some((check, &predicates.failing)),
                _ => None,
            })
            .collect();
        let original: Vec<Expr> = self
            .actual
            .iter_names()
            .map(|name| col(name.clone()))
            .collect();
        let flags: Vec<Expr> = row_checks
            .iter()
            .enumerate()
            .map(|(i, (_, failing))| (*failing).clone().alias(format!("__s{i}")))
            .collect();
        let quarantine: Vec<Expr> = row_checks
            .iter()
            .enumerate()
            .filter(|(_, (check, _))| check.result.severity == Severity::Error)
            .map(|(i, _)| col(format!("__s{i}")))
            .collect();
        let failed_ids = if row_checks.is_empty() {
            lit(Series::new_empty(
                FAILED_CHECKS_COLUMN.into(),
                &DataType::List(Box::new(DataType::String)),
            ))
        } else {
            let ids: Vec<Expr> = row_checks
                .iter()
                .enumerate()
                .map(|(i, (check, _))| {
                    when(col(format!("__s{i}")))
                        .then(lit(check.result.id.as_str()))
                        .otherwise(lit(NULL).cast(DataType::String))
                })
                .collect();
            concat_list(ids)?.list().drop_nulls()
        };
        let quarantined_flag = if quarantine.is_empty() {
            lit(false)
        } else {
            any_horizontal(quarantine)?
        };
        let flagged = self
            .frame
            .clone()
            .with_columns(flags)
            .with_column(quarantined_flag.alias("__quarantined"));
        let valid = self.collect(
            flagged
                .clone()
                .filter(col("__quarantined").not())
                .select(original.clone()),
        )?;
        let mut quarantined_columns = original;
        quarantined_columns.push(failed_ids.alias(FAILED_CHECKS_COLUMN));
        let quarantined = self.collect(
            flagged
                .filter(col("__quarantined"))
                .select(quarantined_columns),
        )?;
        Ok(Some(Split { valid, quarantined }))
    }
}

fn lost_column(column: &str) -> String {
    format!("__datacontract_lost_{column}")
}

fn raw_column(column: &str) -> String {
    format!("__datacontract_raw_{column}")
}
