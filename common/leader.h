/* leader.h: leader election on a coordination.k8s.io/v1 Lease, so one of several schedulers or controllers acts. */
#ifndef CM_LEADER_H
#define CM_LEADER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/apiclient.h"

/*
 * As client-go's leaderelection: every retry period a candidate reads the
 * Lease. It takes it when the Lease does not exist, or when the holder has
 * not renewed it (holderIdentity and renewTime unchanged) for
 * leaseDurationSeconds as measured by the candidate's own monotonic clock,
 * so no two clocks need to agree. The leader renews every retry period with
 * an update on the Lease's resourceVersion (a conflict means someone else
 * won). A leader that has not renewed for renew_deadline stops leading:
 * renew_deadline < lease duration, so it stops before anyone can take over.
 */
struct cm_leader;

struct cm_leader_opts {
	const char *ns;            /* "kube-system" if NULL */
	const char *name;          /* the Lease's name: "kube-scheduler" */
	const char *identity;      /* this candidate: hostname_pid */
	int64_t lease_ms;          /* 0 means 15 s */
	int64_t renew_deadline_ms; /* 0 means 10 s */
	int64_t retry_ms;          /* 0 means 2 s */
	void (*on_start)(void *ud); /* became leader */
	void (*on_stop)(void *ud);  /* lost the lease: the caller should stop acting (exit, as kube does) */
	void *ud;
};

/* Makes a candidate (strings copied). Returns 0 and *out, -EINVAL (no name or identity) or -ENOMEM. */
int cm_leader_new(struct cm_api *api, const struct cm_leader_opts *opts, struct cm_leader **out);
/* Starts campaigning now. */
void cm_leader_start(struct cm_leader *l);
/* Stops campaigning and frees from the loop; no callback runs afterwards. NULL does nothing. */
void cm_leader_free(struct cm_leader *l);
bool cm_leader_is_leader(const struct cm_leader *l);

#endif
