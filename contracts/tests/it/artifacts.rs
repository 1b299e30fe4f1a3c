//! Snapshots of every generated artifact of both shipped contracts. A change
//! to a contract shows up here as a diff to review (`cargo insta review`).

use datacontract::Contract;
use datacontract::schema::{DdlOptions, render_polars_schema};

fn snapshot_all(contract: &Contract) {
    let name = &contract.name;
    let ddl = contract
        .ddl(&DdlOptions {
            project: Some("my-project".into()),
            dataset: Some("staging".into()),
            if_not_exists: true,
        })
        .unwrap();
    insta::assert_snapshot!(format!("{name}.ddl"), ddl);
    insta::assert_snapshot!(
        format!("{name}.bigquery.json"),
        contract.bigquery_schema_json()
    );
    insta::assert_json_snapshot!(format!("{name}.schema.json"), contract.json_schema());
    insta::assert_json_snapshot!(format!("{name}.arrow.json"), contract.arrow_schema());
    insta::assert_snapshot!(
        format!("{name}.polars"),
        render_polars_schema(&contract.polars_schema())
    );
    insta::assert_json_snapshot!(format!("{name}.contract.json"), contract);
    let odcs = datacontract::odcs::export(contract, &datacontract::odcs::Servers::default());
    insta::assert_snapshot!(
        format!("{name}.odcs.yaml"),
        datacontract::odcs::to_yaml(&odcs)
    );
}

#[test]
fn every_artifact_of_every_shipped_contract() {
    let registry = datacontract_contracts::registry();
    let names: Vec<_> = registry
        .contracts()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["raw_binance_btcusdt_spot", "processed_binance_btcusdt_spot"]
    );
    for contract in registry.contracts() {
        snapshot_all(contract);
    }
}

#[test]
fn the_raw_table_is_keyed_partitioned_and_clustered() {
    let registry = datacontract_contracts::registry();
    let raw = registry.get("raw_binance_btcusdt_spot").unwrap();
    let key = raw.dedup_key.as_ref().unwrap();
    assert_eq!(key.columns, ["symbol", "interval", "open_time"]);
    assert_eq!(raw.clustering, ["symbol", "interval"]);
    let columns: Vec<_> = raw.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        columns,
        [
            "open_time",
            "open",
            "high",
            "low",
            "close",
            "volume",
            "close_time",
            "quote_asset_volume",
            "number_of_trades",
            "taker_buy_base_asset_volume",
            "taker_buy_quote_asset_volume",
            "symbol",
            "interval"
        ]
    );
    let rules: Vec<_> = raw.rules.iter().map(|r| r.name.as_str()).collect();
    assert!(rules.contains(&"high_ge_low"));
    assert!(rules.contains(&"close_time_gt_open_time"));
}
