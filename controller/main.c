/* main.c: the controller-manager daemon: flags, logging, the manager on one loop, SIGTERM stops it. */
#include <stdio.h>

#include <uv.h>

#include "common/apiclient.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/signals.h"
#include "controller/manager.h"

static void on_stop(void *ud)
{
	ctl_manager_stop(ud);
}

int main(int argc, char **argv)
{
	struct ctl_config cfg;
	struct ctl_manager *m;
	uv_loop_t loop;
	struct cm_signals signals;
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
	uv_loop_init(&loop);
	rc = ctl_manager_start(&loop, &cfg, &m);
	if (rc) {
		cm_error("cannot start: %d", rc);
		return 1;
	}
	if (cm_signals_start(&signals, &loop, on_stop, m))
		cm_warn("cannot watch SIGTERM and SIGINT: stop me with SIGKILL");
	cm_signals_unref(&signals); /* the loop ends when the daemon has stopped, by signal or lost lease */
	uv_run(&loop, UV_RUN_DEFAULT);
	rc = m->lost;
	cm_signals_close(&signals);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	ctl_manager_free(m);
	cm_strlist_close(&cfg.servers);
	cm_info("stopped");
	return rc ? 1 : 0;
}
