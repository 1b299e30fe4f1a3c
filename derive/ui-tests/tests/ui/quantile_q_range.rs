use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(expect(quantile(q = 1.5, min = 0)))]
    a: f64,
}

fn main() {}
