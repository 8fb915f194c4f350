#!/usr/bin/env bash
# Creates build/venv with the Python packages the interop tests run as independent peers
# (`websockets`, `kosoku` for the Autobahn cases, `aioquic` for QUIC, `prometheus_client` to
# read the metrics text). When the package index
# cannot be reached it says so and leaves no venv; the tests that need it then skip with that
# reason.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=build/venv
packages=("websockets>=13,<16" "kosoku==0.1.0" "aioquic>=1.2,<2" "prometheus_client>=0.20,<1")
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import websockets, kosoku, aioquic, prometheus_client' 2>/dev/null; then
  exit 0
fi
mkdir -p build
rm -rf "$venv"
if ! python3 -m venv "$venv" >/dev/null; then
  echo "venv.sh: cannot create $venv (python3-venv missing?); interop tests will skip" >&2
  rm -rf "$venv"
  exit 0
fi
if ! "$venv/bin/pip" install -q --disable-pip-version-check "${packages[@]}"; then
  echo "venv.sh: cannot install ${packages[*]} (package index unreachable?); interop tests will skip" >&2
  rm -rf "$venv"
fi
exit 0
