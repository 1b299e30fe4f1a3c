use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(min = "31/01/2001")]
    day: chrono::NaiveDate,
}

fn main() {}
