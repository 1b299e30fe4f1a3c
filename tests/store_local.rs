//! The local-folder store and the partition layout on a real folder.

use chrono::{TimeZone, Utc};
use datacontract::store::layout::PartitionKey;
use datacontract::store::{
    LocalStore, ObjectStore, PartitionError, StoreError, list_partitions, read_partition,
    write_partition,
};
use polars::prelude::*;

/// A fresh folder under the system's temporary directory.
fn folder(name: &str) -> std::path::PathBuf {
    let path =
        std::env::temp_dir().join(format!("datacontract-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    path
}

#[test]
fn objects_round_trip_and_list_in_order() {
    let store = LocalStore::new(folder("basics")).unwrap();
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
    std::fs::remove_dir_all(store.root()).unwrap();
}

#[test]
fn put_new_never_replaces() {
    let store = LocalStore::new(folder("immutable")).unwrap();
    store.put_new("raw/part", b"first").unwrap();
    assert!(matches!(
        store.put_new("raw/part", b"second"),
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(store.get("raw/part").unwrap(), b"first");
    std::fs::remove_dir_all(store.root()).unwrap();
}

#[test]
fn partial_writes_are_never_listed() {
    let store = LocalStore::new(folder("partial")).unwrap();
    std::fs::create_dir_all(store.root().join("t")).unwrap();
    std::fs::write(store.root().join("t/.x.123-0.partial"), b"half").unwrap();
    store.put("t/x", b"whole").unwrap();
    assert_eq!(store.list("").unwrap(), ["t/x"]);
    std::fs::remove_dir_all(store.root()).unwrap();
}

#[test]
fn hostile_keys_are_refused() {
    let store = LocalStore::new(folder("hostile")).unwrap();
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
    std::fs::remove_dir_all(store.root()).unwrap();
}

#[test]
fn partitions_are_immutable_listed_in_time_order_and_read_back() {
    let store = LocalStore::new(folder("partitions")).unwrap();
    let first = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let second = Utc.with_ymd_and_hms(2024, 1, 2, 0, 0, 0).unwrap();
    let mut early = df!("x" => [1i64, 2]).unwrap();
    let mut late = df!("x" => [3i64]).unwrap();
    write_partition(&store, "staging", "t", second, &mut late).unwrap();
    let key = write_partition(&store, "staging", "t", first, &mut early).unwrap();
    assert_eq!(
        key.to_string(),
        "staging/t/created_at=2024-01-01:00:00:00:000/part-00000.parquet"
    );
    assert!(matches!(
        write_partition(&store, "staging", "t", first, &mut early),
        Err(PartitionError::Store(StoreError::AlreadyExists(_)))
    ));
    store
        .put("staging/t/notes.txt", b"not a partition")
        .unwrap();
    let keys: Vec<_> = list_partitions(&store, "staging", "t")
        .unwrap()
        .iter()
        .map(|k| k.created_at)
        .collect();
    assert_eq!(keys, [first, second]);
    assert_eq!(read_partition(&store, "staging", "t", None).unwrap(), late);
    assert_eq!(
        read_partition(&store, "staging", "t", Some(first)).unwrap(),
        early
    );
    assert!(matches!(
        read_partition(&store, "staging", "other", None),
        Err(PartitionError::NoPartition { .. })
    ));
    assert!(PartitionKey::parse(&key.to_string()).is_ok());
    std::fs::remove_dir_all(store.root()).unwrap();
}
