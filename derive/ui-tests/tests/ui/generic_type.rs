use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    a: std::collections::VecDeque<i64>,
}

fn main() {}
