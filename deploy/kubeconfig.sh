#!/bin/sh
# kubeconfig.sh: writes the kubeconfig of a minik8s cluster (make up, make compose-up) to stdout.
#   deploy/kubeconfig.sh SERVER [PKI_DIR]
# With PKI_DIR (deploy/certs.sh output), the server is https and the file holds the cluster CA
# and the admin's client certificate and key inline (keep it private: it is cluster-admin).
set -eu
server=${1:?usage: kubeconfig.sh SERVER [PKI_DIR]}
pki=${2:-}
b64() { base64 -w0 "$1"; }
cat <<END
apiVersion: v1
kind: Config
clusters:
- name: minik8s
  cluster:
    server: $server
END
[ -n "$pki" ] && echo "    certificate-authority-data: $(b64 "$pki/ca.crt")"
cat <<END
contexts:
- name: minik8s
  context:
    cluster: minik8s
    user: admin
    namespace: default
current-context: minik8s
users:
- name: admin
END
if [ -n "$pki" ]; then
	echo "  user:"
	echo "    client-certificate-data: $(b64 "$pki/admin.crt")"
	echo "    client-key-data: $(b64 "$pki/admin.key")"
else
	echo "  user: {}"
fi
