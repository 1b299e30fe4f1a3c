//! Prints the bundled synthetic klines sample (see `datacontract_contracts::sample`).

fn main() {
    print!(
        "{}",
        datacontract_contracts::sample::generate(datacontract_contracts::sample::SEED)
    );
}
