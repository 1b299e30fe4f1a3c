use datacontract::DataContract;

#[derive(DataContract)]
struct T<V> {
    a: V,
}

fn main() {}
