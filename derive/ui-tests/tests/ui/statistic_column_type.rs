use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(expect(mean(min = 0)))]
    a: String,
}

fn main() {}
