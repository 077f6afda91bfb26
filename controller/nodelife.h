/* nodelife.h: the pure decision of the node lifecycle controller for one node at one instant. */
#ifndef CTL_NODELIFE_H
#define CTL_NODELIFE_H

#include <stdbool.h>
#include <stdint.h>

#define CTL_UNREACHABLE_TAINT "node.kubernetes.io/unreachable"

enum {
	CTL_NODE_MARK_UNKNOWN = 1, /* write Ready=Unknown */
	CTL_NODE_ADD_TAINT = 2,    /* add the unreachable NoExecute taint */
	CTL_NODE_EVICT = 4,        /* delete its pods that do not tolerate the taint */
	CTL_NODE_RECOVER = 8,      /* renewing again: drop the taint, Ready back from Unknown */
};

struct ctl_node_state {
	int64_t renewed_ms;      /* when its Lease was last seen renewed (or the node first seen) */
	int64_t unreachable_ms;  /* when it was found stale; 0 while fresh */
	bool ready_unknown;      /* its Ready condition is Unknown now */
	bool tainted;            /* it carries the unreachable taint now */
};

/*
 * What to do for a node at now_ms: stale once its Lease has gone unrenewed
 * for more than grace_ms; its pods are evicted once stale for eviction_ms.
 * Sets s->unreachable_ms when it first finds the node stale and clears it
 * when the node renews again. Returns a mask of CTL_NODE_* actions.
 */
int ctl_nodelife_decide(struct ctl_node_state *s, int64_t now_ms, int64_t grace_ms, int64_t eviction_ms);

#endif
