#!/usr/bin/env bash
# Configures and builds everything (Rust library via cargo, C/C++ tests and examples) in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
export CARGO_TARGET_DIR="$PWD/build/cargo"
cmake -S . -B build -G Ninja -DNS_CARGO_PROFILE=release -DNS_CARGO_TARGET_DIR="$CARGO_TARGET_DIR" >/dev/null
cmake --build build
