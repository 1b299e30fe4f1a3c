use datacontract::DataContract;

#[derive(DataContract)]
#[contract(partition_by(week(a)))]
struct T {
    a: chrono::NaiveDate,
}

fn main() {}
