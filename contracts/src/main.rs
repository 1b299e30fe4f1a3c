//! `contracts`: schemas, DDL and checks of the shipped contracts.

fn main() -> std::process::ExitCode {
    datacontract::cli::main(datacontract_contracts::registry())
}
