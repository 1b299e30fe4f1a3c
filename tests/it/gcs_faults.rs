//! The GCS store under lost answers: a proxy on 127.0.0.1 stands between
//! the client and fake-gcs-server and drops the answer to each kind of call
//! in turn, after passing the call on. Every call must then still do what
//! it says, once: the retry of a `put_new` that took effect is recognised
//! by its bytes, and the retry of a `delete` that took effect by the
//! object's absence. (fake-gcs ignores `ifGenerationMatch=0`; the proxy
//! enforces it, as Google Cloud does.)
//!
//! The emulators are started by scripts/test.sh, which sets
//! DATACONTRACT_GCS_EMULATOR; without it these tests fail, naming the
//! script.

use std::time::Duration;

use crate::support::fault_proxy;

use datacontract::retry::RetryPolicy;
use datacontract::store::{GcsStore, ObjectStore, StoreError};
use fault_proxy::{Fault, OTHER_WRITER, Proxy, Rule, rule};

fn emulator() -> String {
    std::env::var("DATACONTRACT_GCS_EMULATOR").expect(
        "DATACONTRACT_GCS_EMULATOR is not set: run the tests with scripts/test.sh, which starts fake-gcs-server",
    )
}

/// A bucket through a proxy applying `rules`, retrying quickly, and the
/// same bucket without the proxy (to look at what really happened).
fn bucket(name: &str, rules: Vec<Rule>) -> (Proxy, GcsStore, GcsStore) {
    let bucket = format!("faults-{}-{name}", std::process::id());
    let direct = GcsStore::emulator(&bucket, &emulator()).unwrap();
    direct.create_bucket().unwrap();
    let proxy = Proxy::start_for_gcs(&emulator(), rules);
    let store = GcsStore::emulator(&bucket, &proxy.url)
        .unwrap()
        .with_retry(RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        });
    (proxy, store, direct)
}

/// How many requests met their fault.
fn faults_met(proxy: &Proxy) -> usize {
    proxy
        .seen()
        .iter()
        .filter(|seen| seen.fault.is_some())
        .count()
}

#[test]
fn a_put_new_whose_answer_was_lost_is_recognised_as_our_own() {
    let (proxy, store, direct) = bucket(
        "put-new",
        vec![rule("POST", "/upload/storage/v1/b/", Fault::AnswerDropped)],
    );
    store
        .put_new("promotion/in-progress.json", b"journal")
        .unwrap();
    assert_eq!(faults_met(&proxy), 1, "the answer was never dropped");
    let uploads = proxy.requests("POST", "/upload/storage/v1/b/");
    assert_eq!(uploads.len(), 2, "one retry: {:#?}", proxy.seen());
    assert_eq!(
        direct.get("promotion/in-progress.json").unwrap(),
        b"journal"
    );
    // Another writer's object is still refused, retry or not.
    assert!(matches!(
        store.put_new("promotion/in-progress.json", b"another journal"),
        Err(StoreError::AlreadyExists(_))
    ));
}

#[test]
fn a_put_new_refused_on_retry_for_someone_elses_bytes_stays_refused() {
    let (proxy, store, direct) = bucket(
        "put-new-other",
        vec![rule(
            "POST",
            "/upload/storage/v1/b/",
            Fault::AnotherWriterFirst,
        )],
    );
    let outcome = store.put_new("key", b"ours");
    assert_eq!(faults_met(&proxy), 1);
    assert!(
        matches!(outcome, Err(StoreError::AlreadyExists(_))),
        "{outcome:?}"
    );
    assert_eq!(direct.get("key").unwrap(), OTHER_WRITER);
}

#[test]
fn a_delete_whose_answer_was_lost_succeeds() {
    let (proxy, store, direct) = bucket(
        "delete",
        vec![rule("DELETE", "/storage/v1/b/", Fault::AnswerDropped)],
    );
    direct
        .put("promotion/in-progress.json", b"journal")
        .unwrap();
    store.delete("promotion/in-progress.json").unwrap();
    assert_eq!(faults_met(&proxy), 1);
    assert!(!direct.exists("promotion/in-progress.json").unwrap());
    // A delete of what never was is still NotFound.
    assert!(matches!(
        store.delete("never-there"),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn every_other_call_survives_a_lost_answer() {
    let rules = vec![
        rule("POST", "/upload/storage/v1/b/", Fault::AnswerDropped),
        rule("GET", "alt=media", Fault::AnswerDropped),
        rule("GET", "/o?", Fault::AnswerDropped),
        rule("POST", "/copyTo/", Fault::AnswerDropped),
        rule("GET", "/o/staging", Fault::AnswerDropped),
    ];
    let (proxy, store, direct) = bucket("every", rules);
    store.put("staging/a", b"a").unwrap();
    assert_eq!(store.get("staging/a").unwrap(), b"a");
    assert_eq!(
        store.list("staging/").unwrap(),
        vec!["staging/a".to_string()]
    );
    store.copy("staging/a", "production/a").unwrap();
    assert!(store.exists("staging/a").unwrap());
    assert_eq!(direct.get("production/a").unwrap(), b"a");
    let met: Vec<String> = proxy
        .seen()
        .into_iter()
        .filter(|seen| seen.fault.is_some())
        .map(|seen| format!("{} {}", seen.method, seen.path))
        .collect();
    assert_eq!(
        met.len(),
        5,
        "not every kind of call lost its answer: {met:#?}"
    );
}

#[test]
fn compare_and_swap_writes_refuse_a_version_they_did_not_read() {
    let (_proxy, store, _direct) = bucket("cas", vec![]);
    let first = store.put_if("journal", b"one", None).unwrap();
    assert!(matches!(
        store.put_if("journal", b"again", None),
        Err(StoreError::AlreadyExists(_))
    ));
    let (bytes, read) = store.get_versioned("journal").unwrap();
    assert_eq!((bytes.as_slice(), &read), (&b"one"[..], &first));
    let second = store.put_if("journal", b"two", Some(&first)).unwrap();
    assert_ne!(second, first);
    // A writer still holding the first version is refused, both ways.
    assert!(matches!(
        store.put_if("journal", b"stale", Some(&first)),
        Err(StoreError::Changed(_))
    ));
    assert!(matches!(
        store.delete_if("journal", &first),
        Err(StoreError::Changed(_))
    ));
    assert_eq!(store.get("journal").unwrap(), b"two");
    store.delete_if("journal", &second).unwrap();
    assert!(!store.exists("journal").unwrap());
}

#[test]
fn a_compare_and_swap_whose_answer_was_lost_is_recognised_as_our_own() {
    let (proxy, store, direct) = bucket(
        "cas-lost",
        vec![Rule {
            body: "two",
            ..rule("POST", "/upload/storage/v1/b/", Fault::AnswerDropped)
        }],
    );
    let first = store.put_if("journal", b"one", None).unwrap();
    let second = store.put_if("journal", b"two", Some(&first)).unwrap();
    assert_eq!(faults_met(&proxy), 1);
    assert_eq!(
        direct.get_versioned("journal").unwrap(),
        (b"two".to_vec(), second)
    );
}
