use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(bigquery_type = "NUMERIC(many)")]
    a: rust_decimal::Decimal,
}

fn main() {}
