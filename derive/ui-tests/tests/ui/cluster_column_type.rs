use datacontract::DataContract;

#[derive(DataContract)]
#[contract(cluster_by(price))]
struct T {
    price: f64,
}

fn main() {}
