#!/usr/bin/env bash
# Runs every test of the workspace: unit, integration, snapshot (insta),
# compile-error (trybuild), CLI, doc tests, and the tests against the
# emulators and the database servers, which this script installs, starts on
# 127.0.0.1 and stops.
#
# Reuses $CARGO_TARGET_DIR when it is set. Snapshots never update here: a
# mismatch fails the run (review with `cargo insta review`). Arguments are
# cargo's, given to every cargo command here (.ci/run passes its clippy
# wrapper this way: `--config build.rustc-workspace-wrapper=…`).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/emulators.sh start
scripts/databases.sh start
scripts/python_tools.sh install
trap 'scripts/emulators.sh stop; scripts/databases.sh stop' EXIT
eval "$(scripts/databases.sh env)"
eval "$(scripts/python_tools.sh env)"
export DATACONTRACT_GCS_EMULATOR="http://127.0.0.1:${DATACONTRACT_GCS_PORT:-9023}"
export BIGQUERY_EMULATOR_HOST="127.0.0.1:${DATACONTRACT_BQ_PORT:-9050}"

# DuckDB's bundled C++ builds with clang when it is there (as in CI): a
# change of compiler would build it again.
if command -v clang++ >/dev/null; then
    export CXX="${CXX:-clang++}"
fi
export INSTA_UPDATE=no
# cargo-nextest runs every test in a process of its own, as many at once as
# there are cores, across the test binaries: the long system tests of one
# binary no longer wait for those of another. Doc tests are cargo test's.
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked "$@"
    cargo test --workspace --locked --doc "$@"
else
    echo "cargo-nextest is missing: running the tests with cargo test" >&2
    cargo test --workspace --locked --no-fail-fast "$@"
fi
