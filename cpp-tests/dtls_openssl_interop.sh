#!/usr/bin/env bash
# Our C++ DTLS API against an independent implementation, OpenSSL's `openssl` command, both
# directions with DTLS 1.2: `openssl s_server -dtls1_2` accepts dtls_echo_client (the script
# sends the line s_server received back through it; the client checks the echo), and
# `openssl s_client -dtls1_2` (verifying our certificate) talks to dtls_echo_server (its echo
# checked here).
# Usage: dtls_openssl_interop.sh <examples dir> <certificate dir>
set -euo pipefail
dir=$1 certs=$2
source "$(dirname "$0")/interop_lib.sh"
interop_workdir
mkfifo "$work/s_in" "$work/s_out" "$work/c_in" "$work/c_out" "$work/srv_in" "$work/srv_out"

# 1. openssl s_server, our client.
openssl s_server -dtls1_2 -accept 127.0.0.1:0 -naccept 1 -cert "$certs/server.pem" \
  -key "$certs/server.key" <"$work/s_in" >"$work/s_out" 2>&1 &
exec 3>"$work/s_in" 4<"$work/s_out"
port=$(await 4 '^ACCEPT' | sed 's/.*:\([0-9]*\)$/\1/')
message="hello from network_system over DTLS"  # sent with a newline: s_server prints lines
timeout 30 "$dir/dtls_echo_client" "$certs/ca.pem" 127.0.0.1 "$port" "$message"$'\n' >"$work/client.txt" 2>&1 &
client=$!
await 4 "^$message\$" >/dev/null
printf 'echo from openssl\n' >&3   # s_server sends its stdin's line as one record
wait "$client" || { echo "dtls_echo_client failed: $(cat "$work/client.txt")"; exit 1; }
[ "$(cat "$work/client.txt")" = "echo: echo from openssl" ] || { echo "client got: $(cat "$work/client.txt")"; exit 1; }
echo "dtls_echo_client -> openssl s_server:$port: ok"
exec 3>&- 4<&-

# 2. our server, openssl s_client (verifying the certificate and the name).
"$dir/dtls_echo_server" "$certs/server.pem" "$certs/server.key" 0 <"$work/srv_in" >"$work/srv_out" 2>&1 &
exec 5>"$work/srv_in" 6<"$work/srv_out"
port=$(await 6 'on port [0-9]+' | sed 's/.*on port \([0-9]*\).*/\1/')
openssl s_client -dtls1_2 -connect "127.0.0.1:$port" -CAfile "$certs/ca.pem" -verify_return_error \
  -verify_hostname localhost -servername localhost -quiet <"$work/c_in" >"$work/c_out" 2>&1 &
exec 7>"$work/c_in" 8<"$work/c_out"
await 6 '^session with' >/dev/null
printf 'ping from openssl s_client\n' >&7
await 8 '^ping from openssl s_client$' >/dev/null
echo "openssl s_client -> dtls_echo_server:$port: ok (echo byte for byte)"
echo >&5
exec 7>&-
