/* podres.h: what a pod requests and limits of a resource, summed as kubectl describe node sums it. */
#ifndef MC_PODRES_H
#define MC_PODRES_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/quantity.h"

/* A resource.Quantity: its value and the format it prints in; unset prints as "0". */
struct mc_qty {
	int64_t milli;
	enum cm_quantity_fmt fmt; /* of the quantity it came from: Ki..Ei binary, else decimal */
	bool set;
};

/* Parses s ("100m", "64Mi"). Returns 0, or -EINVAL / -ERANGE with *out unchanged. */
int mc_qty_parse(const char *s, struct mc_qty *out);
/* sum += q; an unset sum takes q as it is (its format too), as Quantity.Add on a copy of the first does. */
void mc_qty_add(struct mc_qty *sum, const struct mc_qty *q);
/* Whole units rounded up, as Quantity.Value(). */
int64_t mc_qty_value(const struct mc_qty *q);
/* Appends the canonical form ("350m", "167108864", "1152Mi"; "0" when unset). Returns 0 or -ENOMEM. */
int mc_qty_format(const struct mc_qty *q, struct cm_buf *out);
/*
 * The pod's total of resource name in "requests" or "limits" (which), as
 * kubectl's PodRequestsAndLimits: the containers summed; the largest of the
 * init containers (each with the restartable, sidecar, init containers
 * started before it) if larger; sidecars added to the sum; spec.overhead
 * added (to limits only where a limit is set). Unset when nothing names it.
 */
struct mc_qty mc_pod_resource(const cJSON *pod, const char *which, const char *name);

#endif
