use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(min = 5)]
    day: chrono::NaiveDate,
}

fn main() {}
