use datacontract::DataContract;

#[derive(DataContract)]
enum T {
    A,
}

fn main() {}
