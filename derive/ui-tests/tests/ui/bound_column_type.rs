use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(min = 0)]
    a: String,
}

fn main() {}
