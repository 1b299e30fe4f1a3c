use datacontract::DataContract;

#[derive(DataContract)]
#[contract(foreign_key(severity = "warn"))]
#[contract(foreign_key(columns(customer_id, referrer_id), references = "customers(id, referrer)", on_delete = "cascade"))]
struct Order {
    #[contract(references = "customers")]
    customer_id: i64,
    #[contract(references(Customer))]
    referrer_id: i64,
    #[contract(references(Customer.id extra))]
    seller_id: i64,
}

fn main() {}
