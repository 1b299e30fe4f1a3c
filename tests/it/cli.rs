//! `datacontract::cli::run`, the entry point a downstream binary calls.

use std::process::ExitCode;

use datacontract::{DataContract, Registry};

/// A thing.
#[derive(DataContract)]
#[allow(dead_code)]
struct Thing {
    id: i64,
}

fn run(args: &[&str]) -> (ExitCode, String, String) {
    crate::support::cli::run(&Registry::new().with::<Thing>(), args)
}

#[test]
fn serves_a_downstream_registry() {
    let (code, out, err) = run(&["list"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (ExitCode::SUCCESS, "thing\t0.1.0\t1 columns\tA thing.\n", "")
    );
    let (code, out, _) = run(&["ddl", "thing", "--dataset", "d"]);
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(out.starts_with("CREATE TABLE IF NOT EXISTS `d.thing`"));
}

#[test]
fn a_project_without_a_dataset_is_refused() {
    let (code, out, err) = run(&["ddl", "--project", "my-project"]);
    assert_eq!(code, ExitCode::from(2));
    assert!(out.is_empty());
    assert!(err.contains("needs a dataset too"), "{err}");
}

#[test]
#[should_panic(expected = "two contracts are registered for table `thing`")]
fn a_table_registered_twice_is_a_bug() {
    let _ = Registry::new().with::<Thing>().with::<Thing>();
}
