//! The rows whose key another row repeats, for a key of several columns:
//! one hash per row, partitioned across the cores, exact on collisions.
//!
//! Polars answers the same question by grouping a struct of the key's
//! columns, which builds every group. Here:
//! 1. each core hashes a contiguous range of the rows, a slice at a time,
//!    column by column over the Arrow buffers (Polars' own vectorised
//!    hashes, so equal keys hash equally under Polars' equality: NULL
//!    equals NULL, -0.0 equals 0.0, NaN equals NaN);
//! 2. it files each row into one of 256 partitions by its hash's top bits,
//!    as 8 bytes: the next 32 bits of the hash and the row's index. Then
//!    each partition, small enough for the cache, finds the rows sharing
//!    those 40 bits in a table of its own, the partitions spread over the
//!    cores;
//! 3. the rows sharing 40 bits of hash are usually exactly the duplicated
//!    rows, but a hash is not a key: those rows alone are grouped again by
//!    their values (Polars' `is_duplicated`), so a collision never flags a
//!    row.
//!
//! Past the key's own columns, memory is those 8 bytes a row: neither the
//! hashes nor the key's values are held whole.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hasher};

use polars::prelude::*;
use rayon::prelude::*;

/// How many top bits of a hash choose its partition.
const PARTITION_BITS: u32 = 8;
/// How many partitions the rows are filed into.
const PARTITIONS: usize = 1 << PARTITION_BITS;
/// How far a hash is shifted right to leave, in its low 32 bits, the 32
/// bits after the partition's.
const FRAGMENT_SHIFT: u32 = u64::BITS - PARTITION_BITS - u32::BITS;
/// How many rows are hashed at a time: their hashes (512 KiB) are filed
/// while they are still in the cache.
const SLICE_ROWS: usize = 1 << 16;

/// `true` on every row whose key (the values of `key`, one column each, of
/// equal length) another row repeats; `false` on the others, never NULL.
pub fn duplicated(name: PlSmallStr, key: &[Column]) -> PolarsResult<BooleanChunked> {
    let rows = key.first().map_or(0, Column::len);
    let hashes_of = |offset: usize, len: usize| {
        let slice: Vec<Column> = key
            .iter()
            .map(|column| column.slice(offset as i64, len))
            .collect();
        row_hashes(&slice)
    };
    let candidates = match sharing_a_hash(rows, hashes_of) {
        Ok(candidates) => candidates,
        // A column Polars cannot hash row-wise: every row is a candidate,
        // and the exact comparison below decides them all.
        Err(_) => (0..rows as IdxSize).collect(),
    };
    Ok(flags(name, rows, repeated_among(key, candidates)?))
}

/// `rows` flags, `true` on the rows `repeated` lists (each once): built as
/// a bitmap, a bit a row, never a byte a row.
pub(super) fn flags(name: PlSmallStr, rows: usize, mut repeated: Vec<IdxSize>) -> BooleanChunked {
    repeated.sort_unstable();
    let mut repeated = repeated.into_iter().peekable();
    let flags = (0..rows as IdxSize).map(|row| repeated.next_if_eq(&row).is_some());
    BooleanChunked::from_iter_values(name, flags)
}

/// The rows among `candidates` (ascending) whose key's values another
/// candidate repeats, in ascending order: Polars compares the values.
fn repeated_among(key: &[Column], candidates: Vec<IdxSize>) -> PolarsResult<Vec<IdxSize>> {
    if candidates.is_empty() {
        return Ok(candidates);
    }
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
    Ok(rows_where(&taken, &repeated))
}

/// The `rows` whose flag in `repeated` (one per row) is `true`.
pub(super) fn rows_where(rows: &IdxCa, repeated: &BooleanChunked) -> Vec<IdxSize> {
    rows.into_no_null_iter()
        .zip(repeated.iter())
        .filter_map(|(row, repeated)| (repeated == Some(true)).then_some(row))
        .collect()
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

/// The rows, in ascending order, whose hash another row shares, among
/// `rows` rows whose hashes `hashes_of(offset, len)` gives a slice at a
/// time (each row's once, from the cores in parallel).
pub(super) fn sharing_a_hash(
    rows: usize,
    hashes_of: impl Fn(usize, usize) -> PolarsResult<Vec<u64>> + Sync,
) -> PolarsResult<Vec<IdxSize>> {
    // A row's index is filed in the low 32 bits of its entry.
    if u32::try_from(rows).is_err() {
        polars_bail!(ComputeError: "{rows} rows are more than a 32-bit row index holds");
    }
    let per_core = rows.div_ceil(rayon::current_num_threads()).max(1);
    let ranges: Vec<usize> = (0..rows).step_by(per_core).collect();
    let filed = ranges
        .into_par_iter()
        .map(|start| {
            let end = rows.min(start + per_core);
            let mut filed = Filed::expecting(end - start);
            for offset in (start..end).step_by(SLICE_ROWS) {
                let len = SLICE_ROWS.min(end - offset);
                let hashes = hashes_of(offset, len)?;
                if hashes.len() != len {
                    polars_bail!(ComputeError: "{} hashes for {len} rows", hashes.len());
                }
                filed.add(offset, &hashes);
            }
            Ok(filed)
        })
        .collect::<PolarsResult<Vec<Filed>>>()?;
    let mut found: Vec<IdxSize> = (0..PARTITIONS)
        .into_par_iter()
        .flat_map_iter(|partition| {
            let parts: Vec<&[u64]> = filed
                .iter()
                .map(|filed| filed.parts[partition].as_slice())
                .collect();
            repeated_in(&parts)
        })
        .collect();
    found.sort_unstable();
    Ok(found)
}

/// One core's rows filed by partition: per partition, each row as the 32
/// bits of its hash after the partition's (high half) and its index (low
/// half).
struct Filed {
    parts: Vec<Vec<u64>>,
}

impl Filed {
    /// Room for `rows` rows spread as a good hash spreads them, with a
    /// margin of many standard deviations, so a partition almost never
    /// grows (and doubles) past it.
    fn expecting(rows: usize) -> Self {
        let mean = rows / PARTITIONS;
        let room = mean + mean / 16 + 64;
        Filed {
            parts: (0..PARTITIONS).map(|_| Vec::with_capacity(room)).collect(),
        }
    }

    /// Files the rows from `first_row` on, whose hashes are `hashes`.
    fn add(&mut self, first_row: usize, hashes: &[u64]) {
        for (row, hash) in (first_row..).zip(hashes) {
            let partition = (hash >> (u64::BITS - PARTITION_BITS)) as usize;
            let fragment = (hash >> FRAGMENT_SHIFT) as u32;
            self.parts[partition].push(u64::from(fragment) << u32::BITS | row as u64);
        }
    }
}

/// The rows of one partition (filed in `parts`) whose 32 bits of hash
/// another of its rows shares.
fn repeated_in(parts: &[&[u64]]) -> Vec<IdxSize> {
    let entries = parts.iter().flat_map(|part| part.iter().copied());
    let count = parts.iter().map(|part| part.len()).sum();
    // Per fragment: its first row, and whether that row was reported yet.
    let mut first: HashMap<u32, (IdxSize, bool), BuildHasherDefault<Prehashed>> =
        HashMap::with_capacity_and_hasher(count, BuildHasherDefault::default());
    let mut rows = Vec::new();
    for entry in entries {
        let (fragment, row) = ((entry >> u32::BITS) as u32, entry as u32 as IdxSize);
        match first.entry(fragment) {
            Entry::Vacant(vacant) => {
                vacant.insert((row, false));
            }
            Entry::Occupied(mut occupied) => {
                let (first_row, reported) = occupied.get_mut();
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

/// A hasher for keys that are hash bits already: one multiplication
/// spreads every bit of the key into the table's high bits (its control
/// bytes) while the low bits (its buckets) keep the key's own.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 << 8 | u64::from(*byte)).wrapping_mul(MIX);
        }
    }

    fn write_u32(&mut self, bits: u32) {
        self.0 = u64::from(bits).wrapping_mul(MIX);
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
        // Rows sharing the hash's top 40 bits are candidates, even when
        // the low bits differ (the first and the last); a hash differing
        // above them is not. Only the values decide the candidates.
        let hashes = [7u64 << 40 | 1, 9 << 40, 7 << 40 | 2];
        let of = |offset: usize, len: usize| Ok(hashes[offset..offset + len].to_vec());
        assert_eq!(sharing_a_hash(3, of).unwrap(), [0, 2]);
        let frame = df!("a" => [1i64, 2], "b" => [1i64, 2]).unwrap();
        assert_eq!(flags(&frame), [false, false]);
    }

    #[test]
    fn no_rows_no_flags() {
        let frame = df!("a" => Vec::<i64>::new(), "b" => Vec::<i64>::new()).unwrap();
        assert!(flags(&frame).is_empty());
    }
}
