#!/usr/bin/env bash
# Configures and builds everything (Rust library via cargo, C/C++ tests and examples) in build/
# (Release; NS_WARNINGS_AS_ERRORS=ON in the environment makes our own C/C++ warnings errors).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
export CARGO_TARGET_DIR="$PWD/build/cargo"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNS_CARGO_PROFILE=release \
  -DNS_CARGO_TARGET_DIR="$CARGO_TARGET_DIR" -DNS_WARNINGS_AS_ERRORS="${NS_WARNINGS_AS_ERRORS:-OFF}" >/dev/null
cmake --build build
