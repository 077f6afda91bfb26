#!/bin/sh
# image.sh: builds the minik8s and echoserver images without pulling anything (make image).
# Stages each image's root under build/image/: stripped binaries in /bin, every shared library
# they load (from ldd, at the same path), the dynamic loader, a static busybox, a few /etc files;
# then docker build -f deploy/Dockerfile for each target. TAG (default latest) names the tags.
set -eu
cd "$(dirname "$0")/.."
OUT=build/image
TAG=${TAG:-latest}
BUSYBOX=${BUSYBOX:-/bin/busybox}

# copy_libs ROOT BINARY...: the libraries the binaries load, dereferenced, at their own paths.
copy_libs() {
	root=$1
	shift
	for lib in $(ldd "$@" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' | sort -u); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

etc_files() {
	mkdir -p "$1/etc" "$1/tmp" "$1/var/lib/minik8s" "$1/root"
	chmod 1777 "$1/tmp"
	echo "root:x:0:0:root:/root:/bin/sh" >"$1/etc/passwd"
	echo "root:x:0:" >"$1/etc/group"
	echo "hosts: files dns" >"$1/etc/nsswitch.conf"
}

rm -rf "$OUT"
mkdir -p "$OUT/minik8s/bin" "$OUT/echoserver/bin"
if [ ! -x "$BUSYBOX" ] || ! file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked'; then
	echo "image: $BUSYBOX is not a static busybox; install busybox-static (make deps)" >&2
	exit 1
fi
bins=""
for b in etcdlite apiserver scheduler controller kubelet kubeproxy minictl echoserver hollownodes; do
	[ -x "bin/$b" ] || continue
	strip -o "$OUT/minik8s/bin/$b" "bin/$b"
	bins="$bins bin/$b"
done
cp deploy/node.sh "$OUT/minik8s/bin/node.sh"
cp "$BUSYBOX" "$OUT/minik8s/bin/busybox"
# nft, for kubeproxy's kernel fast path on the nodes (--proxy-mode=nftables): without it the
# nodes fall back to the userspace proxy.
NFT=$(command -v nft || true)
if [ -n "$NFT" ]; then
	cp -L "$NFT" "$OUT/minik8s/bin/nft"
	bins="$bins $NFT"
else
	echo "image: no nft here (Debian's nftables): the nodes will proxy in userspace" >&2
fi
# shellcheck disable=SC2086
copy_libs "$OUT/minik8s" $bins
etc_files "$OUT/minik8s"

strip -o "$OUT/echoserver/bin/echoserver" bin/echoserver
copy_libs "$OUT/echoserver" bin/echoserver
etc_files "$OUT/echoserver"

for target in minik8s echoserver; do
	echo "image: building $target:$TAG"
	if ! log=$(docker build -q -f deploy/Dockerfile --target "$target" -t "$target:$TAG" "$OUT" 2>&1); then
		echo "$log" >&2
		exit 1
	fi
	size=$(docker image inspect -f '{{.Size}}' "$target:$TAG")
	echo "image: $target:$TAG is $((size / 1000000)) MB"
done
