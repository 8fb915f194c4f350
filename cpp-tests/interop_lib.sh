# Shared by the interop scripts (sourced, not run): a work directory removed on exit with the
# background processes, `await`, and the check for a Python peer's package in build/venv.

# Sets $work: a fresh directory, removed (and background jobs killed) on exit.
interop_workdir() {
  work=$(mktemp -d)
  trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
}

# Usage: python_peer_setup <venv python> <module> — skips (exit 77) with the reason when the
# package is missing, then interop_workdir.
python_peer_setup() {
  if ! "$1" -c "import $2" 2>/dev/null; then
    echo "SKIPPED: $1 has no $2 (scripts/venv.sh could not install it)"
    exit 77
  fi
  interop_workdir
}

# Reads lines from fd $1 (20 s each) until one matches the regex $2; prints it.
await() {
  local line
  while IFS= read -r -t 20 line <&"$1"; do
    if [[ $line =~ $2 ]]; then printf '%s\n' "$line"; return 0; fi
  done
  echo "no line matching /$2/" >&2
  return 1
}
