use datacontract::DataContract;

#[derive(DataContract)]
#[contract(partition_by(day(days)))]
struct T {
    days: Vec<chrono::NaiveDate>,
}

fn main() {}
