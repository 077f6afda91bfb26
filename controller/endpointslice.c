/* endpointslice.c: the EndpointSlice controller: every Service with a selector gets slices of its pods' endpoints. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "controller/endpoints.h"
#include "controller/endpointslice.h"
#include "controller/manager.h"
#include "controller/queued.h"
#include "controller/selection.h"

#define MAX_PORTS 32

static int cmp_ip(const void *a, const void *b)
{
	const struct cm_pod *x = *(const struct cm_pod *const *)a, *y = *(const struct cm_pod *const *)b;
	int c = strcmp(x->pod_ip, y->pod_ip);

	return c ? c : strcmp(x->m.name, y->m.name);
}

/* Five characters from Kubernetes' generateName alphabet, drawn from a hash of what names the slice. */
static void suffix(const char *uid, const char *ports, int chunk, char out[6])
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	uint64_t h = 1469598103934665603ull;
	char c[16];

	snprintf(c, sizeof(c), "/%d", chunk);
	for (const char *s = uid; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	for (const char *s = ports; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	for (const char *s = c; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	for (int i = 0; i < 5; i++, h /= sizeof(alphabet) - 1)
		out[i] = alphabet[h % (sizeof(alphabet) - 1)];
	out[5] = '\0';
}

static cJSON *endpoint(const cJSON *svc, const struct cm_pod *p)
{
	bool publish_not_ready = cJSON_IsTrue(cm_json_get(svc, "spec.publishNotReadyAddresses"));
	const char *host = ctl_endpoint_hostname(svc, p);
	cJSON *e = cJSON_CreateObject(), *addrs, *cond, *ref;

	if (!e || !(addrs = cJSON_AddArrayToObject(e, "addresses")) ||
	    !cJSON_AddItemToArray(addrs, cJSON_CreateString(p->pod_ip)) ||
	    !(cond = cJSON_AddObjectToObject(e, "conditions")) ||
	    !cJSON_AddBoolToObject(cond, "ready", publish_not_ready || (p->ready && !p->m.deleting)) ||
	    !cJSON_AddBoolToObject(cond, "serving", p->ready) ||
	    !cJSON_AddBoolToObject(cond, "terminating", p->m.deleting) ||
	    (host && !cJSON_AddStringToObject(e, "hostname", host)) ||
	    (*p->node_name && !cJSON_AddStringToObject(e, "nodeName", p->node_name)) ||
	    !(ref = cJSON_AddObjectToObject(e, "targetRef")) || !cJSON_AddStringToObject(ref, "kind", "Pod") ||
	    !cJSON_AddStringToObject(ref, "namespace", p->m.ns) || !cJSON_AddStringToObject(ref, "name", p->m.name) ||
	    !cJSON_AddStringToObject(ref, "uid", p->m.uid)) {
		cJSON_Delete(e);
		return NULL;
	}
	return e;
}

/* The slice's ports for the resolved numbers res (0: the pod has no such port), and their key. */
static cJSON *ports_for(const cJSON *svc_ports, const int *res, int np, struct cm_buf *key)
{
	cJSON *ports = cJSON_CreateArray(), *ep;
	const cJSON *sp;
	int i = 0;

	cJSON_ArrayForEach(sp, svc_ports) {
		const char *name = cm_json_str_or(sp, "name", ""), *proto = cm_json_str_or(sp, "protocol", "TCP");
		const char *app = cm_json_get_str(sp, "appProtocol");

		if (i >= np)
			break;
		if (!res[i++])
			continue;
		if (!ports || !(ep = cJSON_CreateObject()) || !cJSON_AddItemToArray(ports, ep) ||
		    !cJSON_AddStringToObject(ep, "name", name) || !cJSON_AddNumberToObject(ep, "port", res[i - 1]) ||
		    !cJSON_AddStringToObject(ep, "protocol", proto) ||
		    (app && !cJSON_AddStringToObject(ep, "appProtocol", app)) ||
		    cm_buf_printf(key, "%s:%d/%s;", name, res[i - 1], proto) < 0) {
			cJSON_Delete(ports);
			return NULL;
		}
	}
	return ports;
}

static cJSON *labels_for(const cJSON *svc)
{
	cJSON *l = cm_json_copy(cm_json_get(svc, "metadata.labels"));

	if (!cJSON_IsObject(l)) {
		cJSON_Delete(l);
		l = cJSON_CreateObject();
	}
	if (!l)
		return NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(l, CTL_SLICE_SERVICE_LABEL);
	cJSON_DeleteItemFromObjectCaseSensitive(l, CTL_SLICE_MANAGED_BY_LABEL);
	cJSON_DeleteItemFromObjectCaseSensitive(l, "service.kubernetes.io/headless");
	if (!cJSON_AddStringToObject(l, CTL_SLICE_SERVICE_LABEL, cm_json_str_or(svc, "metadata.name", "")) ||
	    !cJSON_AddStringToObject(l, CTL_SLICE_MANAGED_BY_LABEL, CTL_SLICE_MANAGER) ||
	    (!strcmp(cm_json_str_or(svc, "spec.clusterIP", ""), "None") &&
	     !cJSON_AddStringToObject(l, "service.kubernetes.io/headless", ""))) {
		cJSON_Delete(l);
		return NULL;
	}
	return l;
}

/* A whole slice of svc named for (key, chunk) holding ports and endpoints (both taken, also on failure). */
static cJSON *slice(const cJSON *svc, const char *key, int chunk, cJSON *ports, cJSON *endpoints)
{
	cJSON *s = cJSON_CreateObject();
	char sfx[6];
	struct cm_buf name = CM_BUF_INIT;
	int rc;

	suffix(cm_json_str_or(svc, "metadata.uid", ""), key, chunk, sfx);
	rc = !s || cm_buf_printf(&name, "%s-%s", cm_json_str_or(svc, "metadata.name", ""), sfx) < 0;
	rc = rc || !cJSON_AddStringToObject(s, "apiVersion", "discovery.k8s.io/v1") ||
	     !cJSON_AddStringToObject(s, "kind", "EndpointSlice");
	rc = rc || cm_json_set_str(s, "metadata.name", name.data) < 0 ||
	     cm_json_set_str(s, "metadata.namespace", cm_json_str_or(svc, "metadata.namespace", "default")) < 0 ||
	     cm_json_set(s, "metadata.labels", labels_for(svc)) < 0 ||
	     cm_json_set(s, "metadata.ownerReferences", ctl_owner_refs(svc, "v1", "Service")) < 0 ||
	     !cJSON_AddStringToObject(s, "addressType", "IPv4");
	cm_buf_close(&name);
	if (rc) {
		cJSON_Delete(s);
		cJSON_Delete(ports);
		cJSON_Delete(endpoints);
		return NULL;
	}
	cJSON_AddItemToObject(s, "endpoints", endpoints);
	cJSON_AddItemToObject(s, "ports", ports);
	return s;
}

/* Pods grouped by resolved ports: key text, ports, endpoints (in IP order). */
struct group {
	char *key;
	cJSON *ports, *endpoints;
};

static void groups_free(struct group *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(g[i].key);
		cJSON_Delete(g[i].ports);
		cJSON_Delete(g[i].endpoints);
	}
	free(g);
}

/* Adds p's endpoint to the group of its ports; 0 or -ENOMEM. */
static int add_to_group(struct group **gs, size_t *ng, const cJSON *svc, const struct cm_pod *p, const int *res,
			int np)
{
	struct cm_buf key = CM_BUF_INIT;
	cJSON *ports = ports_for(cm_json_get(svc, "spec.ports"), res, np, &key), *e;
	struct group *g = NULL, *grown;

	if (!ports)
		goto fail;
	for (size_t i = 0; i < *ng && !g; i++)
		if (!strcmp((*gs)[i].key, key.data ? key.data : ""))
			g = &(*gs)[i];
	if (!g) {
		if (!(grown = realloc(*gs, (*ng + 1) * sizeof(*grown))))
			goto fail;
		*gs = grown;
		g = &grown[*ng];
		g->key = cm_buf_take(&key);
		if (!g->key && !(g->key = strdup("")))
			goto fail;
		if (!(g->endpoints = cJSON_CreateArray())) {
			free(g->key);
			goto fail;
		}
		g->ports = ports;
		ports = NULL;
		(*ng)++;
	}
	cJSON_Delete(ports);
	cm_buf_close(&key);
	if (!(e = endpoint(svc, p)))
		return -ENOMEM;
	cJSON_AddItemToArray(g->endpoints, e);
	return 0;
fail:
	cJSON_Delete(ports);
	cm_buf_close(&key);
	return -ENOMEM;
}

/* Splits each group into slices of at most CTL_SLICE_MAX_ENDPOINTS, appended to out. */
static int slices_of(const cJSON *svc, struct group *g, cJSON *out)
{
	int chunk = 0;

	do {
		cJSON *eps = cJSON_CreateArray(), *ports = cm_json_copy(g->ports), *s;

		for (int k = 0; eps && k < CTL_SLICE_MAX_ENDPOINTS && g->endpoints->child; k++)
			cJSON_AddItemToArray(eps, cJSON_DetachItemViaPointer(g->endpoints, g->endpoints->child));
		if (!eps || !ports || !(s = slice(svc, g->key, chunk++, ports, eps))) {
			if (!eps || !ports) {
				cJSON_Delete(eps);
				cJSON_Delete(ports);
			}
			return -ENOMEM;
		}
		cJSON_AddItemToArray(out, s);
	} while (g->endpoints->child);
	return 0;
}

cJSON *ctl_endpointslices_desired(const cJSON *svc, const struct cm_pod *const *pods, size_t n)
{
	const cJSON *ports = cm_json_get(svc, "spec.ports"), *sp;
	const struct cm_pod **sorted = n ? malloc(n * sizeof(*sorted)) : NULL;
	cJSON *out = cJSON_CreateArray();
	struct group *gs = NULL;
	size_t ng = 0;
	int np = 0;

	if (!out || (n && !sorted))
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

		/* an IPv4 cluster: IPv4 slices only */
		if (!*p->pod_ip || strchr(p->pod_ip, ':') || cm_pod_terminal(p))
			continue;
		cJSON_ArrayForEach(sp, ports) {
			if (i >= np)
				break;
			res[i] = ctl_endpoints_target_port(sp, p);
			any |= res[i++] != 0;
		}
		if (any && add_to_group(&gs, &ng, svc, p, res, np) < 0)
			goto fail;
	}
	for (size_t i = 0; i < ng; i++)
		if (slices_of(svc, &gs[i], out) < 0)
			goto fail;
	if (!ng) {
		cJSON *s = slice(svc, "", 0, cJSON_CreateArray(), cJSON_CreateArray());

		if (!s || !cJSON_GetObjectItemCaseSensitive(s, "ports") || !cJSON_GetObjectItemCaseSensitive(s, "endpoints")) {
			cJSON_Delete(s);
			goto fail;
		}
		cJSON_AddItemToArray(out, s);
	}
	groups_free(gs, ng);
	free(sorted);
	return out;
fail:
	groups_free(gs, ng);
	free(sorted);
	cJSON_Delete(out);
	return NULL;
}

bool ctl_endpointslice_managed(const cJSON *slice, const char *service)
{
	const cJSON *l = cm_json_get(slice, "metadata.labels");
	const cJSON *svc = cJSON_GetObjectItemCaseSensitive(l, CTL_SLICE_SERVICE_LABEL);
	const cJSON *by = cJSON_GetObjectItemCaseSensitive(l, CTL_SLICE_MANAGED_BY_LABEL);

	return cJSON_IsString(svc) && cJSON_IsString(by) && !strcmp(by->valuestring, CTL_SLICE_MANAGER) &&
	       (!service || !strcmp(svc->valuestring, service));
}

bool ctl_endpointslice_same(const cJSON *existing, const cJSON *desired)
{
	static const char *const paths[] = {"metadata.labels", "metadata.ownerReferences", "addressType", "endpoints",
					    "ports"};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const cJSON *a = cm_json_get(existing, paths[i]), *b = cm_json_get(desired, paths[i]);

		/* an empty list reads back as absent or null from other writers */
		if (cJSON_IsArray(b) && !b->child && (!a || cJSON_IsNull(a) || (cJSON_IsArray(a) && !a->child)))
			continue;
		if (!a || !cm_json_equal(a, b))
			return false;
	}
	return true;
}

/* --- the controller --- */

struct ctl_endpointslice {
	struct ctl_queued base;
};

struct found {
	const char *service;
	struct ctl_selected pods;
	const void **s; /* the Service's managed slices (trees) */
	size_t ns, scap;
};

/* Room for one more pointer in *v (n used of *cap); 0 or -ENOMEM. */
static int grow(const void ***v, size_t *cap, size_t n)
{
	const void **nv;
	size_t c = *cap ? *cap * 2 : 16;

	if (n < *cap)
		return 0;
	if (!(nv = realloc(*v, c * sizeof(*nv))))
		return -ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

static int select_slice(const char *key, const void *view, void *ud)
{
	struct found *f = ud;

	(void)key;
	if (!ctl_endpointslice_managed(view, f->service))
		return 0;
	if (grow(&f->s, &f->scap, f->ns))
		return 1;
	f->s[f->ns++] = view;
	return 0;
}

static void slice_path(struct cm_buf *path, const char *ns, const char *name)
{
	cm_buf_reset(path);
	cm_api_path(path, "discovery.k8s.io/v1", "endpointslices", ns, name);
}

static void reconcile(struct cm_workqueue *q, const char *key, void *ud)
{
	struct ctl_endpointslice *c = ud;
	const cJSON *svc = cm_informer_get(c->base.m->svcs, key), *sel = cm_json_get(svc, "spec.selector");
	struct found f = {0};
	struct cm_buf path = CM_BUF_INIT, ns = CM_BUF_INIT;
	const char *slash = strchr(key, '/');
	struct ctl_op *op;
	cJSON *want = NULL, *d;

	/* no selector (the user writes its slices) or ExternalName: nothing of ours to keep */
	if (!slash || (svc && (!cJSON_IsObject(sel) || !sel->child ||
			       !strcmp(cm_json_str_or(svc, "spec.type", ""), "ExternalName")))) {
		cm_workqueue_done(q, key, 0);
		return;
	}
	if (!(op = ctl_op_new(c->base.m, q, key)))
		return;
	if (cm_buf_printf(&ns, "%.*s", (int)(slash - key), key) < 0) {
		op->err = -ENOMEM;
		goto out;
	}
	f.service = slash + 1;
	if (cm_informer_index_foreach(c->base.m->slices, "ns", ns.data, select_slice, &f) ||
	    (svc && ctl_select_pods(c->base.m, ns.data, sel, &f.pods) < 0) ||
	    (svc && !(want = ctl_endpointslices_desired(svc, f.pods.pods, f.pods.n)))) {
		op->err = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(d, want) {
		const char *name = cm_json_get_str(d, "metadata.name");
		const cJSON *have = NULL;

		for (size_t i = 0; i < f.ns && !have; i++)
			if (f.s[i] && !strcmp(cm_json_str_or(f.s[i], "metadata.name", ""), name)) {
				have = f.s[i];
				f.s[i] = NULL; /* kept */
			}
		if (have && ctl_endpointslice_same(have, d))
			continue;
		if (have)
			cm_json_set_str(d, "metadata.resourceVersion", cm_json_str_or(have, "metadata.resourceVersion", ""));
		slice_path(&path, ns.data, have ? name : NULL);
		ctl_op_write(c->base.m, op, have ? "PUT" : "POST", path.data, d);
	}
	for (size_t i = 0; i < f.ns; i++) {
		if (!f.s[i])
			continue;
		slice_path(&path, ns.data, cm_json_str_or(f.s[i], "metadata.name", ""));
		ctl_op_write(c->base.m, op, "DELETE", path.data, NULL);
	}
out:
	cJSON_Delete(want);
	free(f.pods.pods);
	free(f.s);
	cm_buf_close(&path);
	cm_buf_close(&ns);
	ctl_op_release(op);
}

void ctl_endpointslice_pod_event(struct ctl_endpointslice *c, const void *old_pod, const void *pod)
{
	const struct cm_pod *o = old_pod, *p = pod;

	/* only what a slice shows: IP, readiness, labels, ports, terminating, node, hostname */
	if (o && p && strcmp(o->pod_ip, p->pod_ip) == 0 && o->ready == p->ready && o->m.deleting == p->m.deleting &&
	    strcmp(o->phase, p->phase) == 0 && cm_json_equal(o->m.labels, p->m.labels) &&
	    strcmp(o->node_name, p->node_name) == 0 && cm_json_equal(o->ports, p->ports) &&
	    !strcmp(o->hostname, p->hostname) && !strcmp(o->subdomain, p->subdomain))
		return;
	ctl_queue_selecting_services(c->base.m, c->base.q, o, p);
}

void ctl_endpointslice_event(struct ctl_endpointslice *c, const char *key)
{
	cm_workqueue_add(c->base.q, key);
}

void ctl_endpointslice_slice_event(struct ctl_endpointslice *c, const cJSON *slice)
{
	const cJSON *svc = cJSON_GetObjectItemCaseSensitive(cm_json_get(slice, "metadata.labels"), CTL_SLICE_SERVICE_LABEL);
	struct cm_buf key = CM_BUF_INIT;

	if (!ctl_endpointslice_managed(slice, NULL))
		return;
	if (cm_buf_printf(&key, "%s/%s", cm_json_str_or(slice, "metadata.namespace", ""), svc->valuestring) == 0)
		cm_workqueue_add(c->base.q, key.data);
	cm_buf_close(&key);
}

int ctl_endpointslice_start(struct ctl_manager *m, struct ctl_endpointslice **out)
{
	struct ctl_endpointslice *c = ctl_queued_new(m, sizeof(*c), m->cfg->workers, 50, reconcile);

	if (!c)
		return -ENOMEM;
	*out = c;
	return 0;
}

void ctl_endpointslice_stop(struct ctl_endpointslice *c)
{
	ctl_queued_free(&c->base);
}
