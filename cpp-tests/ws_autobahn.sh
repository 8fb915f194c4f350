#!/usr/bin/env bash
# Autobahn TestSuite cases 1-7 and 9 through kosoku (PyPI) in fuzzingclient mode: first against
# the Python websockets echo server (to check the runner), then against our C++ echo server
# (ws_autobahn_echo). Passes when ours has no FAILED or UNIMPLEMENTED case (OK, NON-STRICT and
# INFORMATIONAL are accepted, as the issue says). Exit 77 (skipped) without kosoku in the venv.
# Usage: ws_autobahn.sh <ws_autobahn_echo> <venv dir> <ws_peer.py> <report dir>
set -euo pipefail
echo_server=$1 venv=$2 peer=$3 reports=$4
if ! [ -x "$venv/bin/kosoku" ] || ! "$venv/bin/python" -c 'import websockets' 2>/dev/null; then
  echo "SKIPPED: kosoku or websockets missing from $venv (scripts/venv.sh could not install them)"
  exit 77
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cases=(-i '1.*' -i '2.*' -i '3.*' -i '4.*' -i '5.*' -i '6.*' -i '7.*' -i '9.*')

# run <name> <command...>: starts the echo server (it prints "port N"), runs the cases against
# it, prints the counts by behavior; the counts also go to $reports/<name>.txt.
run() {
  local name=$1 line port
  shift
  mkfifo "$work/$name.in" "$work/$name.out"
  "$@" <"$work/$name.in" >"$work/$name.out" &
  exec 3>"$work/$name.in" 4<"$work/$name.out"
  IFS= read -r -t 20 line <&4 || { echo "$name printed nothing"; return 1; }
  port=${line#port }
  rm -rf "$reports/$name"
  # kosoku exits non-zero when a case fails; the counts below decide.
  { timeout 900 "$venv/bin/kosoku" "${cases[@]}" -p 2 -o "$reports/$name" "127.0.0.1:$port" || true; } | tail -5
  exec 3>&- 4<&-
  wait
  "$venv/bin/python" - "$reports/$name/index.json" <<'PY' | tee "$reports/$name.txt"
import collections, json, sys
agents = json.load(open(sys.argv[1]))
for agent, results in agents.items():
    counts = collections.Counter(r["behavior"] for r in results.values())
    print(f"{agent}: {len(results)} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
PY
}

mkdir -p "$reports"
run python "$venv/bin/python" "$peer" echo
run ours "$echo_server"
if grep -Eq "FAILED|UNIMPLEMENTED" "$reports/ours.txt"; then
  echo "our server failed Autobahn cases (details: $reports/ours/index.html)"
  exit 1
fi
echo "autobahn ok"
