#!/bin/sh
# cluster.sh: the no-Docker local cluster: every daemon a process on loopback, state under one folder.
#   deploy/cluster.sh up       start what is not running, wait until it is healthy
#   deploy/cluster.sh down     stop what was started (by pid); CLEAN=1 also removes the data
#   deploy/cluster.sh status   each process, its pid and its health
# The folder is $CLUSTER_DIR (default .cluster/): data/, logs/, pids/.
set -eu
cd "$(dirname "$0")/.."
DIR=${CLUSTER_DIR:-.cluster}
BIN=${BIN:-bin}
ETCD_PEERS="etcd1=http://127.0.0.1:2380,etcd2=http://127.0.0.1:22380,etcd3=http://127.0.0.1:32380"
ETCD_CLIENTS="http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379"

# The topology: name, then the command line. Order matters for startup.
components() {
	i=0
	for port in 2379 22379 32379; do
		i=$((i + 1))
		echo "etcd$i $BIN/etcdlite --name etcd$i --data-dir $DIR/data/etcd$i" \
			"--listen-client-urls http://127.0.0.1:$port --advertise-client-urls http://127.0.0.1:$port" \
			"--listen-peer-urls http://127.0.0.1:$((port + 1)) --initial-advertise-peer-urls http://127.0.0.1:$((port + 1))" \
			"--initial-cluster $ETCD_PEERS"
	done
	if [ -x "$BIN/apiserver" ]; then
		echo "apiserver $BIN/apiserver --etcd-servers $ETCD_CLIENTS --insecure-port 8080"
	fi
}

health_url() {
	case $1 in
	etcd1) echo http://127.0.0.1:2379/health ;;
	etcd2) echo http://127.0.0.1:22379/health ;;
	etcd3) echo http://127.0.0.1:32379/health ;;
	apiserver) echo http://127.0.0.1:8080/healthz ;;
	esac
}

running() {
	[ -f "$DIR/pids/$1.pid" ] && kill -0 "$(cat "$DIR/pids/$1.pid")" 2>/dev/null
}

healthy() {
	curl -sf -m 1 "$(health_url "$1")" >/dev/null 2>&1
}

up() {
	mkdir -p "$DIR/data" "$DIR/logs" "$DIR/pids"
	if [ -z "$(components | while read -r name cmd; do running "$name" || echo "$name"; done)" ]; then
		echo "the cluster in $DIR is already running; nothing changed (deploy/cluster.sh status)"
		return 0
	fi
	components | while read -r name cmd; do
		if running "$name"; then
			continue
		fi
		# shellcheck disable=SC2086 # the command line is split on purpose
		nohup $cmd >>"$DIR/logs/$name.log" 2>&1 &
		echo $! >"$DIR/pids/$name.pid"
		echo "started $name (pid $!, log $DIR/logs/$name.log)"
	done
	# Wait for health with a deadline, not a fixed sleep.
	deadline=$(($(date +%s) + 30))
	for name in $(components | cut -d' ' -f1); do
		until healthy "$name"; do
			if [ "$(date +%s)" -ge "$deadline" ]; then
				echo "$name is not healthy after 30 s; see $DIR/logs/$name.log" >&2
				exit 1
			fi
			if ! running "$name"; then
				echo "$name exited; see $DIR/logs/$name.log:" >&2
				tail -5 "$DIR/logs/$name.log" >&2
				exit 1
			fi
			sleep 0.1
		done
	done
	echo "cluster is up. Try:"
	echo "  curl -s http://127.0.0.1:2379/v3/kv/put -d '{\"key\":\"Zm9v\",\"value\":\"YmFy\"}'"
	echo "  curl -s http://127.0.0.1:22379/v3/kv/range -d '{\"key\":\"Zm9v\"}'"
	echo "  curl -s http://127.0.0.1:32379/v3/maintenance/status -d '{}'"
	if [ -x "$BIN/apiserver" ]; then
		echo "  curl http://127.0.0.1:8080/api/v1/pods"
		echo "  kubectl --server http://127.0.0.1:8080 get nodes"
	fi
}

down() {
	for f in "$DIR"/pids/*.pid; do
		[ -e "$f" ] || continue
		name=$(basename "$f" .pid)
		pid=$(cat "$f")
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid"
			echo "stopping $name (pid $pid)"
			i=0
			while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
				sleep 0.05
				i=$((i + 1))
			done
			kill -9 "$pid" 2>/dev/null || true
		fi
		rm -f "$f"
	done
	if [ "${CLEAN:-0}" = 1 ]; then
		rm -rf "$DIR"
		echo "removed $DIR"
	fi
}

status() {
	printf '%-10s %-8s %s\n' NAME PID STATE
	for name in $(components | cut -d' ' -f1); do
		pid=-
		state=stopped
		if running "$name"; then
			pid=$(cat "$DIR/pids/$name.pid")
			state=unhealthy
			healthy "$name" && state=healthy
		fi
		printf '%-10s %-8s %s\n' "$name" "$pid" "$state"
	done
}

case ${1:-} in
up) up ;;
down) down ;;
status) status ;;
*)
	echo "usage: $0 up|down|status" >&2
	exit 2
	;;
esac
