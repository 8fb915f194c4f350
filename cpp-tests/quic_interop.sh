#!/usr/bin/env bash
# Our C++ QUIC API against an independent implementation, Python `aioquic`
# (tests/interop/quic_peer.py), both directions with ALPN "echo": its client against
# quic_echo_server (streams of 1 B…1 MB and messages echoed, checked byte for byte by Python),
# and quic_echo_client against its server (a message and a stream echoed, checked by the client).
# Exit 77 (skipped) with the reason when build/venv has no aioquic.
# Usage: quic_interop.sh <examples dir> <venv python> <quic_peer.py> <certificate dir>
set -euo pipefail
dir=$1 python=$2 peer=$3 certs=$4
source "$(dirname "$0")/interop_lib.sh"
python_peer_setup "$python" aioquic

mkfifo "$work/stdin" "$work/server.out" "$work/py.out"
"$dir/quic_echo_server" "$certs/server.pem" "$certs/server.key" 0 <"$work/stdin" >"$work/server.out" 2>&1 &
server=$!
exec 3>"$work/stdin" 4<"$work/server.out"
port=$(await 4 'on port [0-9]+' | sed 's/.*on port \([0-9]*\).*/\1/')
out=$(timeout 60 "$python" "$peer" client "$port" "$certs/ca.pem" 2>&1)
[ "$out" = ok ] || { echo "aioquic client: $out"; exit 1; }
echo "aioquic client -> quic_echo_server:$port: ok"
echo >&3
wait "$server"

"$python" "$peer" server "$certs/server.pem" "$certs/server.key" >"$work/py.out" 2>&1 &
py=$!
exec 5<"$work/py.out"
port=$(await 5 '^port [0-9]+$' | cut -d' ' -f2)
out=$(timeout 20 "$dir/quic_echo_client" "$certs/ca.pem" 127.0.0.1 "$port" "hello aioquic")
[ "$out" = "echo: hello aioquic" ] || { echo "quic_echo_client: $out"; exit 1; }
echo "quic_echo_client -> aioquic server:$port: $out"
await 5 '^done$'
wait "$py"
echo "aioquic interop ok"
