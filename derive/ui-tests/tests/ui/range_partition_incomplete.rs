use datacontract::DataContract;

#[derive(DataContract)]
#[contract(partition_by(range(a, start = 0, end = 10)))]
struct T {
    a: i64,
}

fn main() {}
