use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(min = [1])]
    a: i64,
}

fn main() {}
