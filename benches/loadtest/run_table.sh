#!/usr/bin/env bash
# Runs every row of the performance table (medians of 5 runs where the tool repeats, 5 separate
# runs otherwise) with the POSIX baseline (WebSocket rows: the Python websockets package; QUIC
# rows: a minimal quinn program, with our TLS over TCP beside; echo rows: Boost.Asio and Beast,
# whose latency chart it redraws in docs/echo-latency.svg); each stream row through one
# send_packet per message (--api packet, what existing code does) and through send_batch
# (--api batch).
# Usage: run_table.sh <build dir> [json file]
set -euo pipefail
build=${1:-build}
json=${2:-$build/loadtest-table.json}
lt="$build/benches/loadtest/network_system_loadtest"
certs="$build/tls-certs"
[ -f "$certs/server.pem" ] || "$build/cargo/release/examples/make_test_certs" "$certs" >/dev/null
rm -f "$json"
run() { echo; "$lt" "$@" --json "$json" || echo "FAILED: $*"; }
both() { run "$@" --api packet; run "$@" --api batch; }
both throughput --size 64 --count 2000000 --framing raw --runs 5 --baseline
both throughput --size 1024 --count 1000000 --framing raw --runs 5 --baseline
both throughput --size 65536 --count 30000 --framing raw --runs 5 --baseline
both throughput --size 64 --count 2000000 --runs 5 --baseline
for i in 1 2 3 4 5; do run rtt --size 64 --count 20000 --baseline; done
both throughput --transport tls --certs "$certs" --size 64 --count 2000000 --framing raw --runs 5 --baseline
both throughput --transport tls --certs "$certs" --size 65536 --count 30000 --framing raw --runs 5 --baseline
run throughput --transport udp --size 64 --count 1000000 --runs 5 --baseline
run connections --count 10000 --runs 5 --baseline
for i in 1 2 3 4 5; do run connect --count 5000 --connections 2 --baseline; run connect --count 5000 --connections 2 --baseline --api wait; done
run slowreader --size 65536
asio="$build/benches/loadtest/asio_echo"   # echo rows: baseline = Boost.Asio / Boost.Beast (libboost-dev)
# Both ends run in one process (2 fds per connection): where the hard limit is 20 000 files,
# the largest row runs 9 900 connections.
big=10000; lim=$(ulimit -Hn); [ "$lim" != unlimited ] && [ "$lim" -lt 20100 ] && big=9900
for n in 1 100 1000 $big; do run echo --connections $n --seconds 5 --runs 5 --baseline --asio "$asio"; done
run echo --transport ws --connections 1000 --seconds 5 --runs 5 --baseline --asio "$asio"
python3 "$(dirname "$0")/echo_chart.py" "$json" "$(dirname "$0")/../../docs/echo-latency.svg"
py="$build/venv/bin/python"   # WebSocket rows: baseline = Python websockets (scripts/venv.sh)
run throughput --transport ws --size 64 --count 300000 --runs 5 --baseline --python "$py"
run throughput --transport ws --size 65536 --count 5000 --runs 5 --baseline --python "$py"
for i in 1 2 3 4 5; do run rtt --transport ws --size 64 --count 5000 --baseline --python "$py"; done
quinn="$build/cargo/release/examples/quic_baseline"   # QUIC rows: baseline = a minimal quinn program
[ -x "$quinn" ] || cargo build --release --example quic_baseline >/dev/null
run throughput --transport quic --certs "$certs" --size 65536 --count 4000 --runs 9 --baseline --quinn "$quinn"
run throughput --transport quic --certs "$certs" --size 65536 --count 4000 --connections 8 --runs 9 --baseline --quinn "$quinn"
for i in 1 2 3 4 5; do run rtt --transport quic --certs "$certs" --size 64 --count 5000 --baseline --quinn "$quinn"; done
run connect --transport quic --certs "$certs" --count 300 --runs 9 --baseline --quinn "$quinn"
