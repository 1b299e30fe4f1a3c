use datacontract::DataContract;

#[derive(DataContract)]
#[contract(
    foreign_key(columns(region, number), references = "customers(region)"),
    foreign_key(columns(number), references = "customers(number)")
)]
struct Order {
    region: String,
    number: i64,
    #[contract(references = "customers.id")]
    customer_ids: Vec<i64>,
}

fn main() {}
