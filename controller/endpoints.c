/* endpoints.c: the Endpoints controller: every Service with a selector gets the addresses and ports of its pods. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "controller/endpoints.h"
#include "controller/manager.h"
#include "controller/queued.h"
#include "controller/selection.h"

#define MAX_PORTS 32

bool ctl_labels_match_map(const cJSON *selector, const cJSON *labels)
{
	const cJSON *kv;

	cJSON_ArrayForEach(kv, selector) {
		const cJSON *l = labels ? cJSON_GetObjectItemCaseSensitive(labels, kv->string) : NULL;
		if (!cJSON_IsString(kv) || !cJSON_IsString(l) || strcmp(kv->valuestring, l->valuestring) != 0)
			return false;
	}
	return true;
}

int ctl_endpoints_target_port(const cJSON *sp, const struct cm_pod *p)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(sp, "targetPort"), *cp;

	if (cJSON_IsNumber(t))
		return (int)t->valuedouble;
	if (!cJSON_IsString(t))
		return (int)cm_json_int64_or(sp, "port", 0);
	if (*t->valuestring >= '0' && *t->valuestring <= '9')
		return atoi(t->valuestring);
	cJSON_ArrayForEach(cp, p->ports)
		if (strcmp(cm_json_str_or(cp, "name", ""), t->valuestring) == 0)
			return (int)cm_json_int64_or(cp, "containerPort", 0);
	return 0;
}

const char *ctl_endpoint_hostname(const cJSON *svc, const struct cm_pod *p)
{
	if (!*p->hostname || strcmp(p->subdomain, cm_json_str_or(svc, "metadata.name", "")) ||
	    strcmp(p->m.ns, cm_json_str_or(svc, "metadata.namespace", "default")))
		return NULL;
	return p->hostname;
}

static int cmp_ip(const void *a, const void *b)
{
	const struct cm_pod *x = *(const struct cm_pod *const *)a, *y = *(const struct cm_pod *const *)b;
	int c = strcmp(x->pod_ip, y->pod_ip);
	return c ? c : strcmp(x->m.name, y->m.name);
}

static cJSON *address(const cJSON *svc, const struct cm_pod *p)
{
	cJSON *a = cJSON_CreateObject(), *ref = cJSON_CreateObject();
	const char *host = ctl_endpoint_hostname(svc, p);
	bool ok = a && ref && cJSON_AddStringToObject(a, "ip", p->pod_ip) &&
		  (!host || cJSON_AddStringToObject(a, "hostname", host)) &&
		  (!*p->node_name || cJSON_AddStringToObject(a, "nodeName", p->node_name)) &&
		  cJSON_AddStringToObject(ref, "kind", "Pod") && cJSON_AddStringToObject(ref, "namespace", p->m.ns) &&
		  cJSON_AddStringToObject(ref, "name", p->m.name) && cJSON_AddStringToObject(ref, "uid", p->m.uid);

	if (!ok || !cJSON_AddItemToObject(a, "targetRef", ref)) {
		cJSON_Delete(a);
		cJSON_Delete(ref);
		return NULL;
	}
	return a;
}

/* The subset for resolved ports, found or appended, keyed by the resolved numbers. */
static cJSON *subset_for(cJSON *subsets, const cJSON *ports, const int *res, int np)
{
	cJSON *s, *pl, *sp;
	int i = 0;

	cJSON_ArrayForEach(s, subsets) {
		const cJSON *e;
		int j = 0, same = 1;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(s, "ports")) {
			while (j < np && !res[j])
				j++;
			if (j == np || cm_json_int64_or(e, "port", 0) != res[j])
				same = 0;
			j++;
		}
		while (j < np && !res[j])
			j++;
		if (same && j >= np)
			return s;
	}
	if (!(s = cJSON_CreateObject()) || !(pl = cJSON_AddArrayToObject(s, "ports"))) {
		cJSON_Delete(s);
		return NULL;
	}
	cJSON_ArrayForEach(sp, ports) {
		if (i < np && res[i]) {
			cJSON *ep = cJSON_CreateObject();
			if (!ep) {
				cJSON_Delete(s);
				return NULL;
			}
			if (cm_json_get_str(sp, "name") && *cm_json_get_str(sp, "name"))
				cJSON_AddStringToObject(ep, "name", cm_json_get_str(sp, "name"));
			cJSON_AddNumberToObject(ep, "port", res[i]);
			cJSON_AddStringToObject(ep, "protocol", cm_json_str_or(sp, "protocol", "TCP"));
			cJSON_AddItemToArray(pl, ep);
		}
		i++;
	}
	cJSON_AddItemToArray(subsets, s);
	return s;
}

cJSON *ctl_endpoints_subsets(const cJSON *svc, const struct cm_pod *const *pods, size_t n)
{
	const cJSON *ports = cm_json_get(svc, "spec.ports"), *sp;
	const struct cm_pod **sorted = n ? malloc(n * sizeof(*sorted)) : NULL;
	cJSON *subsets = cJSON_CreateArray();
	int np = 0;

	if (!subsets || (n && !sorted))
		goto fail;
	cJSON_ArrayForEach(sp, ports)
		np++;
	if (np > MAX_PORTS)
		np = MAX_PORTS;
	if (n) {
		memcpy(sorted, pods, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_ip);
	}
	for (size_t k = 0; k < n; k++) {
		const struct cm_pod *p = sorted[k];
		int res[MAX_PORTS] = {0}, any = np == 0, i = 0;
		cJSON *s, *list, *a;

		if (!*p->pod_ip || p->m.deleting || cm_pod_terminal(p))
			continue;
		cJSON_ArrayForEach(sp, ports) {
			if (i >= np)
				break;
			res[i] = ctl_endpoints_target_port(sp, p);
			any |= res[i] != 0;
			i++;
		}
		if (!any)
			continue;
		if (!(s = subset_for(subsets, ports, res, np)))
			goto fail;
		list = cJSON_GetObjectItemCaseSensitive(s, p->ready ? "addresses" : "notReadyAddresses");
		if (!list && !(list = cJSON_AddArrayToObject(s, p->ready ? "addresses" : "notReadyAddresses")))
			goto fail;
		if (!(a = address(svc, p)))
			goto fail;
		cJSON_AddItemToArray(list, a);
	}
	free(sorted);
	return subsets;
fail:
	free(sorted);
	cJSON_Delete(subsets);
	return NULL;
}

struct ctl_endpoints {
	struct ctl_queued base;
};

static void reconcile(struct cm_workqueue *q, const char *key, void *ud)
{
	struct ctl_endpoints *c = ud;
	const cJSON *svc = cm_informer_get(c->base.m->svcs, key);
	const cJSON *ep = cm_informer_get(c->base.m->eps, key);
	const cJSON *sel = cm_json_get(svc, "spec.selector");
	struct ctl_selected s = {0};
	struct cm_buf path = CM_BUF_INIT;
	const char *ns, *name;
	struct ctl_op *op;
	cJSON *subsets, *obj;

	if (svc && (!cJSON_IsObject(sel) || !sel->child)) {
		/* no selector: the user manages this Service's Endpoints */
		cm_workqueue_done(q, key, 0);
		return;
	}
	if (!(op = ctl_op_new(c->base.m, q, key)))
		return;
	if (!svc) {
		if (ep) {
			cm_api_path(&path, "v1", "endpoints", cm_json_get_str(ep, "metadata.namespace"),
				    cm_json_get_str(ep, "metadata.name"));
			ctl_op_write(c->base.m, op, "DELETE", path.data, NULL);
		}
		goto out;
	}
	ns = cm_json_str_or(svc, "metadata.namespace", "default");
	name = cm_json_str_or(svc, "metadata.name", "");
	if (ctl_select_pods(c->base.m, ns, sel, &s) < 0 || !(subsets = ctl_endpoints_subsets(svc, s.pods, s.n))) {
		op->err = -ENOMEM;
		goto out;
	}
	if (ep && (cm_json_get(ep, "subsets") ? cm_json_equal(subsets, cm_json_get(ep, "subsets"))
					      : cJSON_GetArraySize(subsets) == 0)) {
		cJSON_Delete(subsets);
		goto out;
	}
	obj = cJSON_CreateObject();
	if (!obj) {
		cJSON_Delete(subsets);
		op->err = -ENOMEM;
		goto out;
	}
	cJSON_AddStringToObject(obj, "apiVersion", "v1");
	cJSON_AddStringToObject(obj, "kind", "Endpoints");
	cm_json_set_str(obj, "metadata.name", name);
	cm_json_set_str(obj, "metadata.namespace", ns);
	if (cm_json_get(svc, "metadata.labels"))
		cm_json_set(obj, "metadata.labels", cm_json_copy(cm_json_get(svc, "metadata.labels")));
	if (ep)
		cm_json_set_str(obj, "metadata.resourceVersion", cm_json_str_or(ep, "metadata.resourceVersion", ""));
	cJSON_AddItemToObject(obj, "subsets", subsets);
	cm_api_path(&path, "v1", "endpoints", ns, ep ? name : NULL);
	ctl_op_write(c->base.m, op, ep ? "PUT" : "POST", path.data, obj);
	cJSON_Delete(obj);
out:
	free(s.pods);
	cm_buf_close(&path);
	ctl_op_release(op);
}

void ctl_endpoints_pod_event(struct ctl_endpoints *c, const void *old_pod, const void *pod)
{
	const struct cm_pod *o = old_pod, *p = pod;

	/* only what an Endpoints shows: IP, readiness, labels, ports, terminating, hostname */
	if (o && p && strcmp(o->pod_ip, p->pod_ip) == 0 && o->ready == p->ready && o->m.deleting == p->m.deleting &&
	    strcmp(o->phase, p->phase) == 0 && cm_json_equal(o->m.labels, p->m.labels) &&
	    strcmp(o->node_name, p->node_name) == 0 && !strcmp(o->hostname, p->hostname) &&
	    !strcmp(o->subdomain, p->subdomain))
		return;
	ctl_queue_selecting_services(c->base.m, c->base.q, o, p);
}

void ctl_endpoints_event(struct ctl_endpoints *c, const char *key)
{
	cm_workqueue_add(c->base.q, key);
}

int ctl_endpoints_start(struct ctl_manager *m, struct ctl_endpoints **out)
{
	struct ctl_endpoints *c = ctl_queued_new(m, sizeof(*c), m->cfg->workers, 50, reconcile);

	if (!c)
		return -ENOMEM;
	*out = c;
	return 0;
}

void ctl_endpoints_stop(struct ctl_endpoints *c)
{
	ctl_queued_free(&c->base);
}
