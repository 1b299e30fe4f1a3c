//! A scratch Parquet file that a CSV file too large for memory is written
//! to as it is read, so the validation can stream it.

use std::fs::File;
use std::path::Path;

use polars::io::parquet::write::BatchedWriter;
use polars::prelude::*;
use tempfile::TempPath;

/// A scratch Parquet file holding a CSV file's rows as text columns, in
/// the system's temporary folder; deleted when dropped, so it must live as
/// long as the frame that scans it ([`Input::Files`](crate::validate::Input::Files)
/// holds it).
#[derive(Debug)]
pub struct Spool {
    path: TempPath,
}

impl Spool {
    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A lazy scan of the rows.
    pub(super) fn scan(&self) -> PolarsResult<LazyFrame> {
        LazyFrame::scan_parquet(
            PlRefPath::from(self.path.to_string_lossy().as_ref()),
            ScanArgsParquet::default(),
        )
    }
}

/// A [`Spool`] being written, a frame at a time.
pub(super) struct SpoolWriter {
    writer: BatchedWriter<File>,
    path: TempPath,
}

impl SpoolWriter {
    /// A new scratch file for frames of `schema`.
    pub(super) fn create(schema: &Schema) -> PolarsResult<Self> {
        let (file, path) = tempfile::Builder::new()
            .prefix("datacontract-csv-")
            .suffix(".parquet")
            .tempfile()?
            .into_parts();
        // LZ4: the file is read once, soon; speed matters more than size.
        let writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Lz4Raw)
            .batched(schema)?;
        Ok(SpoolWriter { writer, path })
    }

    /// Appends `frame`'s rows.
    pub(super) fn write(&mut self, frame: &DataFrame) -> PolarsResult<()> {
        self.writer.write_batch(frame)
    }

    /// Writes the footer: the file is complete.
    pub(super) fn finish(self) -> PolarsResult<Spool> {
        self.writer.finish()?;
        Ok(Spool { path: self.path })
    }
}
