//! `contracts import odcs`: an ODCS document as the Rust source of
//! `#[derive(DataContract)]` structs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use crate::odcs;
use crate::pipeline::RunError;

/// The formats `contracts import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// An Open Data Contract Standard (v3) document, YAML or JSON: one
    /// struct per schema object. A construct a contract cannot express
    /// fails the import, every one named with its path in the document.
    Odcs {
        /// The document.
        file: PathBuf,
        /// Write the source here (e.g. src/contracts/orders.rs) instead of
        /// printing it.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Import what a contract can express and leave the rest out (a
        /// catalogue's business names, tags, links, …): each part left out
        /// is listed in the file's header (and, with --out, in the
        /// summary). What is invalid still fails the import.
        #[arg(long)]
        drop_unsupported: bool,
    },
}

/// Runs `contracts import`.
pub fn import(command: &ImportCommand) -> Result<(String, ExitCode), RunError> {
    let ImportCommand::Odcs {
        file,
        out,
        drop_unsupported,
    } = command;
    let (source, dropped) = odcs_source(file, *drop_unsupported)?;
    match out {
        None => Ok((source, ExitCode::SUCCESS)),
        Some(out) => {
            write(out, &source)?;
            let mut summary = format!("wrote {}\n", out.display());
            if !dropped.is_empty() {
                summary.push_str(&format!(
                    "left out {} parts (listed in its header):\n",
                    dropped.len()
                ));
                for problem in &dropped {
                    summary.push_str(&format!("  {}: {}\n", problem.path, problem.message));
                }
            }
            Ok((summary, ExitCode::SUCCESS))
        }
    }
}

/// The Rust source of the ODCS document at `file`, and what it left out.
fn odcs_source(
    file: &Path,
    drop_unsupported: bool,
) -> Result<(String, Vec<odcs::Problem>), RunError> {
    let text = std::fs::read_to_string(file)
        .map_err(|error| RunError::input(format!("cannot read {}: {error}", file.display())))?;
    let document = odcs::parse(&text)
        .map_err(|error| RunError::input(format!("{}: {error}", file.display())))?;
    let imported = if drop_unsupported {
        odcs::import_dropping_unsupported(&document)
    } else {
        odcs::import(&document).map(|tables| (tables, Vec::new()))
    };
    let (tables, dropped) =
        imported.map_err(|error| RunError::input(format!("{}: {error}", file.display())))?;
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let source = odcs::to_rust(&name, &tables, &dropped).map_err(RunError::input)?;
    Ok((source, dropped))
}

fn write(out: &Path, source: &str) -> Result<(), RunError> {
    if let Some(parent) = out.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|error| {
            RunError::input(format!("cannot create {}: {error}", parent.display()))
        })?;
    }
    std::fs::write(out, source)
        .map_err(|error| RunError::input(format!("cannot write {}: {error}", out.display())))
}
