use datacontract::DataContract;

#[derive(DataContract)]
#[contract(name = "t", version = "1.0.0")]
#[contract(name = "u", row_count(min = 1), rule("key > 0"), rule("key < 9"))]
struct Table {
    #[contract(rename = "key", min = 0)]
    #[contract(rename = "key", min = 1)]
    id: i64,
    #[contract(description = "one", description = "two")]
    day: chrono::NaiveDate,
}

fn main() {}
