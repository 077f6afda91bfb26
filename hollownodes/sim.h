/* sim.h: the hollow-node simulator: N fake nodes that register, renew Leases and run pods in name only. */
#ifndef HN_SIM_H
#define HN_SIM_H

#include <uv.h>

#include "common/flags.h"

struct hn_config {
	struct cm_strlist servers;
	int nodes;
	const char *prefix;     /* node names: prefix + index */
	const char *cpu, *memory, *pods;
	int64_t ready_delay_ms; /* from bound to Running/Ready */
	int64_t lease_ms;       /* how often Leases are renewed */
	const char *stopped_file; /* a file listing node names that stop renewing (tests) */
};

struct hn_sim;

void hn_config_defaults(struct hn_config *cfg);
int hn_sim_start(uv_loop_t *loop, const struct hn_config *cfg, struct hn_sim **out);
void hn_sim_stop(struct hn_sim *s);
void hn_sim_free(struct hn_sim *s);

#endif
