#!/usr/bin/env bash
# Our C++ WebSocket API against an independent peer, the Python `websockets` package
# (tests/interop/ws_peer.py): its client against ws_chat_server (echo of every length class,
# ping/pong, close 4000 seen by our server), and ws_chat_client against its server (echo, close
# 1000 "bye" seen by Python). Exit 77 (skipped) with the reason when build/venv has no websockets.
# Usage: ws_python_interop.sh <examples dir> <venv python> <ws_peer.py>
set -euo pipefail
dir=$1 python=$2 peer=$3
source "$(dirname "$0")/interop_lib.sh"
python_peer_setup "$python" websockets

mkfifo "$work/stdin" "$work/server.out" "$work/py.out"
"$dir/ws_chat_server" 0 <"$work/stdin" >"$work/server.out" 2>&1 &
server=$!
exec 3>"$work/stdin" 4<"$work/server.out"
port=$(await 4 'on port [0-9]+' | sed 's/.*on port \([0-9]*\).*/\1/')
out=$(timeout 60 "$python" "$peer" client "$port")
[ "$out" = ok ] || { echo "python client: $out"; exit 1; }
await 4 'left \(4000 py done\)'
echo >&3
wait "$server"

"$python" "$peer" server >"$work/py.out" 2>&1 &
py=$!
exec 5<"$work/py.out"
port=$(await 5 '^port [0-9]+$' | cut -d' ' -f2)
out=$(timeout 20 "$dir/ws_chat_client" 127.0.0.1 "$port" "hello python")
[ "$out" = "echo: hello python" ] || { echo "ws_chat_client: $out"; exit 1; }
await 5 '^closed 1000 bye$'
wait "$py"
echo "python websockets interop ok"
