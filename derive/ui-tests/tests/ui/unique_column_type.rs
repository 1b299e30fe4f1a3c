use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(unique)]
    tags: Vec<String>,
}

fn main() {}
