use datacontract::DataContract;

#[derive(DataContract)]
#[contract(rule("a > 0"), rule(name = "a_gt_0", sql = "a >= 1"))]
struct T {
    a: i64,
}

fn main() {}
