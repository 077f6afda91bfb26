/* deployment_plan.c: rolling update and recreate steps as integer arithmetic over ReplicaSet counts. */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "controller/deployment_plan.h"

/* An IntOrString: a number, or "25%" of total rounded up or down. */
static int64_t int_or_percent(const cJSON *v, int64_t total, int64_t def_pct, bool round_up)
{
	int64_t pct = def_pct;

	if (cJSON_IsNumber(v))
		return (int64_t)v->valuedouble;
	if (cJSON_IsString(v)) {
		size_t l = strlen(v->valuestring);
		if (l && v->valuestring[l - 1] == '%')
			pct = strtoll(v->valuestring, NULL, 10);
		else
			return strtoll(v->valuestring, NULL, 10);
	}
	return round_up ? (total * pct + 99) / 100 : total * pct / 100;
}

void ctl_plan_read_deployment(const cJSON *d, struct ctl_plan_in *in)
{
	const cJSON *ru = cm_json_get(d, "spec.strategy.rollingUpdate");

	in->replicas = cm_json_int64_or(d, "spec.replicas", 1);
	in->recreate = strcmp(cm_json_str_or(d, "spec.strategy.type", "RollingUpdate"), "Recreate") == 0;
	in->max_surge = int_or_percent(cm_json_get(ru, "maxSurge"), in->replicas, 25, true);
	in->max_unavailable = int_or_percent(cm_json_get(ru, "maxUnavailable"), in->replicas, 25, false);
	if (in->max_surge == 0 && in->max_unavailable == 0)
		in->max_unavailable = 1;
	if (in->recreate) {
		in->max_surge = 0;
		in->max_unavailable = in->replicas;
	}
	in->history_limit = cm_json_int64_or(d, "spec.revisionHistoryLimit", 10);
}

void ctl_plan_read_rs(const cJSON *rs, struct ctl_plan_rs *r)
{
	r->spec_replicas = cm_json_int64_or(rs, "spec.replicas", 1);
	r->status_replicas = cm_json_int64_or(rs, "status.replicas", 0);
	r->ready = cm_json_int64_or(rs, "status.readyReplicas", 0);
	r->available = cm_json_int64_or(rs, "status.availableReplicas", 0);
	r->revision = cm_json_int64_or(rs, "metadata.annotations.deployment\\.kubernetes\\.io/revision", 0);
}

static int64_t sum_spec(const struct ctl_plan_in *in, int skip)
{
	int64_t t = 0;
	for (size_t i = 0; i < in->n; i++)
		if ((int)i != skip)
			t += in->rs[i].spec_replicas;
	return t;
}

int64_t ctl_plan_new_rs_size(const struct ctl_plan_in *in)
{
	int64_t old = sum_spec(in, -1), n;

	if (old == 0)
		return in->replicas;
	if (in->recreate)
		return 0;
	n = in->replicas + in->max_surge - old;
	if (n > in->replicas)
		n = in->replicas;
	return n > 0 ? n : 0;
}

void ctl_plan_compute(const struct ctl_plan_in *in, struct ctl_plan_out *out)
{
	const struct ctl_plan_rs *nw = &in->rs[in->new_idx];
	int64_t old_spec = sum_spec(in, in->new_idx), old_pods = 0, empty_old = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < in->n; i++) {
		out->replicas[i] = in->rs[i].spec_replicas;
		if ((int)i != in->new_idx)
			old_pods += in->rs[i].status_replicas;
	}
	if (in->recreate) {
		for (size_t i = 0; i < in->n; i++)
			if ((int)i != in->new_idx)
				out->replicas[i] = 0;
		out->replicas[in->new_idx] = old_pods == 0 && old_spec == 0 ? in->replicas : 0;
	} else if (old_spec == 0) {
		out->replicas[in->new_idx] = in->replicas; /* no rollout: plain scaling */
	} else {
		int64_t total = old_spec + nw->spec_replicas;
		int64_t room = in->replicas + in->max_surge - total;
		int64_t min_avail = in->replicas - in->max_unavailable;
		int64_t new_unavail = nw->spec_replicas - nw->available;
		int64_t down = total - min_avail - (new_unavail > 0 ? new_unavail : 0);

		if (nw->spec_replicas > in->replicas)
			out->replicas[in->new_idx] = in->replicas;
		else if (room > 0)
			out->replicas[in->new_idx] = nw->spec_replicas + room > in->replicas ? in->replicas
											  : nw->spec_replicas + room;
		/* Old pods that are not available can go first: they serve nothing. */
		for (size_t i = 0; i < in->n; i++) {
			int64_t unhealthy;
			if ((int)i == in->new_idx || !out->replicas[i])
				continue;
			unhealthy = in->rs[i].spec_replicas - in->rs[i].available;
			if (unhealthy > 0 && down > 0) {
				int64_t k = unhealthy < down ? unhealthy : down;
				out->replicas[i] -= k;
				down -= k;
			}
		}
		/* Then the oldest revisions while enough stay available. */
		while (down > 0) {
			int oldest = -1;
			for (size_t i = 0; i < in->n; i++)
				if ((int)i != in->new_idx && out->replicas[i] > 0 &&
				    (oldest < 0 || in->rs[i].revision < in->rs[oldest].revision))
					oldest = (int)i;
			if (oldest < 0)
				break;
			int64_t k = out->replicas[oldest] < down ? out->replicas[oldest] : down;
			out->replicas[oldest] -= k;
			down -= k;
		}
	}
	/* Revision history: keep the newest history_limit empty old ReplicaSets. */
	for (size_t i = 0; i < in->n; i++)
		if ((int)i != in->new_idx && out->replicas[i] == 0 && in->rs[i].status_replicas == 0)
			empty_old++;
	while (empty_old > in->history_limit) {
		int oldest = -1;
		for (size_t i = 0; i < in->n; i++)
			if ((int)i != in->new_idx && !out->delete_rs[i] && out->replicas[i] == 0 &&
			    in->rs[i].status_replicas == 0 && (oldest < 0 || in->rs[i].revision < in->rs[oldest].revision))
				oldest = (int)i;
		if (oldest < 0)
			break;
		out->delete_rs[oldest] = true;
		empty_old--;
	}
}
