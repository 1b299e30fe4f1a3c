use datacontract::DataContract;

#[derive(DataContract)]
#[contract(
    dedup_key(id, missing_key),
    partition_by(day(missing_time)),
    cluster_by(id, missing_cluster),
    rule("id > missing_in_rule")
)]
struct Table {
    id: i64,
}

fn main() {}
