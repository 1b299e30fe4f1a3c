use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(expect(null_fraction(max = 2)))]
    a: Option<i64>,
}

fn main() {}
