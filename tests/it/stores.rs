//! Every object-store operation against both backends: a local folder, and
//! GCS served by fake-gcs-server on 127.0.0.1 (started by scripts/test.sh,
//! which sets DATACONTRACT_GCS_EMULATOR; without it these tests fail).

use chrono::{TimeZone, Utc};
use datacontract::store::{
    GcsStore, LocalStore, ObjectStore, PartitionError, StoreError, list_partitions, read_partition,
    write_partition,
};
use polars::prelude::*;

/// A fresh folder under the system's temporary directory.
fn local(name: &str) -> LocalStore {
    let path =
        std::env::temp_dir().join(format!("datacontract-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    LocalStore::new(path).unwrap()
}

/// A fresh bucket on the emulator.
fn gcs(name: &str) -> GcsStore {
    let endpoint = std::env::var("DATACONTRACT_GCS_EMULATOR").expect(
        "DATACONTRACT_GCS_EMULATOR is not set: run the tests with scripts/test.sh, which starts fake-gcs-server",
    );
    let short: String = name.chars().take(40).collect();
    let bucket = format!(
        "test-{}-{}",
        std::process::id(),
        short.trim_end_matches('-')
    );
    let store = GcsStore::emulator(&bucket, &endpoint).unwrap();
    store.create_bucket().unwrap();
    store
}

fn objects_round_trip_and_list_in_order(store: &impl ObjectStore) {
    store.put("b/2.txt", b"two").unwrap();
    store.put("a/1.txt", b"one").unwrap();
    store.put("a/1.txt", b"uno").unwrap();
    assert_eq!(store.get("a/1.txt").unwrap(), b"uno");
    assert_eq!(store.list("").unwrap(), ["a/1.txt", "b/2.txt"]);
    assert_eq!(store.list("a/").unwrap(), ["a/1.txt"]);
    store.copy("a/1.txt", "c/copy.txt").unwrap();
    assert_eq!(store.get("c/copy.txt").unwrap(), b"uno");
    assert!(store.exists("c/copy.txt").unwrap());
    store.delete("c/copy.txt").unwrap();
    assert!(!store.exists("c/copy.txt").unwrap());
    assert!(matches!(
        store.delete("c/copy.txt"),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(store.get("nothing"), Err(StoreError::NotFound(_))));
}

fn put_new_never_replaces(store: &impl ObjectStore) {
    store.put_new("raw/part", b"first").unwrap();
    assert!(matches!(
        store.put_new("raw/part", b"second"),
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(store.get("raw/part").unwrap(), b"first");
}

fn hostile_keys_are_refused(store: &impl ObjectStore) {
    for key in [
        "",
        "/etc/passwd",
        "../outside",
        "a/../../b",
        "a//b",
        "a\\b",
        "a/./b",
        "a\nb",
    ] {
        assert!(
            matches!(store.put(key, b"x"), Err(StoreError::InvalidKey { .. })),
            "{key:?}"
        );
        assert!(
            matches!(store.get(key), Err(StoreError::InvalidKey { .. })),
            "{key:?}"
        );
    }
    assert!(store.list("").unwrap().is_empty());
}

fn partitions_are_immutable_listed_in_time_order_and_read_back(store: &impl ObjectStore) {
    let first = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let second = Utc.with_ymd_and_hms(2024, 1, 2, 0, 0, 0).unwrap();
    let early = df!("x" => [1i64, 2]).unwrap();
    let late = df!("x" => [3i64]).unwrap();
    write_partition(store, "staging", "t", second, &late).unwrap();
    let key = write_partition(store, "staging", "t", first, &early).unwrap();
    assert_eq!(
        key.to_string(),
        "staging/t/created_at=2024-01-01:00:00:00:000/part-00000.parquet"
    );
    assert!(matches!(
        write_partition(store, "staging", "t", first, &early),
        Err(PartitionError::Store(StoreError::AlreadyExists(_)))
    ));
    store
        .put("staging/t/notes.txt", b"not a partition")
        .unwrap();
    let times: Vec<_> = list_partitions(store, "staging", "t")
        .unwrap()
        .iter()
        .map(|k| k.created_at)
        .collect();
    assert_eq!(times, [first, second]);
    assert_eq!(read_partition(store, "staging", "t", None).unwrap(), late);
    assert_eq!(
        read_partition(store, "staging", "t", Some(first)).unwrap(),
        early
    );
    assert!(matches!(
        read_partition(store, "staging", "other", None),
        Err(PartitionError::NoPartition { .. })
    ));
}

/// One test per operation group and backend.
macro_rules! on_both_backends {
    ($($case:ident),*) => {
        mod local_folder {
            $(#[test]
            fn $case() {
                let store = super::local(stringify!($case));
                super::$case(&store);
                std::fs::remove_dir_all(store.root()).unwrap();
            })*
        }
        mod gcs_emulator {
            $(#[test]
            fn $case() {
                super::$case(&super::gcs(&stringify!($case).replace('_', "-")));
            })*
        }
    };
}

on_both_backends!(
    objects_round_trip_and_list_in_order,
    put_new_never_replaces,
    hostile_keys_are_refused,
    partitions_are_immutable_listed_in_time_order_and_read_back
);

#[test]
fn local_partial_writes_are_never_listed() {
    let store = local("partial");
    std::fs::create_dir_all(store.root().join("t")).unwrap();
    std::fs::write(store.root().join("t/.x.123-0.partial"), b"half").unwrap();
    store.put("t/x", b"whole").unwrap();
    assert_eq!(store.list("").unwrap(), ["t/x"]);
    std::fs::remove_dir_all(store.root()).unwrap();
}

#[test]
fn invalid_bucket_names_are_refused() {
    assert!(GcsStore::emulator("UPPER", "http://127.0.0.1:9").is_err());
    assert!(GcsStore::emulator("a", "http://127.0.0.1:9").is_err());
}
