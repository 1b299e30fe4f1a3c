use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(bigquery_type = "NUMERIC(38, 9")]
    a: rust_decimal::Decimal,
}

fn main() {}
