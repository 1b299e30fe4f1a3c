use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(length(max = 2))]
    a: i64,
}

fn main() {}
