use datacontract::DataContract;

#[derive(DataContract, serde::Serialize)]
#[serde(rename_all = "Title Case")]
struct T {
    a: i64,
}

fn main() {}
