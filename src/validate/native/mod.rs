//! The native kernels: this crate's own code for the row checks that
//! dominate validation time in memory, measured by `benches/profile.rs`.
//! Each is a Polars expression calling a kernel over the Arrow buffers, so
//! it runs inside the one query with every other check; each answers
//! exactly what the Polars expression it replaces answers, which the
//! differential test proves on generated frames.
//!
//! - A dedup key of several columns: one hash per row, partitioned over
//!   the cores, exact on collisions ([`duplicates`]), where Polars groups
//!   a struct of the columns. Over a streamed file, the pass keeps only
//!   each row's hash and the rows sharing one are read again
//!   ([`streamed_key`]), so memory does not grow with the file's size.
//! - A regex that is an anchored sequence of single-character classes
//!   (`^[A-Z]{3}$`, `^\d{4}-\d{2}$`): one pass over each ASCII value's
//!   bytes ([`ascii_pattern`]), where Polars runs the regex engine per
//!   value.
//!
//! Every other test is left to Polars ([`failure`] gives `None`).

mod ascii_pattern;
mod duplicates;
pub(super) mod streamed_key;

use polars::prelude::*;

use crate::check::RowTest;
use crate::check::polars_expr::column;
use ascii_pattern::AsciiPattern;

/// `true` for the rows that fail `test`, never NULL, computed by a native
/// kernel; `None` when no kernel covers the test.
pub(super) fn failure(test: &RowTest) -> Option<Expr> {
    match test {
        RowTest::Unique { columns } if columns.len() > 1 => Some(duplicated_key(columns)),
        RowTest::Regex {
            column: path,
            pattern,
        } => AsciiPattern::compile(pattern).map(|pattern| mismatching(path, pattern)),
        _ => None,
    }
}

/// The rows whose key (the values at `paths`) another row repeats.
fn duplicated_key(paths: &[String]) -> Expr {
    let key: Vec<Expr> = paths.iter().map(|path| column(path)).collect();
    let (first, rest) = key.split_first().expect("a key of several columns");
    // Group-wise: the kernel needs every row at once, never a morsel of a
    // streamed file (tests/it/validate.rs proves duplicates across them).
    first.clone().apply_many(
        |key: &mut [Column]| {
            let name = key[0].name().clone();
            Ok(duplicates::duplicated(name, key)?.into_column())
        },
        rest,
        |_, fields: &[Field]| Ok(Field::new(fields[0].name().clone(), DataType::Boolean)),
    )
}

/// The rows whose value at `path` is not NULL and does not match `pattern`.
fn mismatching(path: &str, pattern: AsciiPattern) -> Expr {
    column(path)
        .map(
            move |values: Column| {
                let failing: BooleanChunked = values
                    .str()?
                    .apply_nonnull_values_generic(DataType::Boolean, |value: &str| {
                        !pattern.is_match(value)
                    });
                Ok(failing.into_column())
            },
            |_, field: &Field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
        )
        .fill_null(lit(false))
}
