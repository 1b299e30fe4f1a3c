use datacontract::DataContract;
use serde::Serialize;

#[derive(Serialize, DataContract)]
struct Table {
    open_time: i64,
    #[serde(rename = "open_time")]
    start: i64,
    #[contract(rename = "OPEN_TIME")]
    begin: i64,
}

fn main() {}
