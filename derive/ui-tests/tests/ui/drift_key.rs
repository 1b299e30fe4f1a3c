use datacontract::DataContract;

#[derive(DataContract)]
#[contract(drift(psi = 0.25, chi2 = 0.1))]
struct T {
    a: f64,
}

fn main() {}
