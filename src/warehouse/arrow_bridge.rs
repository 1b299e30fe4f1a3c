//! Moves query results from DuckDB's Arrow (arrow-rs) into Polars (its own
//! Arrow implementation) through the Arrow C data interface: no copy of the
//! buffers, no serialization.

use duckdb::arrow::array::{Array, RecordBatch, StructArray};
use duckdb::arrow::datatypes::Schema;
use duckdb::arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema, to_ffi};
use polars::prelude::*;
use polars_arrow::array::StructArray as PolarsStructArray;
use polars_arrow::ffi::{ArrowArray, ArrowSchema, import_array_from_c, import_field_from_c};

/// One record batch as a Polars frame.
pub fn batch_to_frame(batch: &RecordBatch) -> PolarsResult<DataFrame> {
    let data = StructArray::from(batch.clone()).into_data();
    let (array, schema) =
        to_ffi(&data).map_err(|error| polars_err!(ComputeError: "exporting Arrow: {error}"))?;
    // SAFETY: `FFI_ArrowArray` and `FFI_ArrowSchema` are arrow-rs's
    // `#[repr(C)]` definitions of the Arrow C data interface structs, and
    // polars-arrow's `ArrowArray` and `ArrowSchema` are `#[repr(C)]`
    // definitions of the very same structs, so the transmutes reinterpret
    // identical layouts. Ownership moves with them: the array's release
    // callback now runs when Polars drops the imported array, exactly once.
    let (array, schema) = unsafe {
        (
            std::mem::transmute::<FFI_ArrowArray, ArrowArray>(array),
            std::mem::transmute::<FFI_ArrowSchema, ArrowSchema>(schema),
        )
    };
    // SAFETY: `to_ffi` produced a valid array and its matching schema.
    let imported = unsafe {
        let field = import_field_from_c(&schema)?;
        import_array_from_c(array, field.dtype)?
    };
    let structs = imported
        .as_any()
        .downcast_ref::<PolarsStructArray>()
        .ok_or_else(|| polars_err!(ComputeError: "a record batch did not import as a struct"))?
        .clone();
    DataFrame::try_from(structs)
}

/// An empty frame with the columns of `schema` (a result without batches).
pub fn empty_frame(schema: &Schema) -> PolarsResult<DataFrame> {
    let empty = RecordBatch::new_empty(std::sync::Arc::new(schema.clone()));
    if schema.fields().is_empty() {
        return Ok(DataFrame::empty());
    }
    batch_to_frame(&empty)
}

/// The frames of several batches, stacked.
pub fn stack(frames: Vec<DataFrame>) -> PolarsResult<DataFrame> {
    let mut frames = frames.into_iter();
    let Some(mut first) = frames.next() else {
        return Ok(DataFrame::empty());
    };
    for frame in frames {
        first.vstack_mut(&frame)?;
    }
    first.rechunk_mut();
    Ok(first)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use duckdb::arrow::array::{Int64Array, StringArray};
    use duckdb::arrow::datatypes::{DataType as ArrowType, Field};

    use super::*;

    #[test]
    fn a_batch_arrives_in_polars_with_its_values_and_nulls() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", ArrowType::Int64, false),
            Field::new("name", ArrowType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![1, 2, 3])),
                Arc::new(StringArray::from(vec![Some("a"), None, Some("c")])),
            ],
        )
        .unwrap();
        let frame = batch_to_frame(&batch).unwrap();
        let expected = df!("id" => [1i64, 2, 3], "name" => [Some("a"), None, Some("c")]).unwrap();
        assert!(frame.equals_missing(&expected), "{frame}");
    }
}
