# Shared by the interop scripts that run a Python peer from build/venv (sourced, not run):
# skip with the reason when the package is missing, a work directory removed on exit (with
# the background processes), and `await`.
# Usage: python_peer_setup <venv python> <module>   (sets $work)

python_peer_setup() {
  if ! "$1" -c "import $2" 2>/dev/null; then
    echo "SKIPPED: $1 has no $2 (scripts/venv.sh could not install it)"
    exit 77
  fi
  work=$(mktemp -d)
  trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
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
