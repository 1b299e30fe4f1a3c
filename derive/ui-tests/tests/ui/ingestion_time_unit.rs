use datacontract::DataContract;

#[derive(DataContract)]
#[contract(partition_by(ingestion_time(week)))]
struct T {
    a: i64,
}

fn main() {}
