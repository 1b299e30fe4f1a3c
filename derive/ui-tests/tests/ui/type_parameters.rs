use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(bigquery_type = "STRING(10)")]
    a: String,
}

fn main() {}
