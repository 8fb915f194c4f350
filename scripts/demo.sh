#!/usr/bin/env bash
# Quick start, step 1: build and run the demo (server and clients in one process on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/examples/network_system_demo
