use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(email)]
    a: i64,
}

fn main() {}
