use datacontract::DataContract;
use serde::Serialize;

#[derive(Serialize, DataContract)]
struct Table {
    #[serde(rename = "1st")]
    first: i64,
    #[serde(rename = "with-dash")]
    dashed: i64,
    #[contract(rename = "_PARTITIONTIME")]
    reserved: i64,
    #[contract(rename = "__root__x")]
    root: i64,
    #[contract(rename = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    long: i64,
}

fn main() {}
