#!/bin/sh
# cluster.sh: the no-Docker local cluster: every daemon a process on loopback, state under one folder.
#   deploy/cluster.sh up       start what is not running, wait until every node is Ready
#   deploy/cluster.sh down     stop what was started (by pid); CLEAN=1 also removes the data
#   deploy/cluster.sh status   each process, its pid and its health, then the nodes
#   deploy/cluster.sh env      the cluster's addresses as shell assignments (for scripts)
#   deploy/cluster.sh start X  start the one process X (etcd2, apiserver1, kubelet1, ...) if it is down
# The folder is $CLUSTER_DIR (default .cluster/): data/, logs/, pids/, kubeconfig.
# PORT_OFFSET=N moves every port by N and NODE_NET=a.b.c picks the nodes' loopback
# addresses (a.b.c.2 and a.b.c.3), so a second cluster (the e2e test) can run beside a user's.
# SERVICE_CIDR is the Services' range (--service-cluster-ip-range), in 127/8 so that ClusterIPs
# are local without adding addresses and each kubeproxy binds them as they are: 127.96.0.0/16,
# or 127.C.0.0/16 for NODE_NET=127.0.C (a second cluster's ClusterIPs must not be the first's:
# the two clusters' kubeproxies would share each port). Ports below 1024 (the kubernetes
# Service's 443, DNS on 53) need root or CAP_NET_BIND_SERVICE: up says so when it has neither.
# TLS=1 makes certificates (deploy/certs.sh, into $CLUSTER_DIR/pki) and turns on: HTTPS on 6443
# and 6444 with client-certificate authentication (anonymous requests refused) for every daemon,
# each with its own certificate (kubelets as system:node:NAME in system:nodes), authorization
# Node,RBAC (the components' users have Kubernetes' default roles), etcd's client port over https
# with client certificates required (the apiservers present apiserver-etcd-client) and mutual TLS
# between members (health on a plain --listen-metrics-urls port, client port + 2), kubelets
# serving their API over HTTPS to the apiservers' apiserver-kubelet-client certificate only, and
# a kubeconfig holding the CA and the admin's certificate. The plain port (8080) stays, on
# 127.0.0.1 only. The choice is remembered in $CLUSTER_DIR (tls): later commands without TLS=...
# (down, status, env, start, and up again) follow it.
set -eu
cd "$(dirname "$0")/.."
DIR=${CLUSTER_DIR:-.cluster}
case $DIR in /*) ;; *) DIR=$(pwd)/$DIR ;; esac
BIN=${BIN:-bin}
OFF=${PORT_OFFSET:-0}
NODE_NET=${NODE_NET:-127.0.0}
NODES=${NODES:-2}
READY_TIMEOUT=${READY_TIMEOUT:-30}
if [ -z "${SERVICE_CIDR:-}" ]; then
	case $NODE_NET in
	127.0.0) SERVICE_CIDR=127.96.0.0/16 ;;
	127.0.*) SERVICE_CIDR=127.${NODE_NET##*.}.0.0/16 ;;
	*) SERVICE_CIDR=127.96.0.0/16 ;;
	esac
fi
# the kubernetes Service's address: the range's first (an IP SAN of the apiserver's certificate)
SERVICE_IP=$(echo "${SERVICE_CIDR%/*}" | awk -F. '{ print $1 "." $2 "." $3 "." $4 + 1 }')
PKI=$DIR/pki
# Unset TLS: as the cluster in $DIR was made (its data and certificates go with it).
if [ -z "${TLS:-}" ]; then
	TLS=0
	[ -f "$DIR/tls" ] && TLS=1
fi

p() { echo $(($1 + OFF)); }
E1=$(p 2379) E2=$(p 22379) E3=$(p 32379)
A1=$(p 8080) A2=$(p 8081)
S1=$(p 6443) S2=$(p 6444)
if [ "$TLS" = 1 ]; then
	PEER=https API=https://127.0.0.1:$S1 API2=https://127.0.0.1:$S2
	CURL_TLS="--cacert $PKI/ca.crt --cert $PKI/admin.crt --key $PKI/admin.key"
else
	PEER=http API=http://127.0.0.1:$A1 API2=http://127.0.0.1:$A2
	CURL_TLS=""
fi
ETCD_CLIENTS="$PEER://127.0.0.1:$E1,$PEER://127.0.0.1:$E2,$PEER://127.0.0.1:$E3"
ETCD_PEERS="etcd1=$PEER://127.0.0.1:$((E1 + 1)),etcd2=$PEER://127.0.0.1:$((E2 + 1)),etcd3=$PEER://127.0.0.1:$((E3 + 1))"
MASTERS="$API,$API2"

# client_tls NAME: the flags a daemon reaches the apiservers with: its certificate pki/NAME.crt.
client_tls() {
	[ "$TLS" = 1 ] && echo "--certificate-authority $PKI/ca.crt --client-certificate $PKI/$1.crt --client-key $PKI/$1.key"
	return 0
}

# etcd_tls NAME PORT: mutual TLS on the peer port with the member's peer certificate, https with
# client certificates required on the client port, and /health in plain HTTP on PORT + 2.
etcd_tls() {
	[ "$TLS" = 1 ] && echo " --peer-cert-file $PKI/etcd-$1-peer.crt --peer-key-file $PKI/etcd-$1-peer.key" \
		"--peer-trusted-ca-file $PKI/ca.crt --peer-client-cert-auth" \
		"--cert-file $PKI/etcd-$1-server.crt --key-file $PKI/etcd-$1-server.key" \
		"--trusted-ca-file $PKI/ca.crt --client-cert-auth --listen-metrics-urls http://127.0.0.1:$(($2 + 2))"
	return 0
}

# etcd_health PORT: the URL probes use (the metrics port with TLS: the client port wants a certificate).
etcd_health() {
	if [ "$TLS" = 1 ]; then
		echo "http://127.0.0.1:$(($1 + 2))/health"
	else
		echo "http://127.0.0.1:$1/health"
	fi
}

# apiserver_tls PORT: HTTPS on PORT for clients with certificates, Node,RBAC, and TLS towards etcd
# and the kubelets.
apiserver_tls() {
	[ "$TLS" = 1 ] && echo " --secure-port $1 --tls-cert-file $PKI/apiserver.crt --tls-private-key-file $PKI/apiserver.key" \
		"--client-ca-file $PKI/ca.crt --anonymous-auth=false --authorization-mode=Node,RBAC" \
		"--etcd-cafile $PKI/ca.crt --etcd-certfile $PKI/apiserver-etcd-client.crt --etcd-keyfile $PKI/apiserver-etcd-client.key" \
		"--kubelet-client-certificate $PKI/apiserver-kubelet-client.crt --kubelet-client-key $PKI/apiserver-kubelet-client.key" \
		"--kubelet-certificate-authority $PKI/ca.crt --service-account-key-file $PKI/sa.key"
	return 0
}

# kubelet_tls NODE: the kubelet's API over HTTPS, for certificates the kubelet authorizes only.
kubelet_tls() {
	[ "$TLS" = 1 ] && echo " --tls-cert-file $PKI/kubelet-$1-server.crt --tls-private-key-file $PKI/kubelet-$1-server.key" \
		"--client-ca-file $PKI/ca.crt --anonymous-auth=false --authorization-mode=Webhook"
	return 0
}

# The topology, one line per process: name, health URL ("-": alive is healthy), command line.
# Order is start order; every process retries its upstreams, but the daemons after the apiservers start
# once one answers /readyz (wait_apiserver_ready).
components() {
	i=0
	for port in $E1 $E2 $E3; do
		i=$((i + 1))
		echo "etcd$i $(etcd_health "$port") $BIN/etcdlite --name etcd$i --data-dir $DIR/data/etcd$i" \
			"--listen-client-urls $PEER://127.0.0.1:$port --advertise-client-urls $PEER://127.0.0.1:$port" \
			"--listen-peer-urls $PEER://127.0.0.1:$((port + 1)) --initial-advertise-peer-urls $PEER://127.0.0.1:$((port + 1))" \
			"--initial-cluster $ETCD_PEERS$(etcd_tls "etcd$i" "$port")"
	done
	for i in 1 2; do
		port=$(eval echo "\$A$i")
		sport=$(eval echo "\$S$i")
		echo "apiserver$i http://127.0.0.1:$port/healthz $BIN/apiserver --etcd-servers $ETCD_CLIENTS" \
			"--bind-address 127.0.0.1 --insecure-port $port --service-cluster-ip-range $SERVICE_CIDR" \
			"$(apiserver_tls "$sport")"
	done
	[ -x "$BIN/scheduler" ] && echo "scheduler - $BIN/scheduler --master $MASTERS $(client_tls scheduler)"
	[ -x "$BIN/controller" ] && echo "controller - $BIN/controller --master $MASTERS $(client_tls controller)"
	if [ -x "$BIN/kubelet" ]; then
		n=0
		while [ $n -lt "$NODES" ]; do
			n=$((n + 1))
			ip=$NODE_NET.$((n + 1))
			kport=$(p $((10240 + 10 * n)))
			# both apiservers, failing over in order: odd nodes start on the first, even on the second
			masters=$MASTERS
			[ $((n % 2)) = 0 ] && masters="$API2,$API"
			kscheme=http
			[ "$TLS" = 1 ] && kscheme=https
			echo "kubelet$n $kscheme://$ip:$kport/healthz $BIN/kubelet --master $masters" \
				"--hostname-override node$n --node-ip $ip --bind-address $ip --port $kport" \
				"--root-dir $DIR/data/node$n --pod-network host --node-status-update-frequency 2s" \
				"--cluster-dns $ip $(client_tls "kubelet-node$n")$(kubelet_tls "node$n")"
			if [ -x "$BIN/kubeproxy" ]; then
				hport=$(p $((10246 + 10 * n)))
				echo "kubeproxy$n http://$ip:$hport/healthz $BIN/kubeproxy --master $MASTERS" \
					"--hostname-override node$n --bind-address $ip --healthz-port $hport --metrics-port -1" \
					"--cluster-ip-interface= --dns-bind-address $ip --dns-port 53 $(client_tls kubeproxy)"
			fi
		done
	elif [ -x "$BIN/hollownodes" ]; then
		echo "hollownodes - $BIN/hollownodes --master $MASTERS --nodes $NODES"
	fi
}

LINES=$(components)
component_lines() { echo "$LINES"; }

field() { component_lines | awk -v n="$1" -v f="$2" '$1 == n { print $f }'; }
names() { component_lines | cut -d' ' -f1; }

running() {
	[ -f "$DIR/pids/$1.pid" ] && kill -0 "$(cat "$DIR/pids/$1.pid")" 2>/dev/null
}

healthy() {
	url=$(field "$1" 2)
	if [ "$url" = - ]; then
		running "$1"
	else
		# a kubelet's https /healthz needs no certificate, only the CA to verify the kubelet's
		curl -sf -m 1 --cacert "$PKI/ca.crt" "$url" >/dev/null 2>&1
	fi
}

write_kubeconfig() {
	pki=""
	[ "$TLS" = 1 ] && pki=$PKI
	(umask 077 && deploy/kubeconfig.sh "$API" ${pki:+"$pki"} >"$DIR/kubeconfig")
}

# Prints "Ready/total" for the nodes the apiserver knows, from /api/v1/nodes.
nodes_ready() {
	# shellcheck disable=SC2086 # the TLS options are split on purpose
	curl -sf -m 2 $CURL_TLS "$API/api/v1/nodes" 2>/dev/null | python3 -c '
import json, sys
try:
    items = json.load(sys.stdin).get("items") or []
except ValueError:
    items = []
ready = sum(1 for n in items for c in n.get("status", {}).get("conditions") or []
            if c.get("type") == "Ready" and c.get("status") == "True")
print("%d/%d" % (ready, len(items)))'
}

# Exits with the log's tail if a process of the cluster has exited.
check_alive() {
	for name in $(names); do
		if ! running "$name"; then
			echo "$name exited; see $DIR/logs/$name.log:" >&2
			tail -5 "$DIR/logs/$name.log" >&2
			exit 1
		fi
	done
}

# Waits (up to READY_TIMEOUT) until an apiserver answers /readyz on its plain loopback port: its store,
# watch caches and bootstrap RBAC roles are in place, so the daemons started next are not refused (403)
# for a role not yet written. Past the deadline they start anyway: they retry, and up reports what is wrong.
wait_apiserver_ready() {
	[ -n "${APISERVER_READY:-}" ] && return 0
	wait_until=$(($(date +%s) + READY_TIMEOUT))
	until curl -sf -m 1 "http://127.0.0.1:$A1/readyz" >/dev/null 2>&1 ||
		curl -sf -m 1 "http://127.0.0.1:$A2/readyz" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$wait_until" ] && break
		sleep 0.05
	done
	APISERVER_READY=1
}

# Says what a normal user's cluster lacks: the kubeproxies bind ClusterIP ports and DNS (53) as
# they are, and below net.ipv4.ip_unprivileged_port_start that takes root or CAP_NET_BIND_SERVICE.
low_ports_note() {
	[ "$(id -u)" = 0 ] && return 0
	start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
	[ "$start" -le 53 ] && return 0
	getcap "$BIN/kubeproxy" 2>/dev/null | grep -q cap_net_bind_service && return 0
	echo "note: not root: ClusterIP ports below $start (the kubernetes Service's 443, echo's 80) and DNS" \
		"on the nodes' port 53 are not served (the kubeproxy logs say which); NodePorts and ClusterIP" \
		"ports from $start work. For all of them: make up as root, or" \
		"sudo setcap cap_net_bind_service=+ep $BIN/kubeproxy (again after each build), or" \
		"sudo sysctl net.ipv4.ip_unprivileged_port_start=0"
}

# Says so when the cluster's data was made with another service range: its Services keep their
# addresses (the kubernetes Service too), which the kubeproxies may not be able to serve.
old_range_note() {
	# shellcheck disable=SC2086 # the TLS options are split on purpose
	ip=$(curl -sf -m 2 $CURL_TLS "$API/api/v1/namespaces/default/services/kubernetes" 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["spec"]["clusterIP"])' 2>/dev/null) || return 0
	[ -z "$ip" ] || [ "$ip" = "$SERVICE_IP" ] ||
		echo "note: the kubernetes Service is $ip, not $SERVICE_IP: the data in $DIR was made with another" \
			"service range, whose Services keep their addresses; make down CLEAN=1 and make up for $SERVICE_CIDR"
}

up() {
	mkdir -p "$DIR/data" "$DIR/logs" "$DIR/pids"
	if [ -z "$(names | while read -r name; do running "$name" || echo "$name"; done)" ]; then
		echo "the cluster in $DIR is already running; nothing changed (make status)"
		return 0
	fi
	start=$(date +%s%N)
	if [ "$TLS" = 1 ]; then
		names=$(seq -s' ' -f 'node%g' 1 "$NODES")
		ips=$(seq -s' ' -f "$NODE_NET.%g" 2 $((NODES + 1)))
		NODES=$names NODE_IPS=$ips SERVICE_IP=$SERVICE_IP deploy/certs.sh "$PKI" | grep -v '^certs: made' || true
		touch "$DIR/tls"
	else
		rm -f "$DIR/tls"
	fi
	write_kubeconfig
	component_lines | while read -r name _url cmd; do
		if running "$name"; then
			continue
		fi
		case $name in
		etcd* | apiserver*) ;;
		*) wait_apiserver_ready ;;
		esac
		# shellcheck disable=SC2086 # the command line is split on purpose
		setsid nohup $cmd >>"$DIR/logs/$name.log" 2>&1 </dev/null &
		echo $! >"$DIR/pids/$name.pid"
		echo "started $name (pid $!, log $DIR/logs/$name.log)"
	done
	[ -n "${TRACE:-}" ] && echo "started after $((($(date +%s%N) - start) / 1000000)) ms"
	# Wait for Ready nodes (which needs the store, an apiserver and the kubelets), failing fast
	# if a process exits, then for every health endpoint; a deadline, never a fixed sleep.
	deadline=$(($(date +%s) + READY_TIMEOUT))
	until [ "$(nodes_ready)" = "$NODES/$NODES" ]; do
		check_alive
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "nodes not Ready after ${READY_TIMEOUT} s ($(nodes_ready) Ready); see $DIR/logs/" >&2
			exit 1
		fi
		sleep 0.05
	done
	for name in $(names); do
		until healthy "$name"; do
			check_alive
			if [ "$(date +%s)" -ge "$deadline" ]; then
				echo "$name is not healthy after ${READY_TIMEOUT} s; see $DIR/logs/$name.log" >&2
				exit 1
			fi
			sleep 0.05
		done
	done
	ms=$((($(date +%s%N) - start) / 1000000))
	echo "cluster is up: $NODES nodes Ready in $ms ms (Service ClusterIPs from $SERVICE_CIDR). Try:"
	low_ports_note
	old_range_note
	echo "  export KUBECONFIG=$DIR/kubeconfig PATH=$(pwd)/$BIN:\$PATH"
	echo "  minictl get nodes                      # or kubectl get nodes"
	echo "  minictl apply -f deploy/examples/echoserver.yaml && minictl rollout status deploy/echo && curl $NODE_NET.2:30080"
	echo "  curl \$(minictl get svc echo -o jsonpath='{.spec.clusterIP}')    # the ClusterIP, port 80"
	if [ "$TLS" = 1 ]; then
		echo "  curl --cacert $PKI/ca.crt --cert $PKI/admin.crt --key $PKI/admin.key $API/api/v1/pods"
	else
		echo "  curl http://127.0.0.1:$A1/api/v1/pods"
	fi
	echo "  make status; make down (CLEAN=1 also removes the data); README.md, 'Use it', has more"
}

stop_pid() { # name pid
	kill "$2" 2>/dev/null || return 0
	echo "stopping $1 (pid $2)"
	i=0
	while kill -0 "$2" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -9 "$2" 2>/dev/null || true
}

# The pids of the pod shims a kubelet of this cluster started: the kubelet leaves its pods
# running when it stops (a restarted kubelet adopts them), and their shims carry the kubelet's
# command line, whose --root-dir is this cluster's own folder, so they are found exactly.
pod_pids() {
	grep -l -a -F -- "$DIR/data/node" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3
}

# stop_all GRACE NAME...: SIGTERM to every named process at once, then SIGKILL to those
# still there after GRACE seconds; removes their pid files.
stop_all() {
	grace=$1
	shift
	pids=""
	for name in "$@"; do
		f=$DIR/pids/$name.pid
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		rm -f "$f"
		kill "$pid" 2>/dev/null || continue
		echo "stopping $name (pid $pid)"
		pids="$pids $pid"
	done
	[ -n "$pids" ] || return 0
	deadline=$(($(date +%s) + grace))
	for pid in $pids; do
		while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
			sleep 0.05
		done
		kill -9 "$pid" 2>/dev/null || true
	done
}

down() {
	# Nodes first, then their pods, then the control plane, then the store; each tier at once.
	# A kubelet keeps its pods on SIGTERM and exits at once; SIGKILL after 1 s for one that hangs.
	# shellcheck disable=SC2046
	stop_all 1 $(names | grep -E '^(kube|hollow)')
	pids=$(pod_pids)
	if [ -n "$pids" ]; then
		for pid in $pids; do
			kill -9 "-$pid" 2>/dev/null || true
			kill -9 "$pid" 2>/dev/null || true
		done
		echo "stopped the pods' processes ($(echo "$pids" | wc -w) shims)"
	fi
	# shellcheck disable=SC2046
	stop_all 5 $(names | grep -E '^(sched|contr|apiser)')
	# shellcheck disable=SC2046
	stop_all 5 $(names | grep '^etcd')
	# Anything else with a pid file (an older topology).
	# shellcheck disable=SC2046
	stop_all 5 $(ls "$DIR/pids" 2>/dev/null | sed 's/\.pid$//')
	if [ "${CLEAN:-0}" = 1 ]; then
		rm -rf "$DIR"
		echo "removed $DIR"
	fi
}

status() {
	printf '%-12s %-8s %s\n' NAME PID STATE
	for name in $(names); do
		pid=-
		state=stopped
		if running "$name"; then
			pid=$(cat "$DIR/pids/$name.pid")
			state=unhealthy
			healthy "$name" && state=healthy
		fi
		printf '%-12s %-8s %s\n' "$name" "$pid" "$state"
	done
	r=$(nodes_ready)
	echo "nodes Ready: ${r:-apiserver not answering}"
}

# Starts one process of the topology if it is not running (deploy/chaos restarts with it).
start_one() {
	line=$(component_lines | awk -v n="$1" '$1 == n')
	[ -n "$line" ] || { echo "no process named $1 in the topology" >&2; exit 2; }
	if running "$1"; then
		echo "$1 is already running (pid $(cat "$DIR/pids/$1.pid"))"
		return 0
	fi
	cmd=$(echo "$line" | cut -d' ' -f3-)
	# shellcheck disable=SC2086
	setsid nohup $cmd >>"$DIR/logs/$1.log" 2>&1 </dev/null &
	echo $! >"$DIR/pids/$1.pid"
	echo "started $1 (pid $!)"
}

env_vars() {
	echo "CLUSTER_DIR=$DIR ETCD1=$PEER://127.0.0.1:$E1 ETCD2=$PEER://127.0.0.1:$E2 ETCD3=$PEER://127.0.0.1:$E3"
	echo "APISERVER1=http://127.0.0.1:$A1 APISERVER2=http://127.0.0.1:$A2 NODE1_IP=$NODE_NET.2 NODE2_IP=$NODE_NET.3"
	echo "KUBECONFIG=$DIR/kubeconfig"
	# with TLS, etcd's client port wants a certificate: ETCD_CERT (etcd-healthcheck-client) is for tools
	[ "$TLS" = 1 ] && echo "APISERVER1_TLS=$API APISERVER2_TLS=$API2 PKI=$PKI ETCD_CA=$PKI/ca.crt" \
		"ETCD_CERT=$PKI/etcd-healthcheck-client.crt ETCD_KEY=$PKI/etcd-healthcheck-client.key"
	return 0
}

case ${1:-} in
up) up ;;
down) down ;;
status) status ;;
env) env_vars ;;
start) start_one "${2:?usage: $0 start NAME}" ;;
*)
	echo "usage: $0 up|down|status|env" >&2
	exit 2
	;;
esac
