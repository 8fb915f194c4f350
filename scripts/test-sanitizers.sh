#!/usr/bin/env bash
# The C and C++ tests once more under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/,
# same Rust library; the runtime on one worker thread), the fault tests one at a time under
# LeakSanitizer with fd and task counts (scripts/faults.sh), and the C tests under valgrind
# (build/). CI runs it after scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
if ! command -v valgrind >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq valgrind >/dev/null
fi
export CARGO_TARGET_DIR="$PWD/build/cargo"

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNS_SANITIZE=ON \
  -DNS_BUILD_EXAMPLES=OFF -DNS_WARNINGS_AS_ERRORS="${NS_WARNINGS_AS_ERRORS:-OFF}" \
  -DNS_CARGO_PROFILE=release -DNS_CARGO_TARGET_DIR="$CARGO_TARGET_DIR" >/dev/null
cmake --build build-asan
# On one worker thread: no test may rely on a second worker to make progress.
NETWORK_SYSTEM_WORKER_THREADS=1 \
ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=1" UBSAN_OPTIONS="print_stacktrace=1" \
  ctest --test-dir build-asan --output-on-failure -j2 -E "consumer_find_package|header_warnings"

bash scripts/faults.sh

cmake -S . -B build -DNS_VALGRIND_TESTS=ON >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure -j2 -R valgrind
