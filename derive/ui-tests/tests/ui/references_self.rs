use datacontract::DataContract;

#[derive(DataContract)]
#[contract(name = "employees")]
struct Employee {
    id: i64,
    code: String,
    #[contract(references = "employees.code")]
    manager_id: Option<i64>,
    #[contract(references = "employees.boss")]
    mentor_id: Option<i64>,
}

fn main() {}
