#!/bin/sh
# node.sh: a node container's entrypoint (in the minik8s image): kubelet and kubeproxy side by side.
# NODE_NAME names the node, KUBELET_MASTER is the kubelet's apiserver (it takes one), MASTERS the
# comma-separated list kubeproxy fails over across. Stops both on SIGTERM; exits when either dies.
set -u
ip=${NODE_IP:-$(hostname -i | cut -d' ' -f1)}
/bin/kubelet --master "$KUBELET_MASTER" --hostname-override "$NODE_NAME" --node-ip "$ip" \
	--bind-address 0.0.0.0 --root-dir /var/lib/minik8s/kubelet --pod-network host \
	--node-status-update-frequency 2s ${KUBELET_FLAGS:-} &
kubelet=$!
/bin/kubeproxy --master "$MASTERS" --hostname-override "$NODE_NAME" --bind-address 0.0.0.0 \
	${KUBEPROXY_FLAGS:-} &
proxy=$!
trap 'kill -TERM $kubelet $proxy 2>/dev/null' TERM INT
# wait returns when a trapped signal arrives or a child exits; either way the node is over.
wait
kill -TERM $kubelet $proxy 2>/dev/null
wait
