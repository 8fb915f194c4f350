#!/usr/bin/env bash
# The fault tests (tests/faults.rs: transfers and timers through impairing proxies) one at a
# time, with leak checks: LeakSanitizer preloaded (the Rust heap goes through malloc, so what
# is unreachable at exit is reported), and each test's open fds and runtime tasks back to their
# count before it (NS_FAULT_LEAKS).
#
#   scripts/faults.sh [MIB]   MiB per transfer (default: the tests' own, 8 per stream and 1 over
#                             QUIC; CI runs this); the long run is `scripts/faults.sh 64`
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="$PWD/build/cargo"
asan=$(gcc -print-file-name=libasan.so)
[ -f "$asan" ] || { echo "faults: libasan.so not found (gcc's AddressSanitizer runtime)" >&2; exit 1; }
[ -z "${1:-}" ] || export NS_FAULT_MIB=$1
bin=$(cargo test --release --test faults --no-run --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*faults-[^"]*\)".*/\1/p' | tail -n 1)
[ -x "$bin" ] || { echo "faults: the test binary was not built" >&2; exit 1; }
NS_FAULT_LEAKS=1 LD_PRELOAD="$asan" ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
  "$bin" --test-threads=1 --nocapture
