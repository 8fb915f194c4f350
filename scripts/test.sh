#!/usr/bin/env bash
# Quick start, step 2: every test — Rust unit and integration tests, then the C and C++ tests
# (GoogleTest, C11, POSIX peer, find_package consumer) through ctest. One cargo target dir and
# one profile (release) are shared by cargo and CMake, so the library is built once.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
export CARGO_TARGET_DIR="$PWD/build/cargo"
bash scripts/venv.sh
cargo test --release
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j2
