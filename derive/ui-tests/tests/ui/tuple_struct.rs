use datacontract::DataContract;

#[derive(DataContract)]
struct T(i64);

fn main() {}
