//! Compile errors of `#[derive(DataContract)]`: each file under `ui/` must
//! fail to compile with exactly the messages in its `.stderr` file, every
//! problem of a struct reported in one build, at the offending span.

#[test]
fn compile_errors_point_at_their_span() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
