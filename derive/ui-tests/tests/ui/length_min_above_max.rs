use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(length(min = 5, max = 2))]
    a: String,
}

fn main() {}
