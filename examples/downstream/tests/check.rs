//! The downstream crate's CI step: `contracts check` over its own contracts.

use std::process::Command;

fn shop_contracts(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_shop-contracts"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn its_committed_lock_is_current() {
    let output = shop_contracts(&["check"], std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{shown}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        shown.ends_with("1 table(s) against contracts/schemas: ok\n"),
        "{shown}"
    );
}

#[test]
fn a_fresh_checkout_without_a_lock_fails_until_locked() {
    let dir = tempfile::tempdir().unwrap();
    let output = shop_contracts(&["check"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("missing_artifact"));
    assert!(shop_contracts(&["lock"], dir.path()).status.success());
    assert!(shop_contracts(&["check"], dir.path()).status.success());
}

#[path = "../../../tests/odcs/validate.rs"]
mod odcs;

/// Its contract, exported as ODCS, validates against the standard.
#[test]
fn its_contract_exports_to_valid_odcs() {
    let output = shop_contracts(
        &["export", "orders", "--format", "odcs"],
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    assert!(output.status.success());
    let yaml = String::from_utf8(output.stdout).unwrap();
    odcs::assert_valid_odcs(&[("orders", yaml.as_str())]);
}

// Only its contract is read; kept as the import writes it.
#[allow(dead_code)]
#[rustfmt::skip]
#[path = "imported/orders.rs"]
mod orders_imported;

/// Its contract (as the committed lock holds it) survives ODCS, and the
/// struct `contracts import odcs` writes for it derives it again.
#[test]
fn its_contract_survives_odcs_and_its_imported_struct_derives_it_again() {
    use datacontract::DataContract;

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let locked =
        std::fs::read_to_string(root.join("contracts/schemas/orders/contract.json")).unwrap();
    let contract: datacontract::Contract = serde_json::from_str(&locked).unwrap();
    datacontract::testing::odcs::assert_round_trip(
        &contract,
        "orders.odcs.yaml",
        &root.join("tests/imported/orders.rs"),
    );
    assert_eq!(orders_imported::Orders::contract(), contract);
}
