#!/bin/sh
# certs.sh: a cluster CA and a certificate for every component (openssl), into $CLUSTER_DIR/pki.
#
#   deploy/certs.sh [PKI_DIR]      default $CLUSTER_DIR/pki, and $CLUSTER_DIR defaults to .cluster
#
# Environment (all optional):
#   ETCD_MEMBERS  etcd member names                 (default "etcd1 etcd2 etcd3")
#   NODES         kubelet node names                (default "node1 node2")
#   NODE_IPS      the nodes' addresses, in the order of NODES (optional): an IP SAN of each
#                 kubelet's serving certificate, which the apiserver verifies when it reaches
#                 the kubelet at the Node's InternalIP (pods/log)
#   SERVICE_IP    the kubernetes Service's cluster IP (the first of the apiservers'
#                 --service-cluster-ip-range; default 10.96.0.1): an IP SAN of the apiserver
#   SANS          extra subjectAltNames for every serving cert, comma-separated
#                 openssl syntax ("IP:10.0.0.5,DNS:api.example.com")
#   DAYS          validity of the leaf certificates (default 365; the CA gets 10 years)
#   FORCE=1       regenerate everything, the CA included
#
# Files (PEM; keys are 0600):
#   ca.crt ca.key                                the cluster CA (signs every other certificate)
#   etcd-<m>-server.{crt,key}                    etcd client port: serverAuth+clientAuth, CN=<m>
#   etcd-<m>-peer.{crt,key}                      etcd peer port: serverAuth+clientAuth, CN=<m>
#   apiserver.{crt,key}                          HTTPS serving: SANs 127.0.0.1, ::1, localhost,
#                                                kubernetes, kubernetes.default(.svc(.cluster.local)),
#                                                SERVICE_IP (the Service VIP, 10.96.0.1)
#   apiserver-etcd-client.{crt,key}              the apiserver towards etcd: CN=kube-apiserver-etcd-client
#   etcd-healthcheck-client.{crt,key}            probes and deploy/chaos towards etcd: CN=kube-etcd-healthcheck-client
#   apiserver-kubelet-client.{crt,key}           the apiserver towards kubelets: O=system:masters
#   admin.{crt,key}                              CN=admin, O=system:masters (cluster-admin via RBAC)
#   kubelet-<n>.{crt,key}                        CN=system:node:<n>, O=system:nodes (client auth)
#   kubelet-<n>-server.{crt,key}                 the kubelet's own API: SANs <n>, its NODE_IPS address,
#                                                localhost, 127.0.0.1
#   scheduler.{crt,key}                          CN=system:kube-scheduler
#   controller.{crt,key}                         CN=system:kube-controller-manager
#   kubeproxy.{crt,key}                          CN=system:kube-proxy
#   sa.key                                       the apiservers' ServiceAccount token secret (HS256,
#                                                32 random bytes in hex), made once
# An existing certificate is kept (so members keep theirs across runs) unless FORCE=1 or it lacks
# an IPv4 or DNS SAN now asked for (a node that moved to another address gets a new one).
set -eu
cd "$(dirname "$0")/.."
PKI=${1:-${CLUSTER_DIR:-.cluster}/pki}
ETCD_MEMBERS=${ETCD_MEMBERS:-etcd1 etcd2 etcd3}
NODES=${NODES:-node1 node2}
NODE_IPS=${NODE_IPS:-}
DAYS=${DAYS:-365}
SANS=${SANS:-}
SERVICE_IP=${SERVICE_IP:-10.96.0.1}
FORCE=${FORCE:-0}

command -v openssl >/dev/null || { echo "certs: openssl is not installed (make deps)" >&2; exit 1; }
mkdir -p "$PKI"
chmod 700 "$PKI"
[ "$FORCE" = 1 ] && rm -f "$PKI"/*.crt "$PKI"/*.key "$PKI"/*.srl

extra_sans() {
	[ -n "$SANS" ] && printf ',%s' "$SANS"
	return 0
}

# ca: the CA, made once.
if [ ! -f "$PKI/ca.crt" ] || [ ! -f "$PKI/ca.key" ]; then
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/ca.key" 2>/dev/null)
	openssl req -x509 -new -key "$PKI/ca.key" -sha256 -days 3650 -subj "/CN=minik8s-ca" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$PKI/ca.crt"
	echo "certs: made $PKI/ca.crt"
fi

# has_sans CRT SANS: whether the certificate holds every DNS and IPv4 entry of SANS.
has_sans() {
	# one SAN a line: "DNS:node1", "IP Address:127.0.0.2"
	text=$(openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tr ',' '\n' | sed 's/^ *//') || return 1
	for s in $(echo "$2" | tr ',' ' '); do
		case $s in
		DNS:*) want=$s ;;
		IP:*:*) continue ;; # IPv6: printed expanded; the ones asked for are fixed (::1)
		IP:*) want="IP Address:${s#IP:}" ;;
		*) continue ;;
		esac
		echo "$text" | grep -qxF "$want" || return 1
	done
}

# leaf NAME SUBJECT USAGE [SANS]: a key and a certificate signed by the CA.
#   USAGE: server (serverAuth), client (clientAuth) or both.
leaf() {
	name=$1 subj=$2 usage=$3 sans=${4:-}
	[ -f "$PKI/$name.crt" ] && [ -f "$PKI/$name.key" ] && has_sans "$PKI/$name.crt" "$sans" && return 0
	case $usage in
	server) eku=serverAuth ;;
	client) eku=clientAuth ;;
	both) eku=serverAuth,clientAuth ;;
	esac
	ext=$(mktemp)
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature"
		echo "extendedKeyUsage=$eku"
		[ -n "$sans" ] && echo "subjectAltName=$sans"
	} >"$ext"
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/$name.key" 2>/dev/null)
	openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr"
	openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
		-sha256 -days "$DAYS" -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
	rm -f "$ext" "$PKI/$name.csr"
	echo "certs: made $PKI/$name.crt ($subj)"
}

LOCAL="DNS:localhost,IP:127.0.0.1,IP:::1"
for m in $ETCD_MEMBERS; do
	leaf "etcd-$m-server" "/CN=$m" both "DNS:$m,$LOCAL$(extra_sans)"
	leaf "etcd-$m-peer" "/CN=$m" both "DNS:$m,$LOCAL$(extra_sans)"
done
leaf apiserver "/CN=kube-apiserver" server \
	"DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:$SERVICE_IP,$LOCAL$(extra_sans)"
leaf apiserver-etcd-client "/CN=kube-apiserver-etcd-client" client
leaf etcd-healthcheck-client "/CN=kube-etcd-healthcheck-client" client
leaf apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" client
leaf admin "/O=system:masters/CN=admin" client
set -- $NODE_IPS
for n in $NODES; do
	ip=""
	[ $# -gt 0 ] && ip=",IP:$1" && shift
	leaf "kubelet-$n" "/O=system:nodes/CN=system:node:$n" client
	leaf "kubelet-$n-server" "/CN=$n" server "DNS:$n$ip,$LOCAL$(extra_sans)"
done
leaf scheduler "/CN=system:kube-scheduler" client
leaf controller "/CN=system:kube-controller-manager" client
leaf kubeproxy "/CN=system:kube-proxy" client
if [ ! -s "$PKI/sa.key" ]; then
	(umask 077 && openssl rand -hex 32 >"$PKI/sa.key")
fi
