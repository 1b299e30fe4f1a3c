use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(expect(min(min = 0)))]
    a: bool,
}

fn main() {}
