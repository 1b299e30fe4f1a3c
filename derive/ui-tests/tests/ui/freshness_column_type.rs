use datacontract::DataContract;

#[derive(DataContract)]
#[contract(freshness(at, max_age = "26h"))]
struct T {
    at: i64,
}

fn main() {}
