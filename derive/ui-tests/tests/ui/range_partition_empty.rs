use datacontract::DataContract;

#[derive(DataContract)]
#[contract(partition_by(range(a, start = 10, end = 0, interval = 1)))]
struct T {
    a: i64,
}

fn main() {}
