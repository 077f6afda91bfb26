#!/bin/sh
# compose.sh: the docker compose cluster: up (images built), down, status, and the compose command.
#   deploy/compose.sh up       start deploy/docker-compose.yml, wait until every node is Ready
#   deploy/compose.sh down     stop it and remove its containers, network and volumes (KEEP=1 keeps volumes)
#   deploy/compose.sh status   the containers, then the nodes
# The project is "minik8s" (COMPOSE_PROJECT overrides); the kubeconfig goes to $COMPOSE_DIR
# (default .compose/). Uses docker-compose (1.29) or, failing that, `docker compose` (v2).
# TLS=1 up: certificates into $COMPOSE_DIR/pki (deploy/certs.sh) and deploy/docker-compose.tls.yml
# over the base file (HTTPS with client certificates on 6443 and 6444, Node,RBAC, etcd over https
# with client certificates, kubelets' API over HTTPS; the plain port stays inside each apiserver
# container); the kubeconfig then names https://127.0.0.1:6443 and holds the CA and the admin's
# certificate. The nodes get fixed addresses in the subnet (.201 and .202), which their kubelets'
# serving certificates name.
set -eu
cd "$(dirname "$0")/.."
PROJECT=${COMPOSE_PROJECT:-minik8s}
CDIR=${COMPOSE_DIR:-.compose}
case $CDIR in /*) ;; *) CDIR=$(pwd)/$CDIR ;; esac
NODES=2
READY_TIMEOUT=${READY_TIMEOUT:-60}
TLS=${TLS:-0}
# docker-compose.tls.yml mounts it; set for every command, as the file list may name that file.
MINIK8S_PKI=$CDIR/pki
SUBNET_PREFIX=$(echo "${MINIK8S_SUBNET:-172.31.213.0/24}" | cut -d. -f1-3)
MINIK8S_NODE1_IP=$SUBNET_PREFIX.201
MINIK8S_NODE2_IP=$SUBNET_PREFIX.202
export MINIK8S_PKI MINIK8S_NODE1_IP MINIK8S_NODE2_IP

# Privileged nodes where the daemon can start them, else the capabilities the runtime needs;
# the choice is remembered in $CDIR so that later commands use the same files.
files() {
	if [ ! -f "$CDIR/files" ]; then
		mkdir -p "$CDIR"
		f="-f deploy/docker-compose.yml"
		if ! docker run --rm --privileged --entrypoint /bin/true minik8s:latest >/dev/null 2>&1; then
			echo "compose: this Docker daemon cannot start privileged containers; nodes run with" \
				"SYS_ADMIN (deploy/docker-compose.unprivileged.yml)" >&2
			f="$f -f deploy/docker-compose.unprivileged.yml"
		fi
		[ "$TLS" = 1 ] && f="$f -f deploy/docker-compose.tls.yml"
		echo "$f" >"$CDIR/files"
	fi
	cat "$CDIR/files"
}
if command -v docker-compose >/dev/null 2>&1; then
	# shellcheck disable=SC2046 # the file list is split on purpose
	dc() { docker-compose -p "$PROJECT" $(files) "$@"; }
else
	# shellcheck disable=SC2046
	dc() { docker compose -p "$PROJECT" $(files) "$@"; }
fi

# The cluster's address for clients, and curl's options for it: TLS when the file list says so.
api() {
	if grep -q tls "$CDIR/files" 2>/dev/null; then
		echo "https://127.0.0.1:6443 --cacert $MINIK8S_PKI/ca.crt --cert $MINIK8S_PKI/admin.crt --key $MINIK8S_PKI/admin.key"
	else
		echo "http://127.0.0.1:8080"
	fi
}

nodes_ready() {
	# shellcheck disable=SC2046 # the URL and its options are split on purpose
	curl -sf -m 2 $(api | sed 's|^\([^ ]*\)|\1/api/v1/nodes|') 2>/dev/null | python3 -c '
import json, sys
try:
    items = json.load(sys.stdin).get("items") or []
except ValueError:
    items = []
ready = sum(1 for n in items for c in n.get("status", {}).get("conditions") or []
            if c.get("type") == "Ready" and c.get("status") == "True")
print("%d/%d" % (ready, len(items)))'
}

up() {
	if ! docker image inspect minik8s:latest >/dev/null 2>&1; then
		echo "no minik8s image: make image (make compose-up builds it)" >&2
		exit 1
	fi
	start=$(date +%s%N)
	mkdir -p "$CDIR"
	rm -f "$CDIR/files" # TLS or not is chosen now
	if [ "$TLS" = 1 ]; then
		SANS="DNS:apiserver1,DNS:apiserver2" NODE_IPS="$MINIK8S_NODE1_IP $MINIK8S_NODE2_IP" \
			deploy/certs.sh "$MINIK8S_PKI" | grep -v '^certs: made' || true
		(umask 077 && deploy/kubeconfig.sh https://127.0.0.1:6443 "$MINIK8S_PKI" >"$CDIR/kubeconfig")
	else
		deploy/kubeconfig.sh http://127.0.0.1:8080 >"$CDIR/kubeconfig"
	fi
	dc up -d --no-build 2>&1 | grep -v '^$' || true
	deadline=$(($(date +%s) + READY_TIMEOUT))
	until [ "$(nodes_ready)" = "$NODES/$NODES" ]; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "nodes not Ready after ${READY_TIMEOUT} s ($(nodes_ready)); deploy/compose.sh status, docker-compose -p $PROJECT -f deploy/docker-compose.yml logs" >&2
			exit 1
		fi
		sleep 0.1
	done
	ms=$((($(date +%s%N) - start) / 1000000))
	echo "compose cluster is up: $NODES nodes Ready in $ms ms. Try:"
	echo "  export KUBECONFIG=$CDIR/kubeconfig PATH=$(pwd)/bin:\$PATH"
	echo "  minictl get nodes; minictl apply -f deploy/examples/echoserver.yaml; curl 127.0.0.1:30080"
	echo "  deploy/chaos kill-etcd 1; deploy/chaos status; make compose-down"
}

down() {
	if [ "${KEEP:-0}" = 1 ]; then
		dc down --remove-orphans -t 5
	else
		dc down -v --remove-orphans -t 5
	fi
	rm -rf "$CDIR"
}

status() {
	dc ps
	r=$(nodes_ready)
	echo "nodes Ready: ${r:-apiserver not answering}"
}

case ${1:-} in
up) up ;;
down) down ;;
status) status ;;
dc)
	shift
	dc "$@"
	;;
*)
	echo "usage: $0 up|down|status|dc ARGS" >&2
	exit 2
	;;
esac
