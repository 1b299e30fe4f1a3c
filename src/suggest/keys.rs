//! Candidate dedup keys: the smallest sets of columns whose values no two
//! rows share, searched smallest first without trying every subset.

use crate::{DedupKey, Field, Severity};

use super::profile::Profiler;
use super::{Column, SuggestError};

/// The most key checks one search runs: each is a pass over the data.
const BUDGET: usize = 40;

/// The smallest unique column sets, at most `max_columns` columns each.
///
/// A column qualifies when it has no NULL and is not a float or a boolean
/// (no one keys on those). A column unique on its own is a key of one, and
/// no larger set holding it is minimal. When all the other qualifying
/// columns together repeat, no set of them is a key, and the search ends
/// after that one check. Larger sets are tried only when
/// the product of their columns' distinct counts reaches the row count
/// (fewer combinations cannot tell every row apart), most distinct
/// columns first, and never as a superset of a key found; the search stops
/// at the first size that has keys, or after [`BUDGET`] checks.
pub fn candidates(
    data: &dyn Profiler,
    table: &str,
    columns: &[Column],
    rows: u64,
    max_columns: usize,
) -> Result<Vec<Vec<String>>, SuggestError> {
    if rows < 2 {
        return Ok(Vec::new());
    }
    let mut eligible: Vec<&Column> = columns
        .iter()
        .filter(|column| column.keyable() && column.distinct.is_some())
        .collect();
    eligible.sort_by_key(|column| std::cmp::Reverse(column.distinct));
    let singles: Vec<Vec<String>> = eligible
        .iter()
        .filter(|column| column.distinct == Some(rows))
        .map(|column| vec![column.field.name.clone()])
        .collect();
    if !singles.is_empty() {
        return Ok(singles);
    }
    // A subset of columns that repeat together repeats too: when all of
    // them are no key, none of their subsets is.
    let all: Vec<String> = eligible
        .iter()
        .map(|column| column.field.name.clone())
        .collect();
    if eligible.len() < 2 || !is_unique(data, table, &eligible, &all)? {
        return Ok(Vec::new());
    }
    let mut found: Vec<Vec<String>> = Vec::new();
    let mut checks = 1;
    for size in 2..=max_columns.min(eligible.len()) {
        for combination in combinations(eligible.len(), size) {
            let set: Vec<&Column> = combination.iter().map(|&i| eligible[i]).collect();
            let reach: f64 = set
                .iter()
                .map(|column| column.distinct.unwrap_or(0) as f64)
                .product();
            if reach < rows as f64 {
                continue;
            }
            if checks == BUDGET {
                return Ok(found);
            }
            checks += 1;
            let names: Vec<String> = set.iter().map(|column| column.field.name.clone()).collect();
            if is_unique(data, table, &set, &names)? {
                found.push(names);
            }
        }
        if !found.is_empty() {
            break;
        }
    }
    Ok(found)
}

/// Whether no two rows share the values of `names`: a dedup key check.
fn is_unique(
    data: &dyn Profiler,
    table: &str,
    set: &[&Column],
    names: &[String],
) -> Result<bool, SuggestError> {
    let fields: Vec<Field> = set.iter().map(|column| column.field.clone()).collect();
    let mut probe = super::probe(table, fields);
    probe.dedup_key = Some(DedupKey {
        columns: names.to_vec(),
        severity: Severity::Error,
    });
    let report = data.validate(&probe)?;
    let check = report
        .checks
        .iter()
        .find(|check| check.id == "dedup_key")
        .ok_or_else(|| SuggestError("the key check did not run".into()))?;
    Ok(check.failing_rows == Some(0))
}

/// Every `size`-subset of `0..count`, in lexicographic order, one at a
/// time (there may be far more than the search will try).
fn combinations(count: usize, size: usize) -> impl Iterator<Item = Vec<usize>> {
    let mut next = (size <= count).then(|| (0..size).collect::<Vec<usize>>());
    std::iter::from_fn(move || {
        let current = next.take()?;
        if let Some(position) = (0..size).rev().find(|&i| current[i] != i + count - size) {
            let mut following = current.clone();
            following[position] += 1;
            for later in position + 1..size {
                following[later] = following[later - 1] + 1;
            }
            next = Some(following);
        }
        Some(current)
    })
}

#[cfg(test)]
mod tests {
    use super::combinations;

    #[test]
    fn combinations_are_every_subset_once() {
        let all = |count, size| combinations(count, size).collect::<Vec<_>>();
        assert_eq!(all(4, 2), [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
        assert_eq!(all(3, 3), [[0, 1, 2]]);
        assert!(all(2, 3).is_empty());
        assert_eq!(combinations(1000, 3).nth(5), Some(vec![0, 1, 7]));
    }
}
