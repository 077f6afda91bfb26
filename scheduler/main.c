/* main.c: the scheduler daemon: flags, logging, one scheduler on one loop, SIGTERM stops it. */
#include <stdio.h>

#include <uv.h>

#include "common/apiclient.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/signals.h"
#include "scheduler/scheduler.h"

static void on_stop(void *ud)
{
	sch_scheduler_stop(ud);
}

int main(int argc, char **argv)
{
	struct sch_config cfg;
	struct sch_scheduler *s;
	uv_loop_t loop;
	struct cm_signals signals;
	int verbosity = 0, nargs = 0, rc;

	sch_config_defaults(&cfg);
	const struct cm_flag flags[] = {
		{"master", CM_FLAG_LIST, &cfg.servers, "apiserver URLs, tried in turn when one fails"},
		CM_API_TLS_FLAGS(&cfg.tls),
		{"scheduler-name", CM_FLAG_STRING, &cfg.scheduler_name, "schedules pods with this spec.schedulerName"},
		{"leader-elect", CM_FLAG_BOOL, &cfg.leader_elect, "only act while holding the kube-system/kube-scheduler Lease"},
		{"leader-elect-identity", CM_FLAG_STRING, &cfg.identity, "identity in the Lease (default hostname_pid)"},
		{"leader-elect-lease-duration", CM_FLAG_DURATION, &cfg.lease_ms, "how long a Lease lasts unrenewed"},
		{"leader-elect-renew-deadline", CM_FLAG_DURATION, &cfg.renew_ms, "a leader that cannot renew for this long stops"},
		{"leader-elect-retry-period", CM_FLAG_DURATION, &cfg.retry_ms, "how often to try to acquire or renew"},
		{"parallelism", CM_FLAG_INT, &cfg.parallelism, "binds in flight at once"},
		{"v", CM_FLAG_INT, &verbosity, "log verbosity"},
	};

	cm_flags_parse_or_exit(flags, sizeof(flags) / sizeof(flags[0]),
			       "scheduler [flags]: places pods on nodes", argc, argv, &nargs);
	cm_log_init("scheduler", verbosity);
	uv_loop_init(&loop);
	rc = sch_scheduler_start(&loop, &cfg, &s);
	if (rc) {
		cm_error("cannot start: %d", rc);
		return 1;
	}
	if (cm_signals_start(&signals, &loop, on_stop, s))
		cm_warn("cannot watch SIGTERM and SIGINT: stop me with SIGKILL");
	cm_signals_unref(&signals); /* the loop ends when the daemon has stopped, by signal or lost lease */
	uv_run(&loop, UV_RUN_DEFAULT);
	rc = sch_scheduler_lost_lease(s);
	cm_signals_close(&signals);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	sch_scheduler_free(s);
	cm_strlist_close(&cfg.servers);
	cm_info("stopped");
	return rc ? 1 : 0;
}
