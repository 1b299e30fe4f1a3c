use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(expect(mean(min = 0, median = 1)))]
    a: f64,
}

fn main() {}
