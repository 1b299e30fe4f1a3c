use datacontract::DataContract;

#[derive(DataContract)]
#[contract(version = "1.0")]
struct T {
    a: i64,
}

fn main() {}
