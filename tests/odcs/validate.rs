//! Checks ODCS documents against the standard's JSON Schema (beside this
//! file) with Python's reference validator, reading them as PyYAML does
//! (scripts/validate_odcs.py). Included by the test crates that export
//! documents; the Python comes from scripts/python_tools.sh, which
//! scripts/test.sh runs.

use std::path::Path;
use std::process::Command;

/// Fails, naming each problem with its path, unless every `(name, yaml)`
/// document validates.
pub fn assert_valid_odcs(documents: &[(&str, &str)]) {
    let python = std::env::var("DATACONTRACT_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "DATACONTRACT_TEST_PYTHON is not set: run the tests with scripts/test.sh, which prepares it (scripts/python_tools.sh)"
        )
    });
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = root
        .ancestors()
        .find(|dir| dir.join("scripts/validate_odcs.py").exists())
        .expect("the workspace's scripts folder");
    let folder = tempfile::tempdir().unwrap();
    let files: Vec<_> = documents
        .iter()
        .map(|(name, yaml)| {
            let path = folder.path().join(format!("{name}.odcs.yaml"));
            std::fs::write(&path, yaml).unwrap();
            path
        })
        .collect();
    let output = Command::new(python)
        .arg(root.join("scripts/validate_odcs.py"))
        .arg(root.join("tests/odcs/odcs-json-schema-v3.1.0.json"))
        .args(&files)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "the documents do not validate against ODCS v3.1.0:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
