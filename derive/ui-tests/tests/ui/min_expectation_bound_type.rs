use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(expect(max(max = "high")))]
    a: i64,
}

fn main() {}
