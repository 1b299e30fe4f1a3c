//! `contracts import odcs`: a document read back into contracts and into
//! the Rust source of their structs.
//!
//! The round trips: the every-type contract and a contract holding every
//! check in both severities go to ODCS and back to an equal contract; the
//! Rust source the import writes for each is committed under `imported/`
//! and compiled into this test, and the struct it declares derives the
//! original contract again.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use datacontract::DataContract;
use datacontract::odcs::{self, ProblemKind};
use datacontract::testing::odcs::assert_round_trip;
use rust_decimal::Decimal;

use crate::every_type::EveryType;

// Only their contracts are read; kept as the import writes them.
#[allow(dead_code)]
#[rustfmt::skip]
#[path = "imported/every_type.rs"]
mod every_type_imported;

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "imported/every_check.rs"]
mod every_check_imported;

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "imported/full_example.rs"]
mod full_example_imported;

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
    dedup_key(code, at),
    partition_by(ingestion_time(month)),
    cluster_by(code),
    error(row_count(min = 1, max = 1000000), freshness(at, max_age = "26h")),
    drift(psi = 0.25, ks = 0.3, category_share = 0.1, columns(amount, code)),
    rule("amount >= 0"),
    error(rule(name = "ordered", sql = "low <= high")),
    foreign_key(columns(code, kind), references = "codes(code, kind)"),
    reconcile(sum(amount), against = "raw_checks.amount", tolerance = 1e-6),
    error(reconcile(row_count, against = "raw_checks", name = "rows_kept"))
)]
#[allow(dead_code)]
pub(crate) struct EveryCheck {
    /// A code:
    ///
    ///   an indented line, kept.
    #[contract(length(equal = 3), regex = "^[A-Z]{3}$", error(one_of("ABC", "XYZ")))]
    code: String,
    #[contract(
        error(min = -720),
        max = 1440,
        expect(
            mean(min = 0, max = 5),
            quantile(q = 0.9, max = 100.5, severity = "error"),
            null_fraction(max = 0.01),
            stddev(max = 3),
            sum(min = 0),
            distinct_count(min = 1, max = 10)
        )
    )]
    amount: Option<f64>,
    #[contract(expect(
        quantile(q = 0.999, max = 100, approximate = true),
        distinct_count(min = 1, approximate = true)
    ))]
    low: i64,
    high: i64,
    #[contract(
        min = "2017-01-01T00:00:00Z",
        expect(min(min = "2017-01-01T00:00:00Z"), max(max = "2030-01-01T00:00:00Z"))
    )]
    at: DateTime<Utc>,
    #[contract(
        email,
        error(unique),
        sensitivity = "confidential",
        policy_tags("projects/p/locations/eu/taxonomies/1/policyTags/2")
    )]
    contact: Option<String>,
    #[contract(url, description = "A trailing space is kept ")]
    homepage: String,
    #[contract(min = 0, error(min = -10), length(max = 5))]
    scores: Vec<i64>,
    #[contract(rename = "type")]
    kind: String,
    #[contract(min_exclusive = 0.5, max_exclusive = 2.5)]
    ratio: f32,
    #[contract(one_of(1, 2, 3), error(references = "levels.level"))]
    level: i32,
    #[contract(bigquery_type = "NUMERIC(10)")]
    count: Decimal,
    maybe_scores: Option<Vec<i64>>,
}

fn imported(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/it/imported/{name}.rs"))
}

#[test]
fn every_type_survives_odcs_and_its_imported_struct_derives_it_again() {
    let original = EveryType::contract();
    assert_round_trip(&original, "every_type.odcs.yaml", &imported("every_type"));
    assert_eq!(every_type_imported::EveryType::contract(), original);
}

#[test]
fn every_check_survives_odcs_and_its_imported_struct_derives_it_again() {
    let original = EveryCheck::contract();
    assert_round_trip(&original, "every_check.odcs.yaml", &imported("every_check"));
    assert_eq!(every_check_imported::EveryCheck::contract(), original);
    let source = std::fs::read_to_string(imported("every_check")).unwrap();
    for expected in [
        "    /// A code:\n    ///\n    ///   an indented line, kept.\n",
        "description = \"A trailing space is kept \"",
        "    pub r#type: String,",
        "pub maybe_scores: Option<Vec<i64>>,",
        "    error(row_count(min = 1, max = 1000000), freshness(at, max_age = \"26h\"), reconcile(",
        "    foreign_key(columns(code, r#type), references = \"codes(code, kind)\"),",
        "error(references = \"levels.level\")",
        "#[contract(min = 0, length(max = 5), error(min = -10))]",
    ] {
        assert!(source.contains(expected), "{expected:?} in\n{source}");
    }
}

#[test]
fn two_ranges_of_one_column_travel_as_the_models_checks() {
    let yaml = odcs::to_yaml(&odcs::export(&EveryCheck::contract(), &Default::default()));
    assert!(yaml.contains("property: checks"), "{yaml}");
    // `amount` and `scores`; one range per column elsewhere: the
    // standard fields and `severities`.
    assert_eq!(yaml.matches("property: checks").count(), 2, "{yaml}");
    assert!(yaml.contains("property: severities"), "{yaml}");
}

/// Parses and imports `yaml`; the problems' paths and kinds when it fails.
fn problems(yaml: &str) -> Vec<(String, ProblemKind)> {
    let document = odcs::parse(yaml).unwrap();
    match odcs::import(&document) {
        Ok(tables) => panic!("imported {} tables", tables.len()),
        Err(error) => error
            .problems
            .into_iter()
            .map(|problem| (problem.path, problem.kind))
            .collect(),
    }
}

#[test]
fn what_a_contract_cannot_express_is_named_with_its_path() {
    let found = problems(
        r#"
apiVersion: v3.1.0
kind: DataContract
version: 1.0.0
team: { name: data }
schema:
  - name: trades
    physicalType: view
    properties:
      - name: price
        logicalType: number
        logicalTypeOptions: { multipleOf: 0.01 }
      - name: day
        logicalType: date
        logicalTypeOptions: { format: yyyy-MM-dd }
      - name: note
        logicalType: string
        businessName: The note
        quality:
          - metric: nullValues
            mustBeLessThan: 5
            unit: percent
"#,
    );
    let unsupported = |path: &str| (path.to_string(), ProblemKind::Unsupported);
    for expected in [
        unsupported("schema[0].physicalType"),
        unsupported("schema[0].properties[0].logicalTypeOptions.multipleOf"),
        unsupported("schema[0].properties[1].logicalTypeOptions.format"),
        unsupported("schema[0].properties[2].businessName"),
        unsupported("schema[0].properties[2].quality[0].mustBe"),
        unsupported("schema[0].properties[2].quality[0].mustBeLessThan"),
        unsupported("schema[0].properties[2].quality[0].unit"),
        unsupported("team"),
    ] {
        assert!(found.contains(&expected), "{expected:?} in {found:#?}");
    }
}

/// Relationships in shorthand become foreign keys, naming the stored
/// tables and columns where the document describes them; what a key cannot
/// be is named.
#[test]
fn relationships_are_foreign_keys_or_named_problems() {
    let document = |relationships: &str| {
        format!(
            r#"
apiVersion: v3.1.0
kind: DataContract
id: x
version: 1.0.0
status: active
schema:
  - name: customers
    physicalName: customer_master
    properties:
      - {{ name: id, physicalName: customer_id, logicalType: integer, required: true }}
      - {{ name: region, logicalType: string }}
  - name: orders
    properties:
      - name: customer
        logicalType: integer
        relationships: [{{ to: customers.id }}]
      - {{ name: region, logicalType: string }}
      - {{ name: tag, logicalType: string }}
{relationships}
"#
        )
    };
    let imported = odcs::import(&odcs::parse(&document("")).unwrap()).unwrap();
    let keys = &imported[1].contract.foreign_keys;
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (keys[0].columns.clone(), keys[0].target()),
        (
            vec!["customer".to_string()],
            "customer_master.customer_id".to_string()
        )
    );

    let composite = "    relationships:
      - { from: [orders.customer, orders.region], to: [customers.id, customers.region], customProperties: [{ property: severity, value: warning }] }";
    let imported = odcs::import(&odcs::parse(&document(composite)).unwrap()).unwrap();
    let key = &imported[1].contract.foreign_keys[1];
    assert_eq!(key.target(), "customer_master(customer_id, region)");
    assert_eq!(key.severity, datacontract::Severity::Warn);

    let wrong = "    relationships:
      - { from: [customers.id, orders.region], to: [customers.id, customers.region] }
      - { from: [orders.tag, orders.region], to: [customers.id, customers.region] }
      - { from: [orders.customer, orders.region], to: [customers.id, clients.region] }
      - { from: [orders.customer, orders.region], to: 'other.yaml#/schema/x/properties/y' }";
    let found = problems(&document(wrong));
    let problem = |path: &str, kind| (path.to_string(), kind);
    for expected in [
        problem("schema[1].relationships[0].from", ProblemKind::Invalid),
        problem("schema[1]", ProblemKind::Invalid),
        problem("schema[1].relationships[2].to", ProblemKind::Unsupported),
        problem("schema[1].relationships[3].to", ProblemKind::Unsupported),
    ] {
        assert!(found.contains(&expected), "{expected:?} in {found:#?}");
    }
}

#[test]
fn values_that_do_not_fit_their_column_are_invalid() {
    let found = problems(
        r#"
apiVersion: v3.1.0
kind: DataContract
version: 1.0.0
schema:
  - name: trades
    properties:
      - name: at
        logicalType: timestamp
        logicalTypeOptions: { minimum: "2020-01-01 00:00:00" }
      - name: code
        logicalType: string
        logicalTypeOptions: { pattern: "[unclosed" }
      - name: 1st
        logicalType: integer
        physicalType: varchar(3)
"#,
    );
    let invalid = |path: &str| (path.to_string(), ProblemKind::Invalid);
    for expected in [
        invalid("schema[0].properties[0]"),
        invalid("schema[0].properties[1].logicalTypeOptions.pattern"),
        invalid("schema[0].properties[2].name"),
        invalid("schema[0].properties[2].physicalType"),
    ] {
        assert!(found.contains(&expected), "{expected:?} in {found:#?}");
    }
}

/// An example of the standard, by its file name under `tests/odcs/examples/`.
fn example(name: &str) -> (PathBuf, serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/odcs/examples")
        .join(format!("{name}.odcs.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    (path, odcs::parse(&text).unwrap())
}

/// Each of the standard's examples: none imports as it stands (every one
/// holds something a contract cannot express, named with its path); with
/// `--drop-unsupported`, those that describe tables validly import, and the
/// others fail on what is invalid in them.
#[test]
fn the_standards_examples_import_or_fail_naming_what_is_unsupported() {
    // (example, a part it cannot import as it stands, the tables it
    // imports without what is unsupported, or else the invalid part)
    let cases: [(&str, &str, Result<usize, &str>); 18] = [
        (
            "all__full-example",
            "schema[0].properties[0].businessName",
            Ok(2),
        ),
        (
            "all__postgresql-adventureworks-contract",
            "schema[0].properties[0].authoritativeDefinitions",
            Err("schema[0].properties[3].physicalType"),
        ),
        (
            "data-types__all-data-types",
            "schema[0].properties[1].logicalTypeOptions.format",
            Err("schema[0].properties[8].items"),
        ),
        (
            "fundamentals__table-column-description",
            "schema[0].properties[0].examples",
            Ok(1),
        ),
        (
            "quality__column-accuracy",
            "schema[0].properties[0].quality[0].query",
            Ok(1),
        ),
        (
            "quality__column-completeness",
            "schema[0].properties[0].quality[0].dimension",
            Ok(1),
        ),
        (
            "quality__column-custom",
            "schema[0].properties[0].quality[0].type",
            Ok(1),
        ),
        (
            "quality__column-validity",
            "schema[0].properties[0].quality[0].arguments.validValues[1]",
            Ok(1),
        ),
        (
            "roles__service-and-operational-roles",
            "roles",
            Err("schema"),
        ),
        (
            "schema__all-schema-types",
            "schema[0].properties[0].transformLogic",
            Ok(3),
        ),
        ("schema__kafka-schema", "schema[0].physicalType", Ok(1)),
        (
            "schema__kafka-schemaregistry",
            "schema[0].physicalType",
            Err("schema[0].properties"),
        ),
        ("schema__table-column", "dataProduct", Ok(1)),
        (
            "schema__table-columns-with-partition",
            "schema[0].properties",
            Ok(1),
        ),
        ("server__azure-server", "servers", Err("schema")),
        (
            "server__kafka-server",
            "schema[0].physicalType",
            Err("schema[0].physicalName"),
        ),
        (
            "sla__database-table-sla",
            "slaProperties[0].property",
            Err("schema"),
        ),
        ("stakeholders__basic-four-dpo", "team", Err("schema")),
    ];
    let on_disk =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/odcs/examples"))
            .unwrap()
            .count();
    assert_eq!(on_disk, cases.len(), "a case for every example");
    for (name, unsupported, dropping) in cases {
        let (_, document) = example(name);
        let problems = odcs::import(&document).expect_err(name).problems;
        if name != "server__azure-server" {
            assert!(
                problems
                    .iter()
                    .any(|p| p.path == unsupported && p.kind == ProblemKind::Unsupported),
                "{name}: {unsupported} unsupported in {problems:#?}"
            );
        }
        match (odcs::import_dropping_unsupported(&document), dropping) {
            (Ok((tables, dropped)), Ok(count)) => {
                assert_eq!(tables.len(), count, "{name}");
                assert!(dropped.iter().all(|p| p.kind == ProblemKind::Unsupported));
                assert_eq!(
                    dropped.len(),
                    problems.len(),
                    "{name}: every part left out is listed"
                );
            }
            (Err(error), Err(invalid)) => assert!(
                error
                    .problems
                    .iter()
                    .any(|p| p.path == invalid && p.kind == ProblemKind::Invalid),
                "{name}: {invalid} invalid in {error}"
            ),
            (outcome, expected) => panic!("{name}: expected {expected:?}, got {outcome:?}"),
        }
    }
}

/// The standard's full example, imported without what is unsupported: the
/// source is committed under `imported/`, compiles, and lists every part it
/// left out.
#[test]
fn the_full_example_imports_into_structs_that_compile() {
    let (_, document) = example("all__full-example");
    let (tables, dropped) = odcs::import_dropping_unsupported(&document).unwrap();
    let source = odcs::to_rust("all__full-example.odcs.yaml", &tables, &dropped).unwrap();
    let committed = imported("full_example");
    if std::env::var(datacontract::testing::odcs::UPDATE_VARIABLE).as_deref() == Ok("1") {
        std::fs::write(&committed, &source).unwrap();
    }
    assert_eq!(std::fs::read_to_string(&committed).unwrap(), source);
    for problem in &dropped {
        assert!(
            source.contains(&format!("//! - {}: ", problem.path)),
            "{problem}"
        );
    }
    let receivers = full_example_imported::Receivers::contract();
    assert_eq!(receivers.name, "receivers_master");
    let key = receivers.dedup_key.as_ref().map(|key| key.columns.clone());
    assert_eq!(
        key,
        Some(vec!["id".to_string(), "country_code".to_string()])
    );
    assert_eq!(tables[1].contract, receivers);
    let tbl = full_example_imported::Tbl::contract();
    assert_eq!(tables[0].contract, tbl);
    let targets: Vec<String> = tbl.foreign_keys.iter().map(|key| key.target()).collect();
    assert_eq!(
        targets,
        ["receivers_master.id", "receivers_master(id, country_code)"]
    );
}

/// What the derive would refuse is refused here, before any source is
/// written: a version that is no semver, an empty range, names equal but
/// for case, a second key, a decimal BigQuery cannot hold, a custom
/// property given twice; a physical type from elsewhere is unsupported.
#[test]
fn what_the_derive_would_refuse_is_invalid() {
    let found = problems(
        r#"
apiVersion: v3.1.0
kind: DataContract
version: "2"
schema:
  - name: trades
    properties:
      - { name: id, logicalType: integer, primaryKey: true }
      - { name: ID, logicalType: integer }
      - name: price
        logicalType: number
        logicalTypeOptions: { minimum: 10, maximum: 1 }
      - { name: amount, logicalType: number, physicalType: "DECIMAL(5, 10)" }
      - { name: cost, logicalType: number, physicalType: "NUMBER(10, 2)" }
      - { name: label, logicalType: string, physicalType: "NVARCHAR2(10)" }
    quality:
      - { metric: duplicateValues, arguments: { properties: [id] }, mustBe: 0 }
      - { metric: duplicateValues, arguments: { properties: [ID] }, mustBe: 0 }
    customProperties:
      - { property: defaultSeverity, value: error }
      - { property: defaultSeverity, value: warning }
"#,
    );
    let invalid = |path: &str| (path.to_string(), ProblemKind::Invalid);
    for expected in [
        invalid("version"),
        invalid("schema[0].properties"),
        invalid("schema[0].quality[1]"),
        invalid("schema[0].customProperties[1].property"),
        (
            "schema[0].properties[5].physicalType".to_string(),
            ProblemKind::Unsupported,
        ),
    ] {
        assert!(found.contains(&expected), "{expected:?} in {found:#?}");
    }
    assert_eq!(
        found
            .iter()
            .filter(|(path, _)| path == "schema[0].properties")
            .count(),
        3,
        "the case clash, the empty range and the decimal: {found:#?}"
    );
    assert!(
        !found
            .iter()
            .any(|(path, _)| path.starts_with("schema[0].properties[4]")),
        "NUMBER(10, 2) is NUMERIC"
    );
}

/// Clustering by a column BigQuery cannot cluster by, a drift threshold
/// out of range, and drift on a missing column: refused as the derive
/// refuses them, so the source written always compiles.
#[test]
fn layouts_the_derive_would_refuse_are_invalid() {
    let document = odcs::parse(
        r#"
apiVersion: v3.1.0
kind: DataContract
id: x
version: 1.0.0
status: active
schema:
  - name: trades
    properties:
      - { name: price, logicalType: number, physicalType: FLOAT64 }
      - { name: venue, logicalType: string }
    customProperties:
      - { property: clustering, value: [price, venue] }
      - { property: drift, value: { columns: [price, gone], max_psi: 20.0, severity: warn } }
"#,
    )
    .unwrap();
    let error = odcs::import(&document).unwrap_err().to_string();
    for expected in [
        "cannot cluster by `price`",
        "a psi threshold lies in (0, 10], not 20",
        "drift on `gone`, which is not a column",
    ] {
        assert!(error.contains(expected), "{expected} in {error}");
    }
    assert!(!error.contains("`venue`"), "{error}");
}
