use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(one_of())]
    a: String,
}

fn main() {}
