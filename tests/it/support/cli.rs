//! `datacontract::cli::run`, the entry point a downstream binary calls,
//! over a registry of the test's contracts.

use std::process::ExitCode;

use datacontract::Registry;

/// `contracts …` over `registry`: the exit code, standard output and
/// standard error.
pub fn run(registry: &Registry, args: &[&str]) -> (ExitCode, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = datacontract::cli::run(
        registry,
        std::iter::once("contracts").chain(args.iter().copied()),
        &mut out,
        &mut err,
    );
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}
