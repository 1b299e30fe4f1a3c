//! A warehouse with the object store its partitions come from, in a fresh
//! dataset: DuckDB over a local folder, or bqemulator over fake-gcs-server
//! (started by scripts/test.sh, which sets DATACONTRACT_GCS_EMULATOR and
//! BIGQUERY_EMULATOR_HOST; without them these fail, naming the script).

use chrono::{DateTime, TimeZone, Utc};
use datacontract::Contract;
use datacontract::sql::{Query, TableRef};
use datacontract::store::{GcsStore, LocalStore, ObjectStore, write_partition};
use datacontract::warehouse::{BigQueryWarehouse, DuckDbWarehouse, LoadMode, Warehouse};
use polars::prelude::DataFrame;

/// A warehouse, the store its partitions come from, and a fresh dataset.
pub struct Setup {
    pub warehouse: Box<dyn Warehouse>,
    pub store: Box<dyn ObjectStore>,
    pub dataset: String,
}

impl Setup {
    pub fn table(&self, name: &str) -> TableRef {
        TableRef::new(&self.dataset, name).unwrap()
    }

    pub fn query(&self, sql: &str) -> DataFrame {
        let mut query = Query::new(self.warehouse.dialect());
        query.sql = sql.to_string();
        self.warehouse.query(&query).unwrap()
    }

    /// A new table `name` of `contract` holding `rows`, loaded as a
    /// pipeline loads a partition: written to the store, then loaded.
    pub fn load(&self, name: &str, contract: &Contract, rows: &DataFrame) -> TableRef {
        let table = self.table(name);
        self.warehouse.ensure_dataset(&self.dataset).unwrap();
        self.warehouse.create_table(&table, contract).unwrap();
        let at = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        self.load_partition(&table, contract, at, rows, LoadMode::Truncate);
        table
    }

    /// `rows` written to the store as the partition of `table` created at
    /// `at`, then loaded into `table` (of `contract`) in `mode`.
    pub fn load_partition(
        &self,
        table: &TableRef,
        contract: &Contract,
        at: DateTime<Utc>,
        rows: &DataFrame,
        mode: LoadMode,
    ) {
        let partition =
            write_partition(self.store.as_ref(), &self.dataset, &table.table, at, rows).unwrap();
        self.warehouse
            .load_partition(table, contract, self.store.as_ref(), &partition, mode)
            .unwrap();
    }
}

/// A name no other test process uses.
pub fn unique(name: &str) -> String {
    format!("t{}_{name}", std::process::id())
}

/// DuckDB in a file, over a local folder.
pub fn local(name: &str) -> Setup {
    let root = std::env::temp_dir().join(format!("datacontract-warehouse-{}", unique(name)));
    let _ = std::fs::remove_dir_all(&root);
    let store = LocalStore::new(root.join("data")).unwrap();
    let warehouse = DuckDbWarehouse::open(&root.join("warehouse.duckdb")).unwrap();
    Setup {
        warehouse: Box::new(warehouse),
        store: Box::new(store),
        dataset: unique(name),
    }
}

/// bqemulator over fake-gcs-server.
pub fn emulators(name: &str) -> Setup {
    let gcs = std::env::var("DATACONTRACT_GCS_EMULATOR").expect(
        "DATACONTRACT_GCS_EMULATOR is not set: run the tests with scripts/test.sh, which starts fake-gcs-server",
    );
    let bigquery = std::env::var("BIGQUERY_EMULATOR_HOST").expect(
        "BIGQUERY_EMULATOR_HOST is not set: run the tests with scripts/test.sh, which starts bqemulator",
    );
    let bucket = unique(name).replace('_', "-");
    let store = GcsStore::emulator(&bucket, &gcs).unwrap();
    store.create_bucket().unwrap();
    // Two rows a page, so every query result of more than two rows pages.
    let warehouse = BigQueryWarehouse::emulator("test-proj", &format!("http://{bigquery}"))
        .unwrap()
        .with_page_size(2);
    Setup {
        warehouse: Box::new(warehouse),
        store: Box::new(store),
        dataset: unique(name),
    }
}
