use datacontract::DataContract;

#[derive(DataContract)]
#[contract(rule(name = "positive"))]
struct T {
    a: i64,
}

fn main() {}
