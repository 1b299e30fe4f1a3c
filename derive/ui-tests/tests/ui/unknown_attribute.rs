use datacontract::DataContract;

#[derive(DataContract)]
#[contract(name = "t", colour = "blue", partition_by(fortnight(day)))]
struct Table {
    #[contract(maximum = 3, min = 0)]
    count: i64,
    #[contract(expect(median(max = 3)), warn(shout))]
    day: chrono::NaiveDate,
}

fn main() {}
