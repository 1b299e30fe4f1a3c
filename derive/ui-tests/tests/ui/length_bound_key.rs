use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(length(least = 1))]
    a: String,
}

fn main() {}
