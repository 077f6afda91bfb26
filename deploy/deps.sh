#!/bin/sh
# Installs the Debian packages that the build, tests and benchmarks use; quiet when all are there.
set -e
PKGS="gcc make pkg-config libuv1-dev libmicrohttpd-dev libcjson-dev libcurl4-openssl-dev
libyaml-dev libgnutls28-dev zlib1g-dev check etcd-server etcd-client wrk hyperfine curl openssl
python3 python3-kubernetes iproute2 nftables procps busybox-static dnsmasq-base clang
libclang-rt-14-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q $missing >/dev/null 2>&1 || {
	$SUDO apt-get update -q >/dev/null
	$SUDO apt-get install -y -q $missing >/dev/null
}
echo "deps: done"
