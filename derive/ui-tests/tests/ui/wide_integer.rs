use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    a: u64,
}

fn main() {}
