//! `contracts`: schemas, DDL and checks of the shipped contracts, and the
//! klines pipeline (`contracts run`, `contracts query`).

fn main() -> std::process::ExitCode {
    datacontract::cli::main_with_pipeline(
        datacontract_contracts::registry(),
        datacontract_contracts::pipeline(),
    )
}
