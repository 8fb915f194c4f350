#!/usr/bin/env bash
# The fuzz targets of fuzz/ (libFuzzer through libfuzzer-sys) built and run on the stable
# toolchain with the flags `cargo fuzz` uses: coverage instrumentation, AddressSanitizer (with
# leak checking), debug assertions. RUSTC_BOOTSTRAP lets stable rustc take -Zsanitizer.
#
#   scripts/fuzz.sh build                  build every target (build/fuzz-target)
#   scripts/fuzz.sh seeds                  rewrite the committed seeds (fuzz/corpus, fuzz/seeds)
#   scripts/fuzz.sh run TARGET SECONDS [RUNS]   fuzz one target (corpus: build/fuzz-corpus/TARGET,
#                                          starting from the seeds; findings: build/fuzz-artifacts)
#   scripts/fuzz.sh smoke [SECONDS]        every target for SECONDS (default 60), two at a time;
#                                          CI runs this
#   scripts/fuzz.sh long [SECONDS]         every target until 10 000 000 runs or SECONDS (default
#                                          1800), one after the other; prints the figures
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
targets=(framing tls_records ws_frames http_requests quic_packets dtls_packets c_api)
triple=$(rustc -vV | sed -n 's/^host: //p')
export CARGO_TARGET_DIR="$root/build/fuzz-target"
export RUSTC_BOOTSTRAP=1
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Zsanitizer=address \
-Cdebug-assertions -Coverflow-checks -Cforce-frame-pointers"
bin="$CARGO_TARGET_DIR/$triple/release"

build() {
  cargo build --release --manifest-path fuzz/Cargo.toml --target "$triple" --bins
}

# Options of every run: a hang of 30 s or 4 GiB of memory is a finding; leaks are checked.
run() {
  local target=$1 seconds=$2 runs=${3:--1}
  local corpus="$root/build/fuzz-corpus/$target" artifacts="$root/build/fuzz-artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  cp -n "$root/fuzz/corpus/$target"/* "$corpus"/ 2>/dev/null || true
  local max_len=4096
  case $target in quic_packets|dtls_packets|http_requests|ws_frames) max_len=16384 ;; esac
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
    "$bin/$target" "$corpus" -artifact_prefix="$artifacts/" -max_total_time="$seconds" \
    -runs="$runs" -timeout=30 -rss_limit_mb=4096 -max_len=$max_len -print_final_stats=1 \
    > "$root/build/fuzz-$target.log" 2>&1 || {
      tail -n 60 "$root/build/fuzz-$target.log"
      echo "fuzz: $target failed (log: build/fuzz-$target.log)" >&2
      return 1
    }
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$root/build/fuzz-$target.log")
  local cov
  cov=$(grep -o 'cov: [0-9]*' "$root/build/fuzz-$target.log" | tail -n 1)
  echo "fuzz: $target: $execs runs in ${seconds}s max, $cov, 0 crashes/leaks/timeouts"
}

case ${1:-} in
  build) build ;;
  seeds)
    cargo build --release --manifest-path fuzz/Cargo.toml --target "$triple" --bin make_seeds
    "$bin/make_seeds"
    ;;
  run)
    build
    run "$2" "$3" "${4:--1}"
    ;;
  smoke)
    build
    seconds=${2:-60}
    status=0
    for ((i = 0; i < ${#targets[@]}; i += 2)); do
      pids=()
      for t in "${targets[@]:i:2}"; do
        run "$t" "$seconds" & pids+=($!)
      done
      for p in "${pids[@]}"; do wait "$p" || status=1; done
    done
    exit $status
    ;;
  long)
    build
    for t in "${targets[@]}"; do run "$t" "${2:-1800}" 10000000; done
    ;;
  *)
    sed -n '2,16p' "$0"
    exit 2
    ;;
esac
