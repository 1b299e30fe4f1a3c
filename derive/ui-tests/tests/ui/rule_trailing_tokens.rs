use datacontract::DataContract;

#[derive(DataContract)]
#[contract(rule("a > 0 b"))]
struct T {
    a: i64,
    b: i64,
}

fn main() {}
