use datacontract::DataContract;
use serde::Serialize;

#[derive(Serialize)]
struct Inner {
    a: i64,
}

#[derive(DataContract, Serialize)]
#[serde(tag = "kind")]
struct Table {
    #[serde(flatten)]
    inner: Inner,
    #[serde(with = "chrono::serde::ts_seconds")]
    at: chrono::DateTime<chrono::Utc>,
    // Skipped: nothing of it is written, so nothing to describe.
    #[serde(flatten)]
    #[contract(skip)]
    extra: Inner,
    #[serde(skip_serializing)]
    never_written: Vec<Inner>,
}

fn main() {}
