/* main.c: the hollow-node simulator (tests and benchmarks only): flags, loop, SIGTERM stops it. */
#include <signal.h>
#include <stdio.h>

#include <uv.h>

#include "common/flags.h"
#include "common/log.h"
#include "hollownodes/sim.h"

static void on_signal(uv_signal_t *sig, int signum)
{
	cm_info("received signal %d, stopping", signum);
	hn_sim_stop(sig->data);
	uv_close((uv_handle_t *)sig, NULL);
}

int main(int argc, char **argv)
{
	struct hn_config cfg;
	struct hn_sim *s;
	uv_loop_t loop;
	uv_signal_t sigterm;
	int verbosity = 0, nargs = 0;

	hn_config_defaults(&cfg);
	const struct cm_flag flags[] = {
		{"master", CM_FLAG_LIST, &cfg.servers, "apiserver URLs"},
		{"nodes", CM_FLAG_INT, &cfg.nodes, "how many hollow nodes to run"},
		{"prefix", CM_FLAG_STRING, &cfg.prefix, "node name prefix"},
		{"cpu", CM_FLAG_STRING, &cfg.cpu, "allocatable cpu per node"},
		{"memory", CM_FLAG_STRING, &cfg.memory, "allocatable memory per node"},
		{"max-pods", CM_FLAG_STRING, &cfg.pods, "allocatable pods per node"},
		{"ready-delay", CM_FLAG_DURATION, &cfg.ready_delay_ms, "from pod creation to Running and Ready"},
		{"lease-interval", CM_FLAG_DURATION, &cfg.lease_ms, "how often node Leases are renewed"},
		{"stopped-file", CM_FLAG_STRING, &cfg.stopped_file, "file of node names that stop renewing (tests)"},
		{"v", CM_FLAG_INT, &verbosity, "log verbosity"},
	};

	cm_flags_parse_or_exit(flags, sizeof(flags) / sizeof(flags[0]),
			       "hollownodes [flags]: simulated nodes for tests and benchmarks", argc, argv, &nargs);
	cm_log_init("hollownodes", verbosity);
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&loop);
	if (hn_sim_start(&loop, &cfg, &s)) {
		cm_error("cannot start");
		return 1;
	}
	uv_signal_init(&loop, &sigterm);
	sigterm.data = s;
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	uv_unref((uv_handle_t *)&sigterm);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (!uv_is_closing((uv_handle_t *)&sigterm))
		uv_close((uv_handle_t *)&sigterm, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	hn_sim_free(s);
	cm_strlist_close(&cfg.servers);
	cm_info("stopped");
	return 0;
}
