use datacontract::DataContract;

#[derive(DataContract)]
#[contract(severity = "fatal")]
struct T {
    a: i64,
}

fn main() {}
