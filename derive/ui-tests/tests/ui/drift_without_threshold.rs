use datacontract::DataContract;

#[derive(DataContract)]
#[contract(drift(columns(a)))]
struct T {
    a: f64,
}

fn main() {}
