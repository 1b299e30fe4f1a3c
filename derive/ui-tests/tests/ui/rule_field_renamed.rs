use datacontract::DataContract;

#[derive(DataContract)]
#[contract(rule("amount > 0"))]
struct T {
    #[contract(rename = "amount_usd")]
    amount: i64,
}

fn main() {}
