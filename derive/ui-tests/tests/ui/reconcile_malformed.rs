use datacontract::DataContract;

#[derive(DataContract)]
#[contract(
    reconcile(sum(amount)),
    reconcile(quantile(amount), against = "raw.amount"),
    reconcile(row_count, against = "raw.amount"),
    reconcile(sum(amount), against = "raw"),
    reconcile(sum(amount), against = "raw.amount", tolerance = -1),
    reconcile(sum(code), against = "raw.code"),
    reconcile(distinct_count(code), against = "raw.code"),
    reconcile(distinct_count(code), against = "raw.code")
)]
#[contract(reconcile(sum(amount), against = "raw.amount", tolerance = "small"))]
struct Orders {
    amount: f64,
    code: String,
}

fn main() {}
