use datacontract::DataContract;

#[derive(DataContract)]
#[contract(freshness(at, max_age = "1 week"))]
struct T {
    at: chrono::NaiveDate,
}

fn main() {}
