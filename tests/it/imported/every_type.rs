//! Contracts imported from the ODCS document `every_type.odcs.yaml` by `contracts import odcs`.
//!
//! Register each struct with `Registry::with::<…>()`; `contracts export` writes
//! the document back.

use datacontract::DataContract;

#[derive(DataContract)]
pub struct EveryTypeBranchLeaf {
    /// A flag.
    pub flag: bool,
    pub note: Option<String>,
}

#[derive(DataContract)]
pub struct EveryTypeBranch {
    pub label: String,
    pub leaf: EveryTypeBranchLeaf,
    pub leaves: Vec<EveryTypeBranchLeaf>,
}

/// Every supported type, in every mode.
#[derive(DataContract)]
#[contract(
    name = "every_type",
    version = "2.1.0",
    partition_by(hour(seen_at)),
    cluster_by(id, label),
    dedup_key(id)
)]
pub struct EveryType {
    /// The row's id.
    pub id: i64,
    pub small: i64,
    pub medium: i64,
    pub unsigned: i64,
    #[contract(bigquery_type = "NUMERIC(20, 0)")]
    pub wide: rust_decimal::Decimal,
    pub ratio: f64,
    pub single: f64,
    pub flag: bool,
    pub label: String,
    pub letter: String,
    pub blob: Vec<u8>,
    pub day: chrono::NaiveDate,
    pub clock: chrono::NaiveTime,
    pub civil: chrono::NaiveDateTime,
    pub seen_at: chrono::DateTime<chrono::Utc>,
    pub amount: rust_decimal::Decimal,
    #[contract(bigquery_type = "BIGNUMERIC(40, 20)")]
    pub big_amount: rust_decimal::Decimal,
    pub payload: serde_json::Value,
    pub payload_text: serde_json::Value,
    pub maybe_count: Option<i64>,
    pub maybe_day: Option<chrono::NaiveDate>,
    pub tags: Vec<String>,
    pub maybe_tags: Option<Vec<String>>,
    pub blobs: Vec<Vec<u8>>,
    pub branch: EveryTypeBranch,
    pub maybe_branch: Option<EveryTypeBranch>,
    pub branches: Vec<EveryTypeBranch>,
}
