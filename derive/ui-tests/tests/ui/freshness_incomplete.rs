use datacontract::DataContract;

#[derive(DataContract)]
#[contract(freshness(at))]
struct T {
    at: chrono::NaiveDate,
}

fn main() {}
