use datacontract::DataContract;

#[derive(DataContract)]
struct Table {
    #[contract(min = 10, max = 1)]
    count: i64,
    #[contract(min = 1.5, max_exclusive = 1.5)]
    ratio: f64,
    #[contract(min = "2002-01-01", max = "2001-01-01")]
    day: chrono::NaiveDate,
    #[contract(length(min = 5, max = 2))]
    code: String,
}

fn main() {}
