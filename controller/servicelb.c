/* servicelb.c: the service load balancer controller: LoadBalancer Services get the Ready nodes' addresses as ingress. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "controller/manager.h"
#include "controller/queued.h"
#include "controller/servicelb.h"

/*
 * No cloud here: a node is its own load balancer (kubeproxy listens on the
 * ingress addresses it owns at the service port, and the NodePort is there
 * too), so the ingress of a LoadBalancer Service is the set of nodes that
 * can take traffic. The status is rewritten only when that set changes.
 */
struct ctl_servicelb {
	struct ctl_queued base;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

cJSON *ctl_servicelb_ingress(const cJSON *svc, const struct cm_node *const *nodes, size_t n)
{
	cJSON *out = cJSON_CreateArray();
	const char **ips;
	size_t k = 0;

	if (!out || strcmp(cm_json_str_or(svc, "spec.type", "ClusterIP"), "LoadBalancer"))
		return out;
	ips = calloc(n ? n : 1, sizeof(*ips));
	if (!ips) {
		cJSON_Delete(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (nodes[i]->ready && nodes[i]->address && *nodes[i]->address)
			ips[k++] = nodes[i]->address;
	qsort(ips, k, sizeof(*ips), cmp_str);
	for (size_t i = 0; i < k; i++) {
		cJSON *e;
		if (i && !strcmp(ips[i], ips[i - 1]))
			continue;
		if (!(e = cJSON_CreateObject()) || !cJSON_AddStringToObject(e, "ip", ips[i]) ||
		    !cJSON_AddItemToArray(out, e)) {
			cJSON_Delete(e);
			cJSON_Delete(out);
			out = NULL;
			break;
		}
	}
	free(ips);
	return out;
}

struct nodes {
	const struct cm_node **v;
	size_t n, cap;
};

static int collect_node(const char *key, const void *view, void *ud)
{
	struct nodes *s = ud;

	(void)key;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		const struct cm_node **nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv)
			return 1;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = view;
	return 0;
}

static void reconcile(struct cm_workqueue *q, const char *key, void *ud)
{
	struct ctl_servicelb *c = ud;
	const cJSON *svc = cm_informer_get(c->base.m->svcs, key), *have;
	struct nodes ns = {0};
	struct cm_buf path = CM_BUF_INIT;
	cJSON *want = NULL, *patch = NULL;
	struct ctl_op *op;

	if (!svc) {
		cm_workqueue_done(q, key, 0);
		return;
	}
	if (!(op = ctl_op_new(c->base.m, q, key)))
		return;
	cm_informer_foreach(c->base.m->nodes, collect_node, &ns);
	want = ctl_servicelb_ingress(svc, ns.v, ns.n);
	have = cm_json_get(svc, "status.loadBalancer.ingress");
	if (!want) {
		op->err = -ENOMEM;
		goto out;
	}
	if (have ? cm_json_equal(want, have) : cJSON_GetArraySize(want) == 0)
		goto out;
	/* a merge patch of the status subresource: spec is not ours to touch */
	patch = cJSON_CreateObject();
	int rc = patch ? cm_json_set(patch, "status.loadBalancer.ingress", want) : -ENOMEM;
	if (patch)
		want = NULL; /* cm_json_set took it, also on failure */
	if (rc < 0) {
		op->err = rc;
		goto out;
	}
	cm_info("service %s: load balancer ingress set to %d node address(es)", key,
		cJSON_GetArraySize(cm_json_get(patch, "status.loadBalancer.ingress")));
	cm_api_path(&path, "v1", "services", cm_json_str_or(svc, "metadata.namespace", "default"),
		    cm_json_str_or(svc, "metadata.name", ""));
	cm_buf_puts(&path, "/status");
	ctl_op_write(c->base.m, op, "PATCH", path.data, patch);
out:
	cJSON_Delete(want);
	cJSON_Delete(patch);
	free(ns.v);
	cm_buf_close(&path);
	ctl_op_release(op);
}

static int kick_lb(const char *key, const void *view, void *ud)
{
	struct ctl_servicelb *c = ud;

	if (!strcmp(cm_json_str_or(view, "spec.type", ""), "LoadBalancer") ||
	    cm_json_get(view, "status.loadBalancer.ingress"))
		cm_workqueue_add(c->base.q, key);
	return 0;
}

void ctl_servicelb_event(struct ctl_servicelb *c, const char *key)
{
	cm_workqueue_add(c->base.q, key);
}

void ctl_servicelb_node_event(struct ctl_servicelb *c)
{
	cm_informer_foreach(c->base.m->svcs, kick_lb, c);
}

int ctl_servicelb_start(struct ctl_manager *m, struct ctl_servicelb **out)
{
	struct ctl_servicelb *c = ctl_queued_new(m, sizeof(*c), m->cfg->workers, 50, reconcile);

	if (!c)
		return -ENOMEM;
	*out = c;
	return 0;
}

void ctl_servicelb_stop(struct ctl_servicelb *c)
{
	ctl_queued_free(&c->base);
}
