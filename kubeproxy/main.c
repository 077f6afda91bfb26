/* main.c: the kubeproxy daemon: flags, logging, loop; SIGTERM stops it and removes what it set up. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "common/apiclient.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/signals.h"
#include "kubeproxy/kubeconfig.h"
#include "kubeproxy/server.h"

struct daemon {
	uv_loop_t loop;
	struct cm_signals signals;
	struct kp_server *server;
};

static void on_stopped(void *ud)
{
	struct daemon *d = ud;

	cm_signals_close(&d->signals);
}

static void on_stop(void *ud)
{
	struct daemon *d = ud;

	kp_server_stop(d->server, on_stopped, d);
}

int main(int argc, char **argv)
{
	struct cm_strlist masters = {0};
	const char *kubeconfig = NULL;
	struct kp_server_config cfg = {.hostname = NULL, .bind_address = "0.0.0.0",
				       .healthz_port = 10256, .metrics_port = 10249,
				       .cluster_ip_iface = "lo", .proxy_mode = "userspace",
				       .dns_port = 53, .dns_bind_address = "", .dns_bridge = "mk8s0",
				       .cluster_domain = "cluster.local", .resolv_conf = "/etc/resolv.conf"};
	int64_t udp_idle_ms = 30000;
	char host[256];
	struct cm_buf err = CM_BUF_INIT;
	struct daemon d;
	int verbosity = 0, nargs = 0, rc;
	const struct cm_flag flags[] = {
		{"master", CM_FLAG_LIST, &masters, "apiserver URLs (comma-separated; failover in order)"},
		{"kubeconfig", CM_FLAG_STRING, &kubeconfig, "kubeconfig file naming the apiserver"},
		CM_API_TLS_FLAGS(&cfg.tls),
		{"hostname-override", CM_FLAG_STRING, &cfg.hostname, "this node's name (default: the host name)"},
		{"bind-address", CM_FLAG_STRING, &cfg.bind_address, "node address for NodePorts and HTTP endpoints"},
		{"healthz-port", CM_FLAG_INT, &cfg.healthz_port, "port of /healthz and /readyz (-1: off)"},
		{"metrics-port", CM_FLAG_INT, &cfg.metrics_port, "port of /metrics (-1: off)"},
		{"cluster-ip-interface", CM_FLAG_STRING, &cfg.cluster_ip_iface, "interface cluster IPs are added to (\"\": none)"},
		{"proxy-mode", CM_FLAG_STRING, &cfg.proxy_mode, "userspace, or nftables (kernel DNAT, userspace as the fallback)"},
		{"udp-timeout", CM_FLAG_DURATION, &udp_idle_ms, "idle time after which a UDP flow is closed"},
		{"cluster-domain", CM_FLAG_STRING, &cfg.cluster_domain, "the cluster's DNS domain"},
		{"dns-port", CM_FLAG_INT, &cfg.dns_port, "port of the node-local DNS responder (0: ephemeral, -1: off)"},
		{"dns-bind-address", CM_FLAG_STRING, &cfg.dns_bind_address, "its address (default: the pod bridge's, else 127.0.0.1)"},
		{"pod-bridge", CM_FLAG_STRING, &cfg.dns_bridge, "the pod network's bridge, whose address DNS takes by default"},
		{"resolv-conf", CM_FLAG_STRING, &cfg.resolv_conf, "upstream resolvers for names outside the cluster (\"\": none)"},
		{"v", CM_FLAG_INT, &verbosity, "log verbosity"},
	};

	cm_flags_parse_or_exit(flags, sizeof(flags) / sizeof(flags[0]),
			       "kubeproxy [flags]: forwards each Service port to its ready endpoints", argc,
			       argv, &nargs);
	if (nargs > 0) {
		fprintf(stderr, "kubeproxy: unexpected argument \"%s\" (see --help)\n", argv[1]);
		return 2;
	}
	cm_log_init("kubeproxy", verbosity);
	if (!masters.n && kubeconfig && (rc = kp_kubeconfig_servers(kubeconfig, &masters, &err)) < 0) {
		fprintf(stderr, "kubeproxy: --kubeconfig %s: %s\n", kubeconfig,
			err.len ? err.data : strerror(-rc));
		return 2;
	}
	if (!cfg.hostname) {
		if (gethostname(host, sizeof(host)) < 0)
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = 0;
		cfg.hostname = host;
	}
	cfg.masters = masters.items;
	cfg.nmasters = masters.n;
	cfg.udp_idle_ms = (uint64_t)udp_idle_ms;
	uv_loop_init(&d.loop);
	rc = kp_server_start(&d.loop, &cfg, &d.server, &err);
	if (rc < 0) {
		cm_error("cannot start: %s", err.len ? err.data : strerror(-rc));
		uv_run(&d.loop, UV_RUN_DEFAULT); /* let the partial start close */
		uv_loop_close(&d.loop);
		cm_buf_close(&err);
		cm_strlist_close(&masters);
		return 1;
	}
	if (cm_signals_start(&d.signals, &d.loop, on_stop, &d))
		cm_warn("cannot watch SIGTERM and SIGINT: stop me with SIGKILL");
	uv_run(&d.loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&d.loop);
	cm_buf_close(&err);
	cm_strlist_close(&masters);
	cm_info("stopped");
	return rc ? 1 : 0;
}
