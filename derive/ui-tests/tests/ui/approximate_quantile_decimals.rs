use datacontract::DataContract;

#[derive(DataContract)]
struct T {
    #[contract(expect(quantile(q = 0.12345, max = 10, approximate = true)))]
    a: f64,
    // Four decimals are fine, and so is any q of an exact quantile.
    #[contract(expect(quantile(q = 0.9995, max = 10, approximate = true)))]
    #[contract(expect(quantile(q = 0.12345, max = 10)))]
    b: f64,
}

fn main() {}
