/* deployment_plan.h: the pure arithmetic of a Deployment rollout: how many replicas each ReplicaSet gets now. */
#ifndef CTL_DEPLOYMENT_PLAN_H
#define CTL_DEPLOYMENT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define CTL_PLAN_MAX 64

struct ctl_plan_rs {
	int64_t spec_replicas, status_replicas, ready, available;
	int64_t revision;
};

struct ctl_plan_in {
	int64_t replicas;
	int64_t max_surge, max_unavailable; /* resolved from percentages */
	bool recreate;
	int64_t history_limit;              /* revisionHistoryLimit, default 10 */
	struct ctl_plan_rs rs[CTL_PLAN_MAX];
	size_t n;
	int new_idx;                         /* index of the ReplicaSet of the current template */
};

struct ctl_plan_out {
	int64_t replicas[CTL_PLAN_MAX]; /* target spec.replicas of each */
	bool delete_rs[CTL_PLAN_MAX];   /* old, empty and beyond the history limit */
};

/*
 * Reads replicas (default 1), strategy (RollingUpdate by default, maxSurge and
 * maxUnavailable default 25%: surge rounds up, unavailable down, and both 0
 * becomes maxUnavailable 1, as Kubernetes) and revisionHistoryLimit.
 */
void ctl_plan_read_deployment(const cJSON *d, struct ctl_plan_in *in);
void ctl_plan_read_rs(const cJSON *rs, struct ctl_plan_rs *r);
/* The size a new ReplicaSet starts at, given the existing (old) ones in in. */
int64_t ctl_plan_new_rs_size(const struct ctl_plan_in *in);
/*
 * One step of the rollout, as Kubernetes' rolling.go: scale the new
 * ReplicaSet up within replicas + maxSurge, scale old ones down (oldest
 * first) while at least replicas - maxUnavailable pods stay available.
 * Recreate: old ones to 0 first, the new one up once no old pod is left.
 */
void ctl_plan_compute(const struct ctl_plan_in *in, struct ctl_plan_out *out);

#endif
