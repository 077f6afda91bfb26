/* scheduler.h: the scheduler daemon's library: informers on pods and nodes, a queue of pods to place, binds. */
#ifndef SCH_SCHEDULER_H
#define SCH_SCHEDULER_H

#include <stdbool.h>

#include <uv.h>

#include "common/flags.h"
#include "common/http_client.h"

struct sch_config {
	struct cm_strlist servers;   /* apiserver URLs */
	struct cm_http_client_opts tls; /* CA and client certificate towards them (strings borrowed) */
	const char *scheduler_name;  /* pods with this spec.schedulerName are ours */
	bool leader_elect;
	const char *identity;        /* for the Lease; hostname_pid if NULL */
	int64_t lease_ms, renew_ms, retry_ms;
	int parallelism;             /* binds in flight at once */
};

struct sch_scheduler;

void sch_config_defaults(struct sch_config *cfg);
/*
 * Starts on loop: informers at once, scheduling when leader (at once without
 * --leader-elect). cfg is borrowed until sch_scheduler_free. Returns 0 and
 * *out, or -ENOMEM / -EINVAL.
 */
int sch_scheduler_start(uv_loop_t *loop, const struct sch_config *cfg, struct sch_scheduler **out);
/* Closes everything on the loop; on_lost (may be NULL) is called if leadership is lost later. */
void sch_scheduler_stop(struct sch_scheduler *s);
/* Frees what is left once the loop has run dry after stop. */
void sch_scheduler_free(struct sch_scheduler *s);
/* True once the scheduler lost its lease: main exits non-zero, as kube-scheduler does. */
bool sch_scheduler_lost_lease(const struct sch_scheduler *s);

#endif
