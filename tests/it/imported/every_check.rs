//! Contracts imported from the ODCS document `every_check.odcs.yaml` by `contracts import odcs`.
//!
//! Register each struct with `Registry::with::<…>()`; `contracts export` writes
//! the document back.

use datacontract::DataContract;

/// Every check a contract can hold: each kind, both severities (two ranges
/// on one column), every statistic (approximate ones too), the table's
/// checks, foreign keys of one column and of two, reconciliations, a renamed
/// column whose name is a Rust keyword, and a description a doc comment cannot
/// keep.
#[derive(DataContract)]
#[contract(
    name = "every_check",
    version = "0.3.0",
    severity = "warn",
    partition_by(ingestion_time(month)),
    cluster_by(code),
    dedup_key(code, at),
    drift(psi = 0.25, ks = 0.3, category_share = 0.1, columns(amount, code)),
    foreign_key(columns(code, r#type), references = "codes(code, kind)"),
    reconcile(sum(amount), against = "raw_checks.amount", tolerance = 1e-6),
    rule("amount >= 0"),
    error(row_count(min = 1, max = 1000000), freshness(at, max_age = "26h"), reconcile(row_count, against = "raw_checks", name = "rows_kept"), rule(name = "ordered", sql = "low <= high"))
)]
pub struct EveryCheck {
    /// A code:
    ///
    ///   an indented line, kept.
    #[contract(length(equal = 3), regex = "^[A-Z]{3}$", error(one_of("ABC", "XYZ")))]
    pub code: String,
    #[contract(
        max = 1440,
        error(min = -720),
        expect(mean(min = 0, max = 5), quantile(q = 0.9, max = 100.5, severity = "error"), null_fraction(max = 0.01), stddev(max = 3), sum(min = 0), distinct_count(min = 1, max = 10))
    )]
    pub amount: Option<f64>,
    #[contract(
        expect(quantile(q = 0.999, max = 100, approximate = true), distinct_count(min = 1, approximate = true))
    )]
    pub low: i64,
    pub high: i64,
    #[contract(
        min = "2017-01-01T00:00:00Z",
        expect(min(min = "2017-01-01T00:00:00Z"), max(max = "2030-01-01T00:00:00Z"))
    )]
    pub at: chrono::DateTime<chrono::Utc>,
    #[contract(
        email,
        error(unique),
        policy_tags("projects/p/locations/eu/taxonomies/1/policyTags/2"),
        sensitivity = "confidential"
    )]
    pub contact: Option<String>,
    #[contract(description = "A trailing space is kept ", url)]
    pub homepage: String,
    #[contract(min = 0, length(max = 5), error(min = -10))]
    pub scores: Vec<i64>,
    pub r#type: String,
    #[contract(min_exclusive = 0.5, max_exclusive = 2.5)]
    pub ratio: f64,
    #[contract(one_of(1, 2, 3), error(references = "levels.level"))]
    pub level: i64,
    #[contract(bigquery_type = "NUMERIC(10, 0)")]
    pub count: rust_decimal::Decimal,
    pub maybe_scores: Option<Vec<i64>>,
}
