use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(min = "zero")]
    a: i64,
}

fn main() {}
