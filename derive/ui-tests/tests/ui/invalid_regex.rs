use datacontract::DataContract;

#[derive(DataContract)]
struct Table {
    #[contract(regex = "^[A-Z{3}$")]
    code: String,
    #[contract(regex = "(unclosed")]
    other: String,
}

fn main() {}
