# Sourced by test and benchmark scripts: runs servers that print "... port N ..." first and
# stop when their stdin gets a line (or when killed). Needs $work (a scratch directory) and the
# array pids (the caller kills them on exit).
declare -A port

# serve <name> <command...>: starts the server; its port is then ${port[name]}.
serve() {
  local name=$1 line
  shift
  mkfifo "$work/$name.in" "$work/$name.out"
  "$@" <"$work/$name.in" >"$work/$name.out" 2>&1 &
  pids+=($!)
  exec {fd}>"$work/$name.in"
  exec {rfd}<"$work/$name.out"
  IFS= read -r -t 20 line <&"$rfd" || { echo "FAIL: $name printed nothing"; exit 1; }
  port[$name]=$(sed -n 's/.*port \([0-9]*\).*/\1/p' <<<"$line")
  [ -n "${port[$name]}" ] || { echo "FAIL: $name: unexpected first line: $line"; exit 1; }
}
