/* cache.h: what each node already holds, from bound pods and pods the scheduler assumed before the bind shows. */
#ifndef SCH_CACHE_H
#define SCH_CACHE_H

#include <stdbool.h>

#include "common/strmap.h"
#include "scheduler/filter.h"

/*
 * A pod is counted on at most one node at a time, whether the watch said so
 * (bound) or the scheduler decided it and is binding (assumed). Counting an
 * assumed pod at once is what keeps two pods scheduled back to back from
 * both taking a node's last free cpu before either bind comes back.
 */
struct sch_cache {
	struct cm_strmap usage;   /* node -> struct sch_node_usage */
	struct cm_strmap counted; /* pod key -> struct sch_counted */
	struct cm_strmap owners;  /* "owner-uid|node" -> count (as a pointer-sized integer) */
};

void sch_cache_init(struct sch_cache *c);
void sch_cache_close(struct sch_cache *c);
/*
 * Counts pod (key) on node, moving it from where it was counted before.
 * assumed marks a decision not yet seen in a watch event. Returns 0 or -ENOMEM.
 */
int sch_cache_add(struct sch_cache *c, const char *key, const struct cm_pod *pod, const char *node,
		  bool assumed);
/* Stops counting key. */
void sch_cache_remove(struct sch_cache *c, const char *key);
/* Whether key is counted as assumed (bind in flight). */
bool sch_cache_assumed(const struct sch_cache *c, const char *key);
/* The usage of node; an all-zero usage for a node with nothing counted. Borrowed. */
const struct sch_node_usage *sch_cache_usage(const struct sch_cache *c, const char *node);
/* Pods of owner counted on node. */
int64_t sch_cache_owner_count(const struct sch_cache *c, const char *owner_uid, const char *node);

#endif
