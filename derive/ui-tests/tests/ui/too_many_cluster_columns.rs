use datacontract::DataContract;

#[derive(DataContract)]
#[contract(cluster_by(a, b, c, d, e))]
struct Table {
    a: i64,
    b: i64,
    c: i64,
    d: i64,
    e: i64,
}

fn main() {}
