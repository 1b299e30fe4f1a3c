use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(expect(quantile(min = 0)))]
    a: f64,
}

fn main() {}
