#!/usr/bin/env bash
# The Prometheus text of metrics_server read by an independent parser (Python prometheus_client,
# tests/interop/prometheus_check.py): TCP echo traffic, then the scraped counters must have grown
# by exactly what was sent. Exit 77 (skipped) with the reason when build/venv has no
# prometheus_client.
# Usage: prometheus_interop.sh <examples dir> <venv python> <prometheus_check.py>
set -euo pipefail
dir=$1 python=$2 check=$3
source "$(dirname "$0")/interop_lib.sh"
python_peer_setup "$python" prometheus_client

mkfifo "$work/stdin" "$work/server.out"
"$dir/metrics_server" 0 0 <"$work/stdin" >"$work/server.out" 2>&1 &
server=$!
exec 3>"$work/stdin" 4<"$work/server.out"
line=$(await 4 'echo on port [0-9]+, metrics on http://127.0.0.1:[0-9]+/metrics')
echo_port=$(sed 's/echo on port \([0-9]*\),.*/\1/' <<<"$line")
metrics_port=$(sed 's/.*127.0.0.1:\([0-9]*\)\/metrics.*/\1/' <<<"$line")
out=$(timeout 60 "$python" "$check" "$echo_port" "$metrics_port")
[ "$out" = ok ] || { echo "prometheus check: $out"; exit 1; }
echo >&3
wait "$server"
echo "prometheus interop ok"
