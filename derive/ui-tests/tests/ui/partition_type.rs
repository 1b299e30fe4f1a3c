use datacontract::DataContract;

#[derive(DataContract)]
#[contract(partition_by(day(name)))]
struct ByString {
    name: String,
}

#[derive(DataContract)]
#[contract(partition_by(hour(day)))]
struct HourOfDate {
    day: chrono::NaiveDate,
}

#[derive(DataContract)]
#[contract(partition_by(range(price, start = 0, end = 10, interval = 1)))]
struct RangeOfFloat {
    price: f64,
}

fn main() {}
