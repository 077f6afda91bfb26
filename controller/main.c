/* main.c: the controller-manager daemon: flags, logging, the manager on one loop, SIGTERM stops it. */
#include <signal.h>
#include <stdio.h>

#include <uv.h>

#include "common/apiclient.h"
#include "common/flags.h"
#include "common/log.h"
#include "controller/manager.h"

static void on_signal(uv_signal_t *sig, int signum)
{
	cm_info("received signal %d, stopping", signum);
	ctl_manager_stop(sig->data);
	uv_close((uv_handle_t *)sig, NULL);
}

int main(int argc, char **argv)
{
	struct ctl_config cfg;
	struct ctl_manager *m;
	uv_loop_t loop;
	uv_signal_t sigterm;
	int verbosity = 0, nargs = 0, rc;

	ctl_config_defaults(&cfg);
	const struct cm_flag flags[] = {
		{"master", CM_FLAG_LIST, &cfg.servers, "apiserver URLs, tried in turn when one fails"},
		CM_API_TLS_FLAGS(&cfg.tls),
		{"leader-elect", CM_FLAG_BOOL, &cfg.leader_elect, "only act while holding the kube-system/kube-controller-manager Lease"},
		{"leader-elect-identity", CM_FLAG_STRING, &cfg.identity, "identity in the Lease (default hostname_pid)"},
		{"leader-elect-lease-duration", CM_FLAG_DURATION, &cfg.lease_ms, "how long a Lease lasts unrenewed"},
		{"leader-elect-renew-deadline", CM_FLAG_DURATION, &cfg.renew_ms, "a leader that cannot renew for this long stops"},
		{"leader-elect-retry-period", CM_FLAG_DURATION, &cfg.retry_ms, "how often to try to acquire or renew"},
		{"concurrent-syncs", CM_FLAG_INT, &cfg.workers, "objects reconciled at once per controller"},
		{"node-monitor-grace-period", CM_FLAG_DURATION, &cfg.node_grace_ms, "a node whose Lease is not renewed this long is marked Ready=Unknown"},
		{"pod-eviction-timeout", CM_FLAG_DURATION, &cfg.eviction_ms, "pods of a node NotReady this long are deleted"},
		{"node-monitor-period", CM_FLAG_DURATION, &cfg.node_monitor_ms, "how often node Leases are checked"},
		{"v", CM_FLAG_INT, &verbosity, "log verbosity"},
	};

	cm_flags_parse_or_exit(flags, sizeof(flags) / sizeof(flags[0]),
			       "controller [flags]: the controller-manager (ReplicaSet, Deployment, DaemonSet, Endpoints, node lifecycle, garbage collector, Namespace)", argc, argv, &nargs);
	cm_log_init("controller", verbosity);
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&loop);
	rc = ctl_manager_start(&loop, &cfg, &m);
	if (rc) {
		cm_error("cannot start: %d", rc);
		return 1;
	}
	uv_signal_init(&loop, &sigterm);
	sigterm.data = m;
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	uv_unref((uv_handle_t *)&sigterm); /* the loop ends when the daemon has stopped, by signal or lost lease */
	uv_run(&loop, UV_RUN_DEFAULT);
	rc = m->lost;
	if (!uv_is_closing((uv_handle_t *)&sigterm))
		uv_close((uv_handle_t *)&sigterm, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	ctl_manager_free(m);
	cm_strlist_close(&cfg.servers);
	cm_info("stopped");
	return rc ? 1 : 0;
}
