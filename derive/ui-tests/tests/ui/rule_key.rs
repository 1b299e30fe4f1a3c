use datacontract::DataContract;

#[derive(DataContract)]
#[contract(rule(sql = "a > 0", level = "warn"))]
struct T {
    a: i64,
}

fn main() {}
