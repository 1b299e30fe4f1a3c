//! The generators on one contract that uses every type and every mode:
//! REQUIRED, NULLABLE, REPEATED, and a RECORD inside a RECORD.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use datacontract::schema::{DdlOptions, render_polars_schema};
use datacontract::{DataContract, LogicalType, Mode};
use rust_decimal::Decimal;

/// The innermost record.
#[derive(DataContract)]
#[allow(dead_code)]
pub(crate) struct Leaf {
    /// A flag.
    flag: bool,
    note: Option<String>,
}

/// A record holding a record.
#[derive(DataContract)]
#[allow(dead_code)]
pub(crate) struct Branch {
    label: String,
    leaf: Leaf,
    leaves: Vec<Leaf>,
}

/// Every supported type, in every mode.
#[derive(DataContract)]
#[contract(
    name = "every_type",
    version = "2.1.0",
    dedup_key(id),
    partition_by(hour(seen_at)),
    cluster_by(id, label)
)]
#[allow(dead_code)]
pub(crate) struct EveryType {
    /// The row's id.
    id: i64,
    small: i8,
    medium: i32,
    unsigned: u32,
    #[contract(bigquery_type = "NUMERIC(20, 0)")]
    wide: u64,
    ratio: f64,
    single: f32,
    flag: bool,
    label: String,
    letter: char,
    blob: Vec<u8>,
    day: NaiveDate,
    clock: NaiveTime,
    civil: NaiveDateTime,
    seen_at: DateTime<Utc>,
    amount: Decimal,
    #[contract(bigquery_type = "BIGNUMERIC(40, 20)")]
    big_amount: Decimal,
    payload: serde_json::Value,
    #[contract(bigquery_type = "JSON")]
    payload_text: String,
    maybe_count: Option<i64>,
    maybe_day: Option<NaiveDate>,
    tags: Vec<String>,
    maybe_tags: Option<Vec<String>>,
    blobs: Vec<Vec<u8>>,
    branch: Branch,
    maybe_branch: Option<Branch>,
    branches: Vec<Branch>,
}

fn field(name: &str) -> datacontract::Field {
    EveryType::contract()
        .field(name)
        .unwrap_or_else(|| panic!("no field {name}"))
        .clone()
}

#[test]
fn rust_types_map_to_bigquery_types_and_modes() {
    let expected = [
        ("id", "INT64", Mode::Required),
        ("small", "INT64", Mode::Required),
        ("unsigned", "INT64", Mode::Required),
        ("wide", "NUMERIC", Mode::Required),
        ("ratio", "FLOAT64", Mode::Required),
        ("single", "FLOAT64", Mode::Required),
        ("flag", "BOOL", Mode::Required),
        ("letter", "STRING", Mode::Required),
        ("blob", "BYTES", Mode::Required),
        ("day", "DATE", Mode::Required),
        ("clock", "TIME", Mode::Required),
        ("civil", "DATETIME", Mode::Required),
        ("seen_at", "TIMESTAMP", Mode::Required),
        ("amount", "NUMERIC", Mode::Required),
        ("big_amount", "BIGNUMERIC", Mode::Required),
        ("payload", "JSON", Mode::Required),
        ("payload_text", "JSON", Mode::Required),
        ("maybe_count", "INT64", Mode::Nullable),
        ("tags", "STRING", Mode::Repeated),
        ("maybe_tags", "STRING", Mode::Repeated),
        ("blobs", "BYTES", Mode::Repeated),
        ("branch", "STRUCT", Mode::Required),
        ("maybe_branch", "STRUCT", Mode::Nullable),
        ("branches", "STRUCT", Mode::Repeated),
    ];
    for (name, sql_type, mode) in expected {
        let field = field(name);
        assert_eq!(field.logical_type.sql_name(), sql_type, "type of {name}");
        assert_eq!(field.mode, mode, "mode of {name}");
    }
    assert!(field("maybe_tags").null_array_allowed);
    assert!(!field("tags").null_array_allowed);
    assert_eq!(
        field("wide").logical_type,
        LogicalType::Numeric {
            precision: Some(20),
            scale: Some(0)
        }
    );
}

#[test]
fn records_nest_and_count_their_depth() {
    let branch = field("branch");
    let leaf = branch
        .sub_fields()
        .iter()
        .find(|f| f.name == "leaf")
        .unwrap();
    assert_eq!(leaf.sub_fields().len(), 2);
    assert_eq!(leaf.sub_fields()[0].description.as_deref(), Some("A flag."));
    assert_eq!(Leaf::RECORD_DEPTH, 1);
    assert_eq!(Branch::RECORD_DEPTH, 2);
    assert_eq!(EveryType::RECORD_DEPTH, 3);
}

#[test]
fn ddl_writes_structs_arrays_parameters_and_layout() {
    let ddl = EveryType::contract()
        .ddl(&DdlOptions {
            project: Some("test-proj".into()),
            dataset: Some("staging".into()),
            if_not_exists: true,
        })
        .unwrap();
    assert!(ddl.starts_with("CREATE TABLE IF NOT EXISTS `test-proj.staging.every_type`"));
    assert!(ddl.contains("`id` INT64 NOT NULL OPTIONS(description=\"The row's id.\")"));
    assert!(ddl.contains("`wide` NUMERIC(20, 0) NOT NULL"));
    assert!(ddl.contains("`big_amount` BIGNUMERIC(40, 20) NOT NULL"));
    assert!(ddl.contains("`maybe_count` INT64,"));
    assert!(ddl.contains("`tags` ARRAY<STRING>,"));
    assert!(ddl.contains(
        "`branch` STRUCT<`label` STRING NOT NULL, `leaf` STRUCT<`flag` BOOL NOT NULL \
         OPTIONS(description=\"A flag.\"), `note` STRING> NOT NULL"
    ));
    assert!(ddl.contains("`branches` ARRAY<STRUCT<"));
    assert!(ddl.contains("PARTITION BY TIMESTAMP_TRUNC(`seen_at`, HOUR)"));
    assert!(ddl.contains("CLUSTER BY `id`, `label`"));
    assert!(ddl.contains("OPTIONS(description=\"Every supported type, in every mode.\");"));
}

#[test]
fn bigquery_schema_uses_the_api_vocabulary() {
    let schema = EveryType::contract().bigquery_schema();
    let by_name = |name: &str| schema.iter().find(|f| f.name == name).unwrap().clone();
    assert_eq!(by_name("id").field_type, "INTEGER");
    assert_eq!(by_name("ratio").field_type, "FLOAT");
    assert_eq!(by_name("flag").field_type, "BOOLEAN");
    assert_eq!(by_name("branch").field_type, "RECORD");
    assert_eq!(by_name("tags").mode, "REPEATED");
    let wide = by_name("wide");
    assert_eq!(
        (wide.precision.as_deref(), wide.scale.as_deref()),
        (Some("20"), Some("0"))
    );
    assert_eq!(by_name("amount").precision, None);
    let leaf = &by_name("branches").fields.unwrap()[1];
    assert_eq!(leaf.name, "leaf");
    assert_eq!(leaf.fields.as_ref().unwrap()[1].mode, "NULLABLE");
}

#[test]
fn json_schema_follows_serde() {
    let schema = serde_json::to_value(EveryType::contract().json_schema()).unwrap();
    let property = |name: &str| schema["properties"][name].clone();
    assert_eq!(property("id")["type"], "integer");
    assert_eq!(
        property("maybe_count")["type"],
        serde_json::json!(["integer", "null"])
    );
    assert_eq!(
        property("maybe_tags")["type"],
        serde_json::json!(["array", "null"])
    );
    assert_eq!(property("tags")["type"], "array");
    assert_eq!(property("blob")["items"]["maximum"], 255);
    assert_eq!(property("seen_at")["format"], "date-time");
    assert_eq!(property("amount")["type"], "string");
    assert_eq!(property("payload"), serde_json::json!({}));
    assert_eq!(
        property("branch")["properties"]["leaf"]["required"],
        serde_json::json!(["flag"])
    );
    let required = schema["required"].as_array().unwrap();
    assert!(required.contains(&"tags".into()));
    assert!(!required.contains(&"maybe_tags".into()));
    assert!(!required.contains(&"maybe_count".into()));
}

#[test]
fn arrow_schema_carries_the_types_of_the_data() {
    use arrow_schema::{DataType, TimeUnit};
    let schema = EveryType::contract().arrow_schema();
    let data_type = |name: &str| schema.field_with_name(name).unwrap().data_type().clone();
    assert_eq!(
        data_type("seen_at"),
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    assert_eq!(
        data_type("civil"),
        DataType::Timestamp(TimeUnit::Microsecond, None)
    );
    assert_eq!(data_type("amount"), DataType::Decimal128(38, 9));
    assert_eq!(data_type("big_amount"), DataType::Decimal256(40, 20));
    assert_eq!(data_type("day"), DataType::Date32);
    assert_eq!(data_type("clock"), DataType::Time64(TimeUnit::Microsecond));
    assert!(matches!(data_type("tags"), DataType::List(item) if !item.is_nullable()));
    assert!(schema.field_with_name("maybe_count").unwrap().is_nullable());
    assert!(!schema.field_with_name("id").unwrap().is_nullable());
    let payload = schema.field_with_name("payload").unwrap();
    assert_eq!(
        payload
            .metadata()
            .get("ARROW:extension:name")
            .map(String::as_str),
        Some("arrow.json")
    );
    assert!(matches!(data_type("branch"), DataType::Struct(fields) if fields.len() == 3));
}

#[test]
fn polars_schema_carries_the_types_of_the_data() {
    let rendered = render_polars_schema(&EveryType::contract().polars_schema());
    for line in [
        "seen_at: datetime[μs, UTC]",
        "civil: datetime[μs]",
        "amount: decimal[38,9]",
        "big_amount: str",
        "day: date",
        "clock: time",
        "tags: list[str]",
        "blob: binary",
        "payload: str",
    ] {
        assert!(rendered.contains(line), "missing `{line}` in\n{rendered}");
    }
    assert!(
        rendered.contains(
            "branch: struct{label: str, leaf: struct{flag: bool, note: str}, \
             leaves: list[struct{flag: bool, note: str}]}"
        ),
        "{rendered}"
    );
}

#[test]
fn every_artifact_snapshot() {
    let contract = EveryType::contract();
    insta::assert_snapshot!(
        "every_type.ddl",
        contract.ddl(&DdlOptions::default()).unwrap()
    );
    insta::assert_snapshot!("every_type.bigquery.json", contract.bigquery_schema_json());
    insta::assert_json_snapshot!("every_type.schema.json", contract.json_schema());
    insta::assert_json_snapshot!("every_type.arrow.json", contract.arrow_schema());
    insta::assert_snapshot!(
        "every_type.polars",
        render_polars_schema(&contract.polars_schema())
    );
}

/// The ODCS export of every type (records nested two deep, arrays of
/// scalars and of records, every scalar type, the layout) validates against
/// the standard's JSON Schema, read as PyYAML reads it
/// (scripts/validate_odcs.py, with the Python scripts/test.sh prepares).
#[test]
fn the_odcs_export_of_every_type_validates_against_the_standard() {
    let document = datacontract::odcs::export(
        &EveryType::contract(),
        &datacontract::odcs::Servers {
            bigquery_project: Some("my-project".into()),
            ..Default::default()
        },
    );
    let yaml = datacontract::odcs::to_yaml(&document);
    crate::support::assert_valid_odcs(&[("every_type", yaml.as_str())]);
    let properties = &document["schema"][0]["properties"];
    let by_name = |name: &str| {
        properties
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {properties}"))
            .clone()
    };
    assert_eq!(by_name("branch")["logicalType"], "object");
    assert!(by_name("branch")["properties"].is_array());
    assert_eq!(by_name("tags")["logicalType"], "array");
    assert_eq!(by_name("tags")["items"]["logicalType"], "string");
}
