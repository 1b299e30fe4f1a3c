//! The rows a contract's foreign keys are checked against: in memory, the
//! referenced tables' rows given by the caller; in a warehouse, their
//! tables (by default beside the validated one, under the contract's name).

use std::collections::BTreeMap;
use std::fmt;

use polars::prelude::LazyFrame;

use super::{Input, ValidationError};
use crate::Contract;
use crate::sql::TableRef;

/// Where the tables a contract references are found, by table name.
#[derive(Clone, Default)]
pub struct References {
    rows: BTreeMap<String, LazyFrame>,
    tables: BTreeMap<String, TableRef>,
}

impl References {
    /// For validation in memory: `table`'s rows are `rows` (a frame, or a
    /// lazy scan of its files).
    pub fn with_rows(mut self, table: impl Into<String>, rows: impl Into<Input>) -> Self {
        self.rows.insert(table.into(), rows.into().into_lazy());
        self
    }

    /// For validation in a warehouse: `table` is the warehouse table
    /// `location` (by default, the table of that name in the validated
    /// table's dataset).
    pub fn with_table(mut self, table: impl Into<String>, location: TableRef) -> Self {
        self.tables.insert(table.into(), location);
        self
    }

    /// The rows given for `table`.
    pub fn rows(&self, table: &str) -> Option<&LazyFrame> {
        self.rows.get(table)
    }

    /// The warehouse table holding `table` when the validated table is
    /// `validated`: the one given, or `table` in `validated`'s dataset.
    pub fn table(&self, table: &str, validated: &TableRef) -> Result<TableRef, ValidationError> {
        match self.tables.get(table) {
            Some(location) => Ok(location.clone()),
            None => Ok(validated
                .sibling(table)
                .map_err(crate::warehouse::WarehouseError::from)?),
        }
    }

    /// Fails, naming each, when a foreign key or reconciliation of
    /// `contract` reads a table whose rows were not given: a check that
    /// cannot run in memory is an error, never a pass.
    pub(super) fn require_rows_for(&self, contract: &Contract) -> Result<(), ValidationError> {
        let missing: Vec<String> = contract
            .other_tables()
            .into_iter()
            .filter(|table| !self.rows.contains_key(*table))
            .map(str::to_string)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(ValidationError::NoReferencedRows {
            contract: contract.name.clone(),
            tables: missing,
        })
    }
}

impl fmt::Debug for References {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("References")
            .field("rows", &self.rows.keys().collect::<Vec<_>>())
            .field("tables", &self.tables)
            .finish()
    }
}
