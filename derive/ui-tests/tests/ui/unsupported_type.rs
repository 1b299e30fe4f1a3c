use std::collections::HashMap;

use datacontract::DataContract;

#[derive(DataContract)]
struct Table {
    count: u64,
    map: HashMap<String, i64>,
    holes: Vec<Option<i64>>,
    nested: Vec<Vec<i64>>,
    pair: (i32, i32),
    twice: Option<Option<i64>>,
    #[contract(bigquery_type = "NUMERIC")]
    label: String,
}

fn main() {}
