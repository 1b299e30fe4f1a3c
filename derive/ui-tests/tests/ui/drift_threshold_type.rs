use datacontract::DataContract;

#[derive(DataContract)]
#[contract(drift(psi = "high"))]
struct T {
    a: f64,
}

fn main() {}
