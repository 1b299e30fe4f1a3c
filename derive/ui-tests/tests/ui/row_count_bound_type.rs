use datacontract::DataContract;

#[derive(DataContract)]
#[contract(row_count(min = -1))]
struct T {
    a: i64,
}

fn main() {}
