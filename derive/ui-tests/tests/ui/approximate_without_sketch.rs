use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(expect(mean(max = 10, approximate = true)))]
    a: f64,
}

fn main() {}
