use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(expect(mean(severity = "warn")))]
    a: f64,
}

fn main() {}
