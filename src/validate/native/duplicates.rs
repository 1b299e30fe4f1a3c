//! The rows whose key another row repeats, for a key of several columns:
//! one hash per row, partitioned across the cores, exact on collisions.
//!
//! Polars answers the same question by grouping a struct of the key's
//! columns, which builds every group. Here:
//! 1. each row's key is hashed, column by column over the Arrow buffers
//!    (Polars' own vectorised hashes, so equal keys hash equally under
//!    Polars' equality: NULL equals NULL, -0.0 equals 0.0, NaN equals NaN);
//! 2. the (hash, row) pairs are scattered into 256 partitions by the hash's
//!    top bits, and each partition, small enough for the cache, finds its
//!    repeated hashes in a table of its own, the partitions spread over
//!    the cores;
//! 3. the rows sharing a hash are usually exactly the duplicated rows, but a
//!    hash is not a key: those rows alone are grouped again by their values
//!    (Polars' `is_duplicated`), so a collision never flags a row.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hasher};

use polars::prelude::*;
use rayon::prelude::*;

/// How many top bits of a hash choose its partition.
const PARTITION_BITS: u32 = 8;
/// How many partitions the pairs are scattered into.
const PARTITIONS: usize = 1 << PARTITION_BITS;

/// `true` on every row whose key (the values of `key`, one column each, of
/// equal length) another row repeats; `false` on the others, never NULL.
pub fn duplicated(name: PlSmallStr, key: &[Column]) -> PolarsResult<BooleanChunked> {
    let rows = key.first().map_or(0, Column::len);
    let mut flags = vec![false; rows];
    let candidates = match row_hashes(key) {
        Ok(hashes) => sharing_a_hash(&[&hashes]),
        // A column Polars cannot hash row-wise: every row is a candidate,
        // and the exact comparison below decides them all.
        Err(_) => (0..rows as IdxSize).collect(),
    };
    if !candidates.is_empty() {
        let count = candidates.len();
        let taken = IdxCa::from_vec(PlSmallStr::EMPTY, candidates);
        let values = key
            .iter()
            .enumerate()
            .map(|(index, column)| {
                // Unique names: a key may read one column twice.
                Ok(column.take(&taken)?.with_name(format!("k{index}").into()))
            })
            .collect::<PolarsResult<Vec<_>>>()?;
        let repeated = DataFrame::new(count, values)?.is_duplicated()?;
        for (row, repeated) in taken.into_no_null_iter().zip(repeated.iter()) {
            flags[row as usize] = repeated == Some(true);
        }
    }
    Ok(BooleanChunked::from_slice(name, &flags))
}

/// One hash per row of the key's columns combined.
pub(super) fn row_hashes(key: &[Column]) -> PolarsResult<Vec<u64>> {
    let (first, rest) = key
        .split_first()
        .ok_or_else(|| polars_err!(ComputeError: "a key needs at least one column"))?;
    let state = PlSeedableRandomStateQuality::fixed();
    let mut hashes = Vec::with_capacity(first.len());
    first.vec_hash(state.clone(), &mut hashes)?;
    for column in rest {
        column.vec_hash_combine(state.clone(), &mut hashes)?;
    }
    Ok(hashes)
}

/// The rows, in ascending order, whose hash another row shares; the
/// hashes are the rows' in order, in one slice or several (a column's
/// chunks, read in place).
pub(super) fn sharing_a_hash(chunks: &[&[u64]]) -> Vec<IdxSize> {
    let partition = |hash: u64| (hash >> (u64::BITS - PARTITION_BITS)) as usize;
    let hashes = || chunks.iter().flat_map(|chunk| chunk.iter().copied());
    // Count each partition's pairs, then place them contiguously.
    let mut bounds = vec![0usize; PARTITIONS + 1];
    for hash in hashes() {
        bounds[partition(hash) + 1] += 1;
    }
    for index in 0..PARTITIONS {
        bounds[index + 1] += bounds[index];
    }
    let mut next = bounds.clone();
    let mut pairs = vec![(0u64, 0 as IdxSize); bounds[PARTITIONS]];
    for (row, hash) in hashes().enumerate() {
        let slot = &mut next[partition(hash)];
        pairs[*slot] = (hash, row as IdxSize);
        *slot += 1;
    }
    let mut rows: Vec<IdxSize> = bounds
        .par_windows(2)
        .flat_map_iter(|bound| repeated_in(&pairs[bound[0]..bound[1]]))
        .collect();
    rows.sort_unstable();
    rows
}

/// The rows of one partition whose hash another of its rows shares.
fn repeated_in(pairs: &[(u64, IdxSize)]) -> Vec<IdxSize> {
    // Per hash: its first row, and whether that row was reported yet.
    let mut first: HashMap<u64, (IdxSize, bool), BuildHasherDefault<Prehashed>> =
        HashMap::with_capacity_and_hasher(pairs.len(), BuildHasherDefault::default());
    let mut rows = Vec::new();
    for &(hash, row) in pairs {
        match first.entry(hash) {
            Entry::Vacant(entry) => {
                entry.insert((row, false));
            }
            Entry::Occupied(mut entry) => {
                let (first_row, reported) = entry.get_mut();
                if !*reported {
                    rows.push(*first_row);
                    *reported = true;
                }
                rows.push(row);
            }
        }
    }
    rows
}

/// A hasher for keys that are hashes already: one multiplication spreads
/// every bit of the key into the table's high bits (its control bytes)
/// while the low bits (its buckets) keep the key's own, which the
/// partitioning did not fix.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 << 8 | u64::from(*byte)).wrapping_mul(MIX);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash.wrapping_mul(MIX);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// An odd constant with well-spread bits (2^64 divided by the golden ratio).
const MIX: u64 = 0x9E37_79B9_7F4A_7C15;

#[cfg(test)]
mod tests {
    use super::*;

    fn bools(flags: BooleanChunked) -> Vec<bool> {
        flags.iter().map(|flag| flag.expect("never NULL")).collect()
    }

    fn flags(frame: &DataFrame) -> Vec<bool> {
        bools(duplicated("d".into(), frame.columns()).unwrap())
    }

    #[test]
    fn flags_every_row_of_a_repeated_key_and_treats_null_as_a_value() {
        let frame = df!(
            "a" => [Some(1i64), Some(1), Some(2), None, None, Some(1)],
            "b" => [Some("x"), Some("x"), Some("x"), Some("y"), Some("y"), Some("z")],
        )
        .unwrap();
        assert_eq!(flags(&frame), [true, true, false, true, true, false]);
    }

    #[test]
    fn agrees_with_polars_on_many_rows_and_partitions() {
        let rows = 100_000i64;
        let frame = df!(
            "a" => (0..rows).map(|i| i % 50_000).collect::<Vec<_>>(),
            "b" => (0..rows).map(|i| (i % 3 == 0).then_some(i % 7)).collect::<Vec<_>>(),
        )
        .unwrap();
        let expected: Vec<bool> = bools(frame.is_duplicated().unwrap());
        assert!(expected.iter().any(|d| *d) && expected.iter().any(|d| !*d));
        assert_eq!(flags(&frame), expected);
    }

    #[test]
    fn floats_compare_as_polars_compares_them() {
        let frame = df!(
            "a" => [Some(0.0f64), Some(-0.0), Some(f64::NAN), Some(f64::NAN), None, None, Some(1.5)],
            "b" => ["x", "x", "y", "y", "z", "z", "x"],
        )
        .unwrap();
        let expected: Vec<bool> = bools(frame.is_duplicated().unwrap());
        assert_eq!(flags(&frame), expected);
        assert_eq!(expected, [true, true, true, true, true, true, false]);
    }

    #[test]
    fn a_shared_hash_is_not_a_shared_key() {
        // Two different keys forced into one partition and one hash: only
        // the values decide.
        let pairs = [(7u64, 0), (7, 1), (9, 2)];
        assert_eq!(repeated_in(&pairs), [0, 1]);
        let frame = df!("a" => [1i64, 2], "b" => [1i64, 2]).unwrap();
        assert_eq!(flags(&frame), [false, false]);
    }

    #[test]
    fn no_rows_no_flags() {
        let frame = df!("a" => Vec::<i64>::new(), "b" => Vec::<i64>::new()).unwrap();
        assert!(flags(&frame).is_empty());
    }
}
