#!/usr/bin/env bash
# Runs every test of the workspace: unit, integration, snapshot (insta),
# compile-error (trybuild), CLI and doc tests.
#
# Reuses $CARGO_TARGET_DIR when it is set. Snapshots never update here: a
# mismatch fails the run (review with `cargo insta review`).
set -euo pipefail
cd "$(dirname "$0")/.."

export INSTA_UPDATE=no
cargo test --workspace --locked
