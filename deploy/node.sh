#!/bin/sh
# node.sh: a node container's entrypoint (in the minik8s image): kubelet and kubeproxy side by side.
# NODE_NAME names the node and MASTERS is the comma-separated apiserver list both fail over across.
# Pods get the bridge network (POD_NETWORK=host turns it off): a namespace and an address each from
# the node's podCIDR, and the kubelet routes other nodes' podCIDRs via their addresses (host-gw),
# so the container must forward. Both answer DNS on the node's address (kubeproxy), which pods
# reach through their gateway. Stops both on SIGTERM; exits when either dies.
set -u
ip=${NODE_IP:-$(hostname -i | cut -d' ' -f1)}
net=${POD_NETWORK:-bridge}
if [ "$net" = bridge ] && [ "$(cat /proc/sys/net/ipv4/ip_forward)" != 1 ]; then
	sysctl -w net.ipv4.ip_forward=1 >/dev/null 2>&1 || echo "node.sh: IP forwarding is off: pods on other nodes are unreachable" >&2
fi
# shellcheck disable=SC2086 # the extra flags are split on purpose
/bin/kubelet --master "$MASTERS" --hostname-override "$NODE_NAME" --node-ip "$ip" \
	--bind-address 0.0.0.0 --root-dir /var/lib/minik8s/kubelet --pod-network "$net" \
	--node-status-update-frequency 2s --cluster-dns "$ip" ${KUBELET_FLAGS:-} &
kubelet=$!
# shellcheck disable=SC2086
# Services through the kernel (nftables DNAT, as kube-proxy's default modes) where the image has
# nft; kubeproxy falls back to its userspace proxy by itself if nft cannot apply the rules.
mode=userspace
[ -x /bin/nft ] && mode=nftables
/bin/kubeproxy --master "$MASTERS" --hostname-override "$NODE_NAME" --bind-address 0.0.0.0 \
	--dns-bind-address "$ip" --proxy-mode "${PROXY_MODE:-$mode}" ${KUBEPROXY_FLAGS:-} &
proxy=$!
trap 'kill -TERM $kubelet $proxy 2>/dev/null' TERM INT
# wait returns when a trapped signal arrives or a child exits; either way the node is over.
wait
kill -TERM $kubelet $proxy 2>/dev/null
wait
