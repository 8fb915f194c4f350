#!/usr/bin/env bash
# Independent HTTP peers: curl (Debian) against our server, and our client against Python's
# http.server; every body compared byte for byte.
# Usage: http_interop.sh <http_interop binary> <test certificate dir>
set -euo pipefail
bin=$1
certs=$2
command -v curl >/dev/null || { echo "SKIPPED: curl is not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIPPED: python3 is not installed"; exit 77; }
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

source "$(dirname "$0")/../scripts/serve.sh"

serve plain "$bin" server
http=${port[plain]}
serve tls "$bin" server "$certs/server.pem" "$certs/server.key"
https=${port[tls]}
base="http://127.0.0.1:$http"

# GET with parameters.
got=$(curl -sS "$base/params?b=x%20y&a=1&c=")
[ "$got" = "$(printf 'a=1\nb=x y\nc=')" ] || fail "params: '$got'"
echo "curl GET with parameters: ok"

# --data-binary @file, 1 MiB of random bytes, echoed.
head -c 1048576 /dev/urandom >"$work/upload.bin"
curl -sS --data-binary @"$work/upload.bin" -H 'Content-Type: application/octet-stream' "$base/upload" -o "$work/echoed.bin"
cmp "$work/upload.bin" "$work/echoed.bin" || fail "upload differs"
echo "curl --data-binary @file (1 MiB): byte for byte"

# Request headers.
got=$(curl -sS -H 'X-Test: hello from curl' "$base/header")
[ "$got" = "hello from curl" ] || fail "header: '$got'"
echo "curl -H: ok"

# --http1.1 keep-alive: two URLs, one connection.
curl -sS -v --http1.1 "$base/version" "$base/header" -H 'X-Test: again' -o "$work/one" -o "$work/two" 2>"$work/keepalive.log"
[ "$(cat "$work/one")" = "HTTP/1.1" ] && [ "$(cat "$work/two")" = "again" ] || fail "keep-alive bodies"
[ "$(grep -c '^\* Connected to' "$work/keepalive.log")" = 1 ] || fail "keep-alive: $(grep -c '^\* Connected to' "$work/keepalive.log") connections"
grep -qi 're-\?using existing connection' "$work/keepalive.log" || fail "curl did not reuse the connection"
echo "curl --http1.1 two URLs on one connection: ok"

# --http2 over TLS (ALPN), certificate checked against the test CA.
got=$(curl -sS --http2 --cacert "$certs/ca.pem" -w ' %{http_version}' "https://localhost:$https/version")
[ "$got" = "HTTP/2.0 2" ] || fail "https h2: '$got'"
got=$(curl -sS --http2-prior-knowledge -w ' %{http_version}' "$base/version")
[ "$got" = "HTTP/2.0 2" ] || fail "h2c: '$got'"
echo "curl --http2 over TLS and h2c prior knowledge: ok"

# --compressed: gzip on the wire, the same bytes decoded.
"$bin" big >"$work/big.expected"
curl -sS --compressed -D "$work/big.headers" "$base/big" -o "$work/big.got"
grep -qi '^content-encoding: gzip' "$work/big.headers" || fail "no gzip: $(cat "$work/big.headers")"
cmp "$work/big.expected" "$work/big.got" || fail "decompressed body differs"
wire=$(curl -sS -H 'Accept-Encoding: gzip' "$base/big" | wc -c)
[ "$wire" -lt 100000 ] || fail "gzip body not smaller ($wire)"
echo "curl --compressed: gzip ($wire bytes on the wire), byte for byte"

# Our client against Python's http.server.
mkdir "$work/www"
head -c 3000000 /dev/urandom >"$work/www/random.bin"
printf 'hello from python\n' >"$work/www/hello.txt"
serve python bash -c 'cd "$1" && exec python3 -u -m http.server --bind 127.0.0.1 0' _ "$work/www"
py=${port[python]}
out=$("$bin" get "http://127.0.0.1:$py/random.bin" "$work/random.got")
[ "${out%% *}" = 200 ] || fail "python random.bin: $out"
cmp "$work/www/random.bin" "$work/random.got" || fail "random.bin differs"
out=$("$bin" get "http://127.0.0.1:$py/hello.txt" "$work/hello.got")
[ "$out" = "200 text/plain" ] || fail "python hello.txt: $out"
cmp "$work/www/hello.txt" "$work/hello.got" || fail "hello.txt differs"
out=$("$bin" get "http://127.0.0.1:$py/missing" "$work/missing.got")
[ "${out%% *}" = 404 ] || fail "python missing: $out"
echo "our client against python http.server: 3 MB binary and text byte for byte, 404 kept"
echo "http interop ok"
