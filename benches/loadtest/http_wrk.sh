#!/usr/bin/env bash
# HTTP load: wrk -t1 -c64 against GET / of the C++ example server (examples/cpp/http_server.cpp,
# our library through the original's API), side by side in one run with a minimal hyper server
# (examples/http_baseline.rs: the engine's ceiling) and nginx (one worker, `return 200`), all
# three answering "Hello, World!" as text/plain. Prints requests/s, latency percentiles and the
# ratios of ours to each baseline; rounds alternate the servers (this machine's speed swings).
# Usage: http_wrk.sh <build dir> [seconds per run, default 10] [rounds, default 2]
# Env: workers=N runtime threads of ours and hyper (default 1: wrk has the other core, as
# nginx's one worker); HTTP_BASELINE=path of the http_baseline binary.
# Needs wrk and nginx (Debian); a missing one is skipped with a message.
set -euo pipefail
build=$(cd "$1" && pwd)
secs=${2:-10}
rounds=${3:-2}
baseline=${HTTP_BASELINE:-$build/cargo/release/examples/http_baseline}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid" 2>/dev/null)" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
command -v wrk >/dev/null || { echo "SKIPPED: wrk is not installed (apt-get install wrk)"; exit 77; }

source "$(dirname "$0")/../../scripts/serve.sh"

serve ours env NETWORK_SYSTEM_WORKER_THREADS=${workers:-1} "$build/examples/http_server" 0
serve hyper "$baseline" 0 ${workers:-1}
servers=(ours hyper)
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  port[nginx]=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  server_tokens off;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server {
    listen 127.0.0.1:${port[nginx]};
    location / { default_type text/plain; return 200 "Hello, World!"; }
  }
}
CONF
  "$nginx_bin" -c "$work/nginx.conf" -p "$work" &
  pids+=($!)
  # Ready once its socket listens: curl retries refused connections (bounded).
  curl -s --retry 20 --retry-connrefused --retry-max-time 20 "http://127.0.0.1:${port[nginx]}/" >/dev/null ||
    { echo "nginx did not start: $(cat "$work/nginx.err" 2>/dev/null)"; exit 1; }
  servers+=(nginx)
else
  echo "nginx is not installed (apt-get install nginx-light): that column is skipped"
fi

for s in "${servers[@]}"; do
  body=$(curl -s "http://127.0.0.1:${port[$s]}/")
  [ "$body" = "Hello, World!" ] || { echo "$s answered '$body'"; exit 1; }
done

declare -A rps p50 p90 p99
to_us() {  # wrk latency like 1.23ms / 850.00us / 1.02s -> microseconds
  awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n*1000; else print n*1000000 }'
}
for r in $(seq "$rounds"); do
  for s in "${servers[@]}"; do
    out=$(wrk -t1 -c64 -d"${secs}s" --latency "http://127.0.0.1:${port[$s]}/")
    errs=$(grep -E "Non-2xx|Socket errors" <<<"$out" || true)
    [ -z "$errs" ] || echo "$s round $r: $errs"
    rps[$s]="${rps[$s]:-} $(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    p50[$s]="${p50[$s]:-} $(to_us "$(awk '$1=="50%" {print $2}' <<<"$out")")"
    p90[$s]="${p90[$s]:-} $(to_us "$(awk '$1=="90%" {print $2}' <<<"$out")")"
    p99[$s]="${p99[$s]:-} $(to_us "$(awk '$1=="99%" {print $2}' <<<"$out")")"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "wrk -t1 -c64 -d${secs}s GET / (\"Hello, World!\"), ${workers:-1} runtime thread(s), $rounds round(s), medians; $(date -u +%Y-%m-%d), $(nproc) cores"
printf '| server | requests/s | p50 µs | p90 µs | p99 µs |\n|---|---:|---:|---:|---:|\n'
declare -A med
for s in "${servers[@]}"; do
  med[$s]=$(median <<<"${rps[$s]}")
  printf '| %s | %.0f | %.0f | %.0f | %.0f |\n' "$s" "${med[$s]}" "$(median <<<"${p50[$s]}")" "$(median <<<"${p90[$s]}")" "$(median <<<"${p99[$s]}")"
done
for s in "${servers[@]}"; do
  [ "$s" = ours ] && continue
  awk -v a="${med[ours]}" -v b="${med[$s]}" -v n="$s" 'BEGIN { printf "ours / %s: %.2fx requests/s\n", n, a/b }'
done
echo "http load ok"
