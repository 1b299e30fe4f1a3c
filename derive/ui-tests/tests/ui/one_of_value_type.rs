use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(one_of("a", 2))]
    a: String,
}

fn main() {}
