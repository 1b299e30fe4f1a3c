use datacontract::DataContract;

#[derive(DataContract)]
#[contract(dedup_key(tags))]
struct T {
    tags: Vec<String>,
}

fn main() {}
