#!/usr/bin/env bash
# Runs the example pairs against each other on 127.0.0.1: the C echo server with the C echo
# client, the C++ first_server with the C++ first_client, the TLS pair with the test certificates,
# UDP, the WebSocket pairs (C++ chat, C echo, and across them), the HTTP pairs (likewise) and
# the QUIC pair.
# Usage: examples_smoke.sh <examples dir> <test certificate dir>
set -euo pipefail
dir=$1
certs=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run_pair <server> <client> <message> [server args before the port] [-- client args before host]
run_pair() {
  local server=$1 client=$2 message=$3 line port out
  local -a server_args=() client_args=()
  [ -n "${4:-}" ] && read -r -a server_args <<<"$4"
  [ -n "${5:-}" ] && read -r -a client_args <<<"$5"
  mkfifo "$work/in" "$work/out"
  "$dir/$server" "${server_args[@]}" 0 <"$work/in" >"$work/out" 2>&1 &
  local pid=$!
  exec 3>"$work/in" 4<"$work/out"   # the server stops when its stdin gets a line
  IFS= read -r -t 20 line <&4 || { echo "$server printed nothing"; kill "$pid"; exit 1; }
  port=$(sed -n 's/.*on port \([0-9]*\).*/\1/p' <<<"$line")
  [ -n "$port" ] || { echo "$server: unexpected first line: $line"; kill "$pid"; exit 1; }
  out=$(timeout 20 "$dir/$client" "${client_args[@]}" 127.0.0.1 "$port" "$message")
  echo "$client -> $server:$port: $out"
  echo >&3
  exec 3>&- 4<&-
  wait "$pid"
  rm -f "$work/in" "$work/out"
  [ "$out" = "echo: $message" ] || { echo "unexpected reply from $server"; exit 1; }
}

run_pair c_echo_server c_echo_client "hello from the C client"
run_pair first_server first_client "hello from the C++ client"
run_pair tls_echo_server tls_echo_client "hello over TLS" "$certs/server.pem $certs/server.key" "$certs/ca.pem"
ln -sf "$dir/udp_echo" "$work/udp_echo"
printf '#!/bin/sh\nexec "%s" server "$@"\n' "$dir/udp_echo" >"$work/udp_server"
printf '#!/bin/sh\nexec "%s" client "$@"\n' "$dir/udp_echo" >"$work/udp_client"
chmod +x "$work/udp_server" "$work/udp_client"
dir=$work run_pair udp_server udp_client "hello over UDP"
run_pair ws_chat_server ws_chat_client "hello over WebSocket"
ln -sf "$dir/ws_chat_client" "$work/ws_chat_client"
printf '#!/bin/sh\nexec "%s" server "$@"\n' "$dir/c_ws_echo" >"$work/c_ws_server"
printf '#!/bin/sh\nexec "%s" client "$@"\n' "$dir/c_ws_echo" >"$work/c_ws_client"
chmod +x "$work/c_ws_server" "$work/c_ws_client"
dir=$work run_pair c_ws_server c_ws_client "hello over WebSocket from C"
dir=$work run_pair c_ws_server ws_chat_client "C server, C++ client"
run_pair http_server http_client "hello over HTTP"
ln -sf "$dir/http_client" "$work/http_client"
printf '#!/bin/sh\nexec "%s" server "$@"\n' "$dir/c_http_echo" >"$work/c_http_server"
printf '#!/bin/sh\nexec "%s" client "$@"\n' "$dir/c_http_echo" >"$work/c_http_client"
chmod +x "$work/c_http_server" "$work/c_http_client"
dir=$work run_pair c_http_server c_http_client "hello over HTTP from C"
dir=$work run_pair c_http_server http_client "C server, C++ client over HTTP"
run_pair quic_echo_server quic_echo_client "hello over QUIC" "$certs/server.pem $certs/server.key" "$certs/ca.pem"
run_pair dtls_echo_server dtls_echo_client "hello over DTLS" "$certs/server.pem $certs/server.key" "$certs/ca.pem"
echo "examples ok"
