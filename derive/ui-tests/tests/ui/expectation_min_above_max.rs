use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(expect(mean(min = 5, max = 1)))]
    a: f64,
}

fn main() {}
