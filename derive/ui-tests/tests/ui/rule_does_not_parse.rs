use datacontract::DataContract;

#[derive(DataContract)]
#[contract(rule("a > "))]
struct T {
    a: i64,
}

fn main() {}
