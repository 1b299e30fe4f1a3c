//! Compile errors of `#[derive(DataContract)]`: each file under `ui/` must
//! fail to compile with exactly the messages in its `.stderr` file, every
//! problem of a struct reported in one build, at the offending span. Every
//! diagnostic the macro can emit has a case.

use std::fs;
use std::path::Path;

use regex::Regex;

#[test]
fn compile_errors_point_at_their_span() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}

/// Every message the macro's source can emit shows up in some case's
/// expected output, so a new diagnostic comes with its case.
///
/// A message is a string literal of the source with a space in it and at
/// least 16 characters (keys and type names have neither); its longest
/// stretch without a `{…}` placeholder must appear in a `.stderr` file.
/// Panic messages of `expect` and `unreachable!` are not diagnostics, nor
/// are raw strings (patterns).
#[test]
fn every_diagnostic_has_a_case() {
    let expected_output = squeeze(&read_all(Path::new("tests/ui"), "stderr"));
    let source = read_all(Path::new("../src"), "rs");
    let literal = Regex::new(r#"(expect\(|unreachable!\(|\br)?"((?:[^"\\]|\\.)*)""#).unwrap();
    let placeholder = Regex::new(r"\{[^}]*\}").unwrap();
    let mut missing = Vec::new();
    for line in source.lines() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        for found in literal.captures_iter(line) {
            let text = &found[2];
            if found.get(1).is_some() || !text.contains(' ') || text.len() < 16 {
                continue;
            }
            let fragment = placeholder
                .split(text)
                .max_by_key(|part| part.len())
                .unwrap_or_default()
                .replace("\\\"", "\"");
            if !expected_output.contains(squeeze(&fragment).trim()) {
                missing.push(text.to_string());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "diagnostics without a case under tests/ui/:\n{}",
        missing.join("\n")
    );
}

/// The text of every file under `folder` whose name ends in `.extension`,
/// message lines that the source continues with `\` joined back up.
fn read_all(folder: &Path, extension: &str) -> String {
    let continuation = Regex::new(r"\\\n\s*").unwrap();
    let mut text = String::new();
    for entry in fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            text.push_str(&read_all(&path, extension));
        } else if path.extension().is_some_and(|found| found == extension) {
            let content = fs::read_to_string(&path).unwrap();
            let content = content.split("#[cfg(test)]").next().unwrap_or_default();
            text.push_str(&continuation.replace_all(content, ""));
            text.push('\n');
        }
    }
    text
}

/// `text` with every run of white space made one space.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
