/* main.c: the etcdlite daemon: flags as etcd's, one member on one loop, SIGTERM stops it. */
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

#include "common/flags.h"
#include "common/log.h"
#include "common/signals.h"
#include "etcdlite/config.h"
#include "etcdlite/member.h"

struct daemon {
	uv_loop_t loop;
	struct cm_signals signals;
	struct el_member *member;
};

static void on_stopped(void *ud)
{
	struct daemon *d = ud;

	cm_signals_close(&d->signals);
}

static void on_stop(void *ud)
{
	struct daemon *d = ud;

	el_member_stop(d->member, on_stopped, d);
}

int main(int argc, char **argv)
{
	struct el_config cfg;
	struct daemon d;
	struct cm_buf err = CM_BUF_INIT;
	int verbosity = 0, nargs = 0, rc;

	el_config_defaults(&cfg);
	const struct cm_flag flags[] = {
		{"name", CM_FLAG_STRING, &cfg.name, "human-readable name of this member"},
		{"data-dir", CM_FLAG_STRING, &cfg.data_dir, "path to the data directory (default: <name>.etcd)"},
		{"listen-client-urls", CM_FLAG_STRING, &cfg.listen_client_urls, "URL to serve clients on"},
		{"advertise-client-urls", CM_FLAG_STRING, &cfg.advertise_client_urls, "client URL told to the cluster"},
		{"listen-peer-urls", CM_FLAG_STRING, &cfg.listen_peer_urls, "URL to serve peers on"},
		{"initial-advertise-peer-urls", CM_FLAG_STRING, &cfg.initial_advertise_peer_urls, "peer URL told to the cluster"},
		{"listen-metrics-urls", CM_FLAG_STRING, &cfg.listen_metrics_urls,
		 "plain http:// URL serving only /health and /metrics (for probes without a client certificate)"},
		{"initial-cluster", CM_FLAG_STRING, &cfg.initial_cluster, "every member: name=peerURL,..."},
		{"initial-cluster-state", CM_FLAG_STRING, &cfg.initial_cluster_state, "new or existing"},
		{"initial-cluster-token", CM_FLAG_STRING, &cfg.initial_cluster_token, "cluster token, part of the ids"},
		{"heartbeat-interval", CM_FLAG_INT64, &cfg.heartbeat_ms, "heartbeat interval (ms)"},
		{"election-timeout", CM_FLAG_INT64, &cfg.election_ms, "election timeout (ms)"},
		{"snapshot-count", CM_FLAG_INT64, &cfg.snapshot_count, "applied entries between snapshots"},
		{"max-request-bytes", CM_FLAG_INT64, &cfg.max_request_bytes,
		 "largest request accepted (larger: \"etcdserver: request is too large\")"},
		{"max-concurrent-streams", CM_FLAG_INT64, &cfg.max_concurrent_streams,
		 "watch streams one client address may hold at once (more: 429, \"etcdserver: too many requests\")"},
		{"request-timeout", CM_FLAG_DURATION, &cfg.request_timeout_ms, "how long a request may wait for quorum"},
		{"watch-progress-notify-interval", CM_FLAG_DURATION, &cfg.progress_notify_ms, "progress notifications period"},
		{"experimental-watch-progress-notify-interval", CM_FLAG_DURATION, &cfg.progress_notify_ms,
		 "etcd 3.4's name of --watch-progress-notify-interval"},
		{"cert-file", CM_FLAG_STRING, &cfg.client_tls.cert_file, "client port: TLS certificate (https:// URLs)"},
		{"key-file", CM_FLAG_STRING, &cfg.client_tls.key_file, "client port: TLS key"},
		{"trusted-ca-file", CM_FLAG_STRING, &cfg.client_tls.trusted_ca_file, "client port: CA for client certificates"},
		{"client-cert-auth", CM_FLAG_BOOL, &cfg.client_tls.client_cert_auth, "client port: require a client certificate"},
		{"peer-cert-file", CM_FLAG_STRING, &cfg.peer_tls.cert_file, "peer port: TLS certificate, also presented to peers"},
		{"peer-key-file", CM_FLAG_STRING, &cfg.peer_tls.key_file, "peer port: TLS key"},
		{"peer-trusted-ca-file", CM_FLAG_STRING, &cfg.peer_tls.trusted_ca_file, "peer port: CA for peer certificates"},
		{"peer-client-cert-auth", CM_FLAG_BOOL, &cfg.peer_tls.client_cert_auth, "peer port: require a peer certificate"},
		{"v", CM_FLAG_INT, &verbosity, "log verbosity"},
	};
	const size_t nflags = sizeof(flags) / sizeof(flags[0]);
	char default_dir[128];

	cm_flags_parse_or_exit(flags, nflags, "etcdlite [flags]: a Raft-replicated key-value store with etcd's v3 JSON API",
			       argc, argv, &nargs);
	if (nargs > 0) {
		fprintf(stderr, "etcdlite: unexpected argument \"%s\" (see --help)\n", argv[1]);
		return 2;
	}
	cm_log_init("etcdlite", verbosity);
	if (!cfg.data_dir) {
		snprintf(default_dir, sizeof(default_dir), "%s.etcd", cfg.name);
		cfg.data_dir = default_dir;
	}
	if (el_config_resolve(&cfg, &err)) {
		fprintf(stderr, "etcdlite: %s\n", err.data);
		cm_buf_close(&err);
		return 2;
	}
	uv_loop_init(&d.loop);
	rc = el_member_start(&d.loop, &cfg, &d.member, &err);
	if (rc) {
		cm_error("cannot start: %s", err.data ? err.data : "unknown error");
		cm_buf_close(&err);
		uv_loop_close(&d.loop);
		return 1;
	}
	if (cm_signals_start(&d.signals, &d.loop, on_stop, &d))
		cm_warn("cannot watch SIGTERM and SIGINT: stop me with SIGKILL");
	cm_info("ready to serve client requests on %s", cfg.listen_client_urls);
	uv_run(&d.loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&d.loop);
	cm_buf_close(&err);
	cm_info("stopped");
	return rc ? 1 : 0;
}
