#!/usr/bin/env bash
# The shared library exports the C ABI and nothing else: every defined dynamic symbol is ns_*.
set -euo pipefail
lib=$1
command -v nm >/dev/null || { echo "SKIPPED: nm is not installed"; exit 77; }
all=$(nm -D --defined-only "$lib" | awk '{print $3}')
others=$(grep -v '^ns_' <<<"$all" || true)
if [ -n "$others" ]; then
  echo "exported symbols that are not ns_*:"
  echo "$others"
  exit 1
fi
echo "exports ok: $(wc -l <<<"$all") symbols, all ns_*"
