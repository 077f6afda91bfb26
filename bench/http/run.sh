#!/bin/sh
# run.sh: wrk against bench/http/server (GET /ping, keep-alive) and the ratio to the 20,000 req/s target.
set -eu
BUILD=${BUILD:-build}
SERVER=$BUILD/bench/http_server
TARGET=20000
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$SERVER" >"$tmp/port" &
pid=$!
i=0
while [ ! -s "$tmp/port" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "http bench: server did not start" >&2; exit 1; }
	sleep 0.05
done
port=$(head -n1 "$tmp/port")
wrk -t2 -c64 -d5s --latency "http://127.0.0.1:$port/ping" >"$tmp/wrk"
rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk")
p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk")
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "http server bench: GET /ping, wrk -t2 -c64 -d5s, machine: $(nproc) cores, $cpu"
echo "  requests/s: $rps   p99: $p99"
awk -v r="$rps" -v t="$TARGET" 'BEGIN { printf "  ratio to target %d req/s: %.2fx\n", t, r / t }'
