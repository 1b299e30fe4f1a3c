use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(sensitivity = "secret")]
    a: String,
}

fn main() {}
