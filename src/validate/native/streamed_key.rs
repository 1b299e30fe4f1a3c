//! A dedup key over a streamed file, in memory bounded by the file's row
//! count and not by its size: the one pass keeps a hash per row (8 bytes)
//! instead of the key's values, and only the rows that share a hash are
//! read again, by value, to decide them.
//!
//! 1. In the pass, each morsel's rows are hashed as they stream by (the
//!    same hashes as [`super::duplicates`]: Polars' vectorised hashes with
//!    fixed seeds, so a key hashes alike in every morsel).
//! 2. After it, the rows sharing a hash are found in partitions over the
//!    cores.
//! 3. Those rows' key values are read back in a second, filtered scan and
//!    grouped by value: a hash collision never flags a row, and the
//!    distinct failing keys are counted among them.
//!
//! What stays in memory past the pass grows with the rows that share a
//! hash, that is, with the duplicates; a file of unique keys keeps only
//! its hashes.

use polars::prelude::*;

use super::duplicates;
use crate::check::polars_expr::column;

/// The column of each candidate row's index in the second scan.
const ROW: &str = "__datacontract_key_row";

/// What the second scan decided for one key.
pub(in crate::validate) struct Resolved {
    /// `true` on every row whose key another row repeats.
    pub failing: BooleanChunked,
    /// The distinct keys among the failing rows.
    pub distinct_keys: u64,
}

/// Whether the key at `paths` of `frame` can be hashed row by row: every
/// column's type has a vectorised hash (checked on a NULL of the type, so
/// the list follows Polars, not a copy of it).
pub(in crate::validate) fn hashable(frame: &LazyFrame, paths: &[String]) -> bool {
    let key: Vec<Expr> = key_columns(paths);
    let Ok(schema) = frame.clone().select(key).collect_schema() else {
        return false;
    };
    let state = PlSeedableRandomStateQuality::fixed();
    schema.iter().all(|(name, dtype)| {
        let mut hashes = Vec::new();
        Column::full_null(name.clone(), 1, dtype)
            .vec_hash(state.clone(), &mut hashes)
            .is_ok()
    })
}

/// One hash per row of the key at `paths`, computed morsel by morsel
/// (element-wise): equal keys hash equally wherever they are read.
pub(in crate::validate) fn hashes(paths: &[String]) -> Expr {
    let key = key_columns(paths);
    let (first, rest) = key.split_first().expect("a key of at least one column");
    first.clone().map_many(
        |key: &mut [Column]| {
            let name = key[0].name().clone();
            Ok(UInt64Chunked::from_vec(name, duplicates::row_hashes(key)?).into_column())
        },
        rest,
        |_, fields: &[Field]| Ok(Field::new(fields[0].name().clone(), DataType::UInt64)),
    )
}

/// Decides the key at `paths` from the pass's `hashes` of `frame`'s rows:
/// the rows sharing a hash are read again by `collect` (a scan of `frame`
/// filtered to them) and compared by value.
pub(in crate::validate) fn resolve(
    frame: &LazyFrame,
    paths: &[String],
    hashes: &Column,
    collect: impl Fn(LazyFrame) -> PolarsResult<DataFrame>,
) -> PolarsResult<Resolved> {
    let hashes = hashes.u64()?;
    if hashes.null_count() > 0 {
        polars_bail!(ComputeError: "the key's row hashes hold NULLs");
    }
    let candidates = duplicates::sharing_a_hash(hashes.len(), |offset, len| {
        let slice = hashes.slice(offset as i64, len);
        Ok(slice
            .downcast_iter()
            .flat_map(|chunk| chunk.values().iter().copied())
            .collect())
    })?;
    let mut repeated_rows = Vec::new();
    let mut distinct_keys = 0;
    if !candidates.is_empty() {
        let expected = candidates.len();
        let wanted = IdxCa::from_vec(ROW.into(), candidates).into_series();
        let mut selection = vec![col(ROW)];
        selection.extend(key_columns(paths));
        let fetched = collect(
            frame
                .clone()
                .with_row_index(ROW, None)
                .filter(col(ROW).is_in(lit(wanted).implode(true), false))
                .select(selection),
        )?;
        let rows = fetched.column(ROW)?.idx()?.clone();
        let values = fetched.drop(ROW)?;
        unchanged(hashes, expected, &rows, &values)?;
        let repeated = values.is_duplicated()?;
        repeated_rows = duplicates::rows_where(&rows, &repeated);
        distinct_keys = distinct_rows(&values.filter(&repeated)?)?;
    }
    Ok(Resolved {
        failing: duplicates::flags(hashes.name().clone(), hashes.len(), repeated_rows),
        distinct_keys,
    })
}

/// Whether the second scan read the `expected` rows the pass hashed: the same rows,
/// with the same key values. A file rewritten between the two reads would
/// otherwise decide its keys on other rows, and could pass.
fn unchanged(
    hashes: &UInt64Chunked,
    expected: usize,
    rows: &IdxCa,
    values: &DataFrame,
) -> PolarsResult<()> {
    let rehashed = duplicates::row_hashes(values.columns())?;
    let same = rows.len() == expected
        && rows
            .into_no_null_iter()
            .zip(&rehashed)
            .all(|(row, hash)| hashes.get(row as usize) == Some(*hash));
    if !same {
        polars_bail!(ComputeError: "the input changed while it was read: the rows sharing a key's hash read back with other values");
    }
    Ok(())
}

/// The key's columns, each under a name of its own (a key may read one
/// column twice).
fn key_columns(paths: &[String]) -> Vec<Expr> {
    paths
        .iter()
        .enumerate()
        .map(|(index, path)| column(path).alias(format!("k{index}")))
        .collect()
}

/// How many distinct rows `frame` holds.
fn distinct_rows(frame: &DataFrame) -> PolarsResult<u64> {
    if frame.height() == 0 {
        return Ok(0);
    }
    let first = as_struct(
        frame
            .get_column_names()
            .into_iter()
            .map(|n| col(n.clone()))
            .collect(),
    )
    .is_first_distinct()
    .sum()
    .cast(DataType::UInt64)
    .alias("distinct");
    let counted = frame.clone().lazy().select([first]).collect()?;
    let count = counted.column("distinct")?.get(0)?;
    count
        .extract::<u64>()
        .ok_or_else(|| polars_err!(ComputeError: "counting distinct keys gave `{count}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_back_with_other_values_are_an_error_not_a_verdict() {
        let values = df!("k0" => [7i64, 7, 9]).unwrap();
        let hashes = UInt64Chunked::from_vec(
            "h".into(),
            duplicates::row_hashes(values.columns()).unwrap(),
        );
        let rows = IdxCa::from_vec("r".into(), vec![0, 1, 2]);
        assert!(unchanged(&hashes, 3, &rows, &values).is_ok());
        let rewritten = df!("k0" => [7i64, 8, 9]).unwrap();
        let error = unchanged(&hashes, 3, &rows, &rewritten).unwrap_err();
        assert!(error.to_string().contains("the input changed"), "{error}");
        assert!(unchanged(&hashes, 4, &rows, &values).is_err());
    }
}
