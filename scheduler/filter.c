/* filter.c: node filters and scores as functions of a pod, a node and its usage: no I/O, no clock. */
#include <stdlib.h>
#include <string.h>

#include "scheduler/filter.h"

static int selector_matches(const struct cm_pod *pod, const struct cm_node *node)
{
	const cJSON *want;

	cJSON_ArrayForEach(want, pod->node_selector) {
		const cJSON *have = node->m.labels ? cJSON_GetObjectItemCaseSensitive(node->m.labels, want->string)
						   : NULL;
		if (!cJSON_IsString(have) || !cJSON_IsString(want) || strcmp(have->valuestring, want->valuestring))
			return 0;
	}
	return 1;
}

static int port_free(const struct sch_node_usage *use, int port)
{
	for (size_t i = 0; i < use->nports; i++)
		if (use->ports[i] == port)
			return 0;
	return 1;
}

enum sch_reason sch_filter(const struct cm_pod *pod, const struct cm_node *node,
			   const struct sch_node_usage *use, const struct cm_taint **taint)
{
	/* Taints first, as kube-scheduler's TaintToleration runs before the resource fit. */
	for (size_t i = 0; i < node->ntaints; i++) {
		const struct cm_taint *t = &node->taints[i];
		if (strcmp(t->effect, "NoSchedule") && strcmp(t->effect, "NoExecute"))
			continue; /* PreferNoSchedule only lowers the score in Kubernetes */
		if (!cm_pod_tolerates(pod, t)) {
			if (taint)
				*taint = t;
			return SCH_TAINT;
		}
	}
	if (!node->ready)
		return SCH_NOT_READY;
	if (node->unschedulable)
		return SCH_UNSCHEDULABLE;
	if (!selector_matches(pod, node))
		return SCH_SELECTOR;
	for (size_t i = 0; i < pod->nports; i++)
		if (!port_free(use, pod->host_ports[i]))
			return SCH_PORTS;
	if (use->pods + 1 > node->pods)
		return SCH_TOO_MANY_PODS;
	if (pod->cpu_milli && use->cpu_milli + pod->cpu_milli > node->cpu_milli)
		return SCH_CPU;
	if (pod->mem_milli && use->mem_milli + pod->mem_milli > node->mem_milli)
		return SCH_MEMORY;
	return SCH_FIT;
}

static int64_t free_share(int64_t cap, int64_t used)
{
	if (cap <= 0)
		return 0;
	if (used >= cap)
		return 0;
	/* Divide before multiplying when large, so milli-bytes of big nodes do not overflow. */
	return cap > INT64_MAX / 100 ? (cap - used) / (cap / 100) : (cap - used) * 100 / cap;
}

int64_t sch_score(const struct cm_pod *pod, const struct cm_node *node, const struct sch_node_usage *use,
		  int64_t same_owner, int64_t max_same_owner)
{
	/* Kubernetes counts a pod with no requests as 100m cpu and 200Mi for scoring. */
	int64_t cpu = pod->cpu_milli ? pod->cpu_milli : 100;
	int64_t mem = pod->mem_milli ? pod->mem_milli : 200LL * 1024 * 1024 * 1000;
	int64_t least = (free_share(node->cpu_milli, use->cpu_milli + cpu) +
			 free_share(node->mem_milli, use->mem_milli + mem)) / 2;
	int64_t spread = 100;

	if (*pod->m.owner_uid)
		spread = 100 - 100 * same_owner / (max_same_owner + 1);
	return least + spread;
}

static const char *reason_text(enum sch_reason r)
{
	switch (r) {
	case SCH_NOT_READY: return "node(s) were not ready";
	case SCH_UNSCHEDULABLE: return "node(s) were unschedulable";
	case SCH_SELECTOR: return "node(s) didn't match Pod's node affinity/selector";
	case SCH_TAINT: return "node(s) had untolerated taint";
	case SCH_PORTS: return "node(s) didn't have free ports for the requested pod ports";
	case SCH_TOO_MANY_PODS: return "Too many pods";
	case SCH_CPU: return "Insufficient cpu";
	case SCH_MEMORY: return "Insufficient memory";
	default: return "";
	}
}

struct part {
	char *text;
};

static int cmp_part(const void *a, const void *b)
{
	return strcmp(((const struct part *)a)->text, ((const struct part *)b)->text);
}

int sch_fit_error(size_t nnodes, const size_t counts[SCH_NREASONS], const struct cm_taint *taint,
		  struct cm_buf *out)
{
	struct part parts[SCH_NREASONS];
	size_t n = 0;
	int rc = 0;

	for (int r = 1; r < SCH_NREASONS && !rc; r++) {
		struct cm_buf b = CM_BUF_INIT;
		if (!counts[r])
			continue;
		rc = cm_buf_printf(&b, "%zu %s", counts[r], reason_text(r));
		if (!rc && r == SCH_TAINT && taint)
			rc = cm_buf_printf(&b, " {%s: %s}", taint->key, taint->value);
		if (rc) {
			cm_buf_close(&b);
			break;
		}
		parts[n++].text = cm_buf_take(&b);
	}
	/* kube-scheduler sorts the reasons as strings ("1 ..." before "2 ..."). */
	qsort(parts, n, sizeof(parts[0]), cmp_part);
	if (!rc)
		rc = cm_buf_printf(out, "0/%zu nodes are available", nnodes);
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			rc = cm_buf_printf(out, "%s%s", i ? ", " : ": ", parts[i].text);
		free(parts[i].text);
	}
	if (!rc)
		rc = cm_buf_putc(out, '.');
	return rc;
}
