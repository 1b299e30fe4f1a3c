use datacontract::DataContract;

#[derive(DataContract)]
#[contract(drift(ks = 1.5))]
struct T {
    a: f64,
}

fn main() {}
