use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(regex = "^[0-9]+$")]
    a: i64,
}

fn main() {}
