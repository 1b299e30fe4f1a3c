use datacontract::DataContract;

#[derive(DataContract)]
#[contract(
    foreign_key(columns(region, number), references = "customers(region, number)"),
    warn(foreign_key(columns(region, number), references = "customers(region, number)"))
)]
struct Order {
    region: String,
    number: i64,
}

fn main() {}
