use datacontract::DataContract;

#[derive(DataContract)]
#[contract(warn(version = "1.0.0"))]
struct T {
    a: i64,
}

fn main() {}
