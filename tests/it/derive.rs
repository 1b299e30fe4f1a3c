//! What `#[derive(DataContract)]` reads: its own attributes, serde's,
//! validator's and doc comments.

use std::sync::LazyLock;

use datacontract::{
    Bound, ConstraintKind, DataContract, Expectation, Literal, Partitioning, Sensitivity, Severity,
    Statistic, TimeGranularity,
};
use serde::Serialize;
use validator::Validate;

static CODE: LazyLock<regex::Regex> = LazyLock::new(|| regex::Regex::new("^[A-Z]{3}$").unwrap());

/// An order as a shop records it.
///
/// Second paragraph.
#[derive(Serialize, Validate, DataContract)]
#[serde(rename_all = "camelCase")]
#[contract(
    version = "3.0.1",
    severity = "warn",
    partition_by(ingestion_time(month)),
    row_count(min = 1, max = 1000),
    rule("unitPrice * quantity >= 0"),
    error(dedup_key(order_id), rule(name = "positive", sql = "quantity > 0"))
)]
#[allow(dead_code)]
struct ShopOrder {
    /// The order's id.
    order_id: i64,
    #[validate(range(min = 1, max = 100))]
    quantity: i32,
    #[contract(
        min_exclusive = 0,
        error(max = 10000.5),
        description = "Price per unit."
    )]
    unit_price: f64,
    #[validate(length(min = 3, max = 3), regex(path = *CODE))]
    currency: String,
    #[validate(email)]
    #[contract(
        sensitivity = "confidential",
        policy_tags("projects/p/taxonomies/1/policyTags/2")
    )]
    buyer_email: String,
    #[serde(rename = "ship_to")]
    #[contract(one_of("home", "store"), unique)]
    destination: String,
    #[serde(skip)]
    internal_note: String,
    #[contract(skip)]
    cache: Vec<u8>,
    #[contract(expect(
        mean(min = 0, max = 5),
        quantile(q = 0.9, max = 10),
        null_fraction(max = 0.5, severity = "error"),
        distinct_count(min = 1)
    ))]
    rating: Option<f64>,
}

#[test]
fn table_attributes_and_docs() {
    let contract = ShopOrder::contract();
    assert_eq!(contract.name, "shop_order");
    assert_eq!(contract.version, "3.0.1");
    assert_eq!(
        contract.description.as_deref(),
        Some("An order as a shop records it.\n\nSecond paragraph.")
    );
    assert_eq!(contract.default_severity, Severity::Warn);
    assert_eq!(
        contract.partitioning,
        Some(Partitioning::IngestionTime {
            granularity: TimeGranularity::Month
        })
    );
    let key = contract.dedup_key.unwrap();
    assert_eq!(
        (key.columns, key.severity),
        (vec!["orderId".to_string()], Severity::Error)
    );
    assert_eq!(
        contract.expectations,
        vec![Expectation {
            statistic: Statistic::RowCount,
            min: Some(Literal::Int(1)),
            max: Some(Literal::Int(1000)),
            severity: Severity::Warn,
            approximate: false,
        }]
    );
    let rules: Vec<_> = contract
        .rules
        .iter()
        .map(|rule| (rule.name.as_str(), rule.severity))
        .collect();
    assert_eq!(
        rules,
        [
            ("unitprice_quantity_ge_0", Severity::Warn),
            ("positive", Severity::Error)
        ]
    );
}

#[test]
fn serde_names_and_skips_are_honoured() {
    let names: Vec<_> = ShopOrder::contract()
        .fields
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(
        names,
        [
            "orderId",
            "quantity",
            "unitPrice",
            "currency",
            "buyerEmail",
            "ship_to",
            "rating"
        ]
    );
}

#[test]
fn validator_attributes_become_checks() {
    let contract = ShopOrder::contract();
    let kinds = |name: &str| -> Vec<ConstraintKind> {
        contract
            .field(name)
            .unwrap()
            .constraints
            .iter()
            .map(|c| c.kind.clone())
            .collect()
    };
    assert_eq!(
        kinds("quantity"),
        [ConstraintKind::Range {
            min: Some(Bound {
                value: Literal::Int(1),
                inclusive: true
            }),
            max: Some(Bound {
                value: Literal::Int(100),
                inclusive: true
            }),
        }]
    );
    assert_eq!(
        kinds("currency"),
        [
            ConstraintKind::Length {
                min: Some(3),
                max: Some(3)
            },
            ConstraintKind::Regex {
                pattern: "^[A-Z]{3}$".into()
            },
        ]
    );
    assert_eq!(kinds("buyerEmail"), [ConstraintKind::Email]);
}

#[test]
fn severities_come_from_groups_fields_and_the_table() {
    let contract = ShopOrder::contract();
    let price = contract.field("unitPrice").unwrap();
    assert_eq!(price.description.as_deref(), Some("Price per unit."));
    let severities: Vec<_> = price
        .constraints
        .iter()
        .map(|c| match &c.kind {
            ConstraintKind::Range { min, max } => (min.is_some(), max.is_some(), c.severity),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        severities,
        // The error range first, whatever order the attributes gave.
        [
            (false, true, Severity::Error),
            (true, false, Severity::Warn)
        ]
    );
    let destination = contract.field("ship_to").unwrap();
    assert_eq!(
        destination
            .constraints
            .iter()
            .map(|c| c.kind.clone())
            .collect::<Vec<_>>(),
        [
            ConstraintKind::OneOf {
                values: vec![
                    Literal::String("home".into()),
                    Literal::String("store".into())
                ]
            },
            ConstraintKind::Unique,
        ]
    );
}

#[test]
fn expectations_tags_and_sensitivity() {
    let contract = ShopOrder::contract();
    let rating = contract.field("rating").unwrap();
    let statistics: Vec<_> = rating
        .expectations
        .iter()
        .map(|e| (e.statistic.clone(), e.severity))
        .collect();
    assert_eq!(
        statistics,
        [
            (Statistic::Mean, Severity::Warn),
            (Statistic::Quantile { q: 0.9 }, Severity::Warn),
            (Statistic::NullFraction, Severity::Error),
            (Statistic::DistinctCount, Severity::Warn),
        ]
    );
    let email = contract.field("buyerEmail").unwrap();
    assert_eq!(email.sensitivity, Some(Sensitivity::Confidential));
    assert_eq!(email.policy_tags, ["projects/p/taxonomies/1/policyTags/2"]);
}

#[test]
fn validator_still_validates_the_same_struct() {
    let order = ShopOrder {
        order_id: 1,
        quantity: 0,
        unit_price: 1.0,
        currency: "usd".into(),
        buyer_email: "not an email".into(),
        destination: "home".into(),
        internal_note: String::new(),
        cache: Vec::new(),
        rating: None,
    };
    let errors = order.validate().unwrap_err();
    let failed: std::collections::BTreeSet<_> = errors.field_errors().into_keys().collect();
    assert_eq!(
        failed,
        ["buyer_email", "currency", "quantity"]
            .into_iter()
            .map(Into::into)
            .collect()
    );
}

/// A range-partitioned table with renamed columns.
#[derive(DataContract)]
#[contract(name = "buckets", partition_by(range(bucket, start = -10, end = 100, interval = 10)))]
#[allow(dead_code)]
struct Buckets {
    #[contract(rename = "bucket")]
    bucket_number: i64,
    #[contract(min = "2001-01-01", max_exclusive = "2002-01-01")]
    day: chrono::NaiveDate,
}

#[test]
fn range_partitions_and_date_bounds() {
    let contract = Buckets::contract();
    assert_eq!(
        contract.partitioning,
        Some(Partitioning::IntegerRange {
            column: "bucket".into(),
            start: -10,
            end: 100,
            interval: 10
        })
    );
    let ddl = contract.ddl(&Default::default()).unwrap();
    assert!(ddl.contains("PARTITION BY RANGE_BUCKET(`bucket`, GENERATE_ARRAY(-10, 100, 10))"));
    let day = &contract.field("day").unwrap().constraints[0].kind;
    assert_eq!(
        day,
        &ConstraintKind::Range {
            min: Some(Bound {
                value: Literal::String("2001-01-01".into()),
                inclusive: true
            }),
            max: Some(Bound {
                value: Literal::String("2002-01-01".into()),
                inclusive: false
            }),
        }
    );
}

#[test]
fn contracts_round_trip_through_json() {
    let contract = ShopOrder::contract();
    let json = serde_json::to_string(&contract).unwrap();
    let back: datacontract::Contract = serde_json::from_str(&json).unwrap();
    assert_eq!(back, contract);
}

/// The ends of INT64 are literals too (the least has no positive twin).
#[derive(DataContract)]
#[allow(dead_code)]
struct Extremes {
    #[contract(min = -9223372036854775808, max = 9223372036854775807)]
    hash: i64,
}

#[test]
fn the_ends_of_int64_are_bounds() {
    let contract = Extremes::contract();
    let ConstraintKind::Range { min, max } = &contract.fields[0].constraints[0].kind else {
        panic!("a range");
    };
    assert_eq!(min.as_ref().unwrap().value, Literal::Int(i64::MIN));
    assert_eq!(max.as_ref().unwrap().value, Literal::Int(i64::MAX));
}
