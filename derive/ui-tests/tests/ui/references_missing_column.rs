use datacontract::DataContract;

#[derive(DataContract)]
struct Customer {
    id: i64,
    tags: Vec<String>,
}

#[derive(DataContract)]
struct Order {
    #[contract(references(Customer.number))]
    customer_id: i64,
    #[contract(references(Customer.tags))]
    tag: String,
}

fn main() {}
