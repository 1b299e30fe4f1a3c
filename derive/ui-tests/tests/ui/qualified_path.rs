use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    a: <Vec<u8> as IntoIterator>::Item,
}

fn main() {}
