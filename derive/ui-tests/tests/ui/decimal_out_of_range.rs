use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(bigquery_type = "NUMERIC(10, 12)")]
    a: rust_decimal::Decimal,
}

fn main() {}
