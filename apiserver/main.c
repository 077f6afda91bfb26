/* main.c: the apiserver daemon: kube-apiserver's flags, one server on one loop, SIGTERM stops it. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

#include "apiserver/server.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/signals.h"

struct daemon {
	uv_loop_t loop;
	struct cm_signals signals;
	struct api_server *srv;
};

static void on_stopped(void *ud)
{
	struct daemon *d = ud;

	cm_signals_close(&d->signals);
}

static void on_stop(void *ud)
{
	struct daemon *d = ud;

	api_server_stop(d->srv, on_stopped, d);
}

int main(int argc, char **argv)
{
	struct api_config cfg;
	struct daemon d;
	struct cm_buf err = CM_BUF_INIT;
	int verbosity = 0, nargs = 0, rc;

	api_config_defaults(&cfg);
	const struct cm_flag flags[] = {
		{"etcd-servers", CM_FLAG_LIST, &cfg.etcd_servers, "etcd members to connect to (scheme://ip:port,...)"},
		{"etcd-cafile", CM_FLAG_STRING, &cfg.etcd_ca_file, "CA bundle verifying https:// etcd members"},
		{"etcd-certfile", CM_FLAG_STRING, &cfg.etcd_cert_file, "client certificate (PEM) presented to etcd"},
		{"etcd-keyfile", CM_FLAG_STRING, &cfg.etcd_key_file, "the etcd client certificate's private key (PEM)"},
		{"bind-address", CM_FLAG_STRING, &cfg.bind_address, "address of the HTTPS port (0.0.0.0: every interface)"},
		{"insecure-port", CM_FLAG_INT, &cfg.insecure_port,
		 "port of the plain-HTTP API, unauthenticated and trusted as system:masters (0: off)"},
		{"insecure-bind-address", CM_FLAG_STRING, &cfg.insecure_bind_address,
		 "address of the plain-HTTP port (trusted as system:masters: keep it on loopback)"},
		{"secure-port", CM_FLAG_INT, &cfg.secure_port, "HTTPS port, served when --tls-cert-file and --tls-private-key-file are given"},
		{"tls-cert-file", CM_FLAG_STRING, &cfg.tls_cert_file, "certificate (PEM) of the HTTPS port"},
		{"tls-private-key-file", CM_FLAG_STRING, &cfg.tls_key_file, "private key (PEM) of the HTTPS port"},
		{"service-cluster-ip-range", CM_FLAG_STRING, &cfg.service_cluster_ip_range, "CIDR of service cluster IPs"},
		{"cluster-cidr", CM_FLAG_STRING, &cfg.cluster_cidr, "CIDR of pod IPs; each node gets a /24"},
		{"max-requests-inflight", CM_FLAG_INT, &cfg.max_requests_inflight, "requests served at once before 429 (0: no limit)"},
		{"watch-cache-size", CM_FLAG_INT, &cfg.watch_cache_size, "events kept per resource for watches"},
		{"watch-max-buffer", CM_FLAG_INT64, &cfg.watch_max_buffer, "bytes queued to a slow watcher before it is closed"},
		{"max-request-bytes", CM_FLAG_INT64, &cfg.max_body, "largest request body accepted"},
		{"etcd-timeout", CM_FLAG_DURATION, &cfg.etcd_timeout_ms, "how long a storage call may take across retries"},
		{"token-auth-file", CM_FLAG_STRING, &cfg.token_auth_file, "static tokens (CSV: token,user,uid,\"group1,group2\") for the HTTPS port"},
		{"client-ca-file", CM_FLAG_STRING, &cfg.client_ca_file, "CA bundle verifying client certificates (CN user, O groups) on the HTTPS port"},
		{"anonymous-auth", CM_FLAG_BOOL, &cfg.anonymous_auth, "HTTPS requests without credentials are system:anonymous (false: 401)"},
		{"authorization-mode", CM_FLAG_STRING, &cfg.authorization_mode, "AlwaysAllow, AlwaysDeny, RBAC, Node, comma-separated (e.g. Node,RBAC)"},
		{"allowed-client-cidrs", CM_FLAG_LIST, &cfg.allowed_client_cidrs, "only clients from these CIDRs are served (others: 403)"},
		{"max-mutating-requests-inflight", CM_FLAG_INT, &cfg.max_mutating_requests_inflight, "writes served at once before 429 (0: no limit)"},
		{"kubelet-client-certificate", CM_FLAG_STRING, &cfg.kubelet_client_cert,
		 "client certificate (PEM) towards kubelets (pods/log); kubelets are then reached over HTTPS"},
		{"kubelet-client-key", CM_FLAG_STRING, &cfg.kubelet_client_key, "its private key (PEM)"},
		{"kubelet-certificate-authority", CM_FLAG_STRING, &cfg.kubelet_ca,
		 "CA bundle verifying kubelets' serving certificates (without it they are not verified, as Kubernetes)"},
		{"service-account-key-file", CM_FLAG_STRING, &cfg.service_account_key_file,
		 "secret (at least 32 bytes) signing and verifying ServiceAccount tokens (HS256)"},
		{"advertise-address", CM_FLAG_STRING, &cfg.advertise_address,
		 "IPv4 address the \"kubernetes\" Service's endpoints list for this apiserver (default: the bind address)"},
		{"root-ca-file", CM_FLAG_STRING, &cfg.root_ca_file,
		 "CA bundle published to pods as kube-root-ca.crt in every namespace (default: --client-ca-file)"},
		{"v", CM_FLAG_INT, &verbosity, "log verbosity"},
	};
	const size_t nflags = sizeof(flags) / sizeof(flags[0]);

	cm_flags_parse_or_exit(flags, nflags, "apiserver [flags]: the Kubernetes API over etcd's v3 API", argc, argv,
			       &nargs);
	if (nargs > 0) {
		fprintf(stderr, "apiserver: unexpected argument \"%s\" (see --help)\n", argv[1]);
		rc = 2;
		goto out;
	}
	cm_log_init("apiserver", verbosity);
	/*
	 * A list of 10,000 pods briefly holds tens of MB (etcd's answer, the reply);
	 * glibc's default raises its mmap threshold after such frees and then keeps
	 * the memory. Fixed thresholds give big buffers back when they are freed.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
	uv_loop_init(&d.loop);
	rc = api_server_start(&d.loop, &cfg, &d.srv, &err);
	if (rc) {
		cm_error("%s", err.data ? err.data : "cannot start");
		uv_run(&d.loop, UV_RUN_DEFAULT);
		uv_loop_close(&d.loop);
		rc = rc == -22 ? 2 : 1;
		goto out;
	}
	if (cm_signals_start(&d.signals, &d.loop, on_stop, &d))
		cm_warn("cannot watch SIGTERM and SIGINT: stop me with SIGKILL");
	if (api_server_port(d.srv) >= 0)
		cm_info("serving on %s:%d", cfg.insecure_bind_address, api_server_port(d.srv));
	if (api_server_secure_port(d.srv) >= 0)
		cm_info("serving HTTPS on %s:%d", cfg.bind_address, api_server_secure_port(d.srv));
	uv_run(&d.loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&d.loop) ? 1 : 0;
	cm_info("stopped");
out:
	/* the lists the flags made, also when the daemon refuses to start */
	cm_strlist_close(&cfg.etcd_servers);
	cm_strlist_close(&cfg.allowed_client_cidrs);
	cm_buf_close(&err);
	return rc;
}
