use datacontract::DataContract;

#[derive(DataContract)]
struct Customer {
    id: i64,
}

#[derive(DataContract)]
struct Order {
    #[contract(references(Customer.id))]
    customer_id: String,
}

fn main() {}
