/* objview.c: reading pods and nodes into typed views (requests summed, quantities parsed once). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/objview.h"
#include "common/quantity.h"
#include "common/timeutil.h"

static char *sdup(const cJSON *o, const char *path, int *bad)
{
	char *s = strdup(cm_json_str_or(o, path, ""));
	if (!s)
		*bad = 1;
	return s;
}

static cJSON *jdup(const cJSON *o, const char *path, int *bad)
{
	cJSON *j = cm_json_get(o, path);
	if (!j || cJSON_IsNull(j))
		return NULL;
	j = cm_json_copy(j);
	if (!j)
		*bad = 1;
	return j;
}

int cm_meta_read(const cJSON *obj, struct cm_meta *m)
{
	int bad = 0;
	const cJSON *ref, *refs = cm_json_get(obj, "metadata.ownerReferences");
	const cJSON *owner = NULL;
	const char *ts;

	memset(m, 0, sizeof(*m));
	m->name = sdup(obj, "metadata.name", &bad);
	m->ns = sdup(obj, "metadata.namespace", &bad);
	m->uid = sdup(obj, "metadata.uid", &bad);
	m->rv = sdup(obj, "metadata.resourceVersion", &bad);
	m->generation = cm_json_int64_or(obj, "metadata.generation", 0);
	m->deleting = cm_json_get(obj, "metadata.deletionTimestamp") != NULL;
	m->labels = jdup(obj, "metadata.labels", &bad);
	cJSON_ArrayForEach(ref, refs) {
		cJSON *c = cJSON_GetObjectItemCaseSensitive(ref, "controller");
		if (cJSON_IsTrue(c))
			owner = ref;
	}
	m->owner_kind = sdup(owner, "kind", &bad);
	m->owner_name = sdup(owner, "name", &bad);
	m->owner_uid = sdup(owner, "uid", &bad);
	ts = cm_json_get_str(obj, "metadata.creationTimestamp");
	if (ts)
		cm_time_parse(ts, &m->created_ms);
	if (bad) {
		cm_meta_close(m);
		return -ENOMEM;
	}
	return 0;
}

void cm_meta_close(struct cm_meta *m)
{
	free(m->name);
	free(m->ns);
	free(m->uid);
	free(m->rv);
	cJSON_Delete(m->labels);
	free(m->owner_kind);
	free(m->owner_name);
	free(m->owner_uid);
	memset(m, 0, sizeof(*m));
}

static int64_t qty_milli(const cJSON *o, const char *path)
{
	const char *s = cm_json_get_str(o, path);
	int64_t v = 0;

	if (s)
		cm_quantity_parse_milli(s, &v);
	else if (cJSON_IsNumber(cm_json_get(o, path)))
		v = (int64_t)(cm_json_get(o, path)->valuedouble * 1000);
	return v;
}

static bool cond_is(const cJSON *obj, const char *type, const char *status, char **status_out, int *bad)
{
	const cJSON *c, *conds = cm_json_get(obj, "status.conditions");

	cJSON_ArrayForEach(c, conds) {
		if (strcmp(cm_json_str_or(c, "type", ""), type) == 0) {
			const char *s = cm_json_str_or(c, "status", "");
			if (status_out) {
				*status_out = strdup(s);
				if (!*status_out)
					*bad = 1;
			}
			return strcmp(s, status) == 0;
		}
	}
	if (status_out) {
		*status_out = strdup("");
		if (!*status_out)
			*bad = 1;
	}
	return false;
}

int cm_pod_decode(const cJSON *obj, void **out)
{
	struct cm_pod *p = calloc(1, sizeof(*p));
	const cJSON *c, *ports, *port, *tol;
	int bad = 0;
	size_t i = 0;

	if (!p || cm_meta_read(obj, &p->m)) {
		free(p);
		return -ENOMEM;
	}
	p->node_name = sdup(obj, "spec.nodeName", &bad);
	p->scheduler_name = sdup(obj, "spec.schedulerName", &bad);
	p->phase = sdup(obj, "status.phase", &bad);
	p->pod_ip = sdup(obj, "status.podIP", &bad);
	p->host_ip = sdup(obj, "status.hostIP", &bad);
	p->image = sdup(obj, "spec.containers.0.image", &bad);
	p->hostname = sdup(obj, "spec.hostname", &bad);
	p->subdomain = sdup(obj, "spec.subdomain", &bad);
	p->ready = cond_is(obj, "Ready", "True", NULL, &bad);
	{
		const cJSON *cc, *conds = cm_json_get(obj, "status.conditions");
		cJSON_ArrayForEach(cc, conds)
			if (strcmp(cm_json_str_or(cc, "type", ""), "PodScheduled") == 0 &&
			    strcmp(cm_json_str_or(cc, "status", ""), "False") == 0)
				p->unschedulable = true;
	}
	p->node_selector = jdup(obj, "spec.nodeSelector", &bad);
	cJSON_ArrayForEach(c, cm_json_get(obj, "spec.containers")) {
		p->cpu_milli += qty_milli(c, "resources.requests.cpu");
		p->mem_milli += qty_milli(c, "resources.requests.memory");
		ports = cJSON_GetObjectItemCaseSensitive(c, "ports");
		cJSON_ArrayForEach(port, ports) {
			if (cm_json_int64_or(port, "hostPort", 0) > 0)
				p->nports++;
			if (!p->ports && !(p->ports = cJSON_CreateArray()))
				bad = 1;
			if (p->ports) {
				cJSON *cp = cm_json_copy(port);
				if (!cp)
					bad = 1;
				else
					cJSON_AddItemToArray(p->ports, cp);
			}
		}
	}
	if (p->nports) {
		p->host_ports = calloc(p->nports, sizeof(int));
		if (!p->host_ports)
			bad = 1;
		cJSON_ArrayForEach(c, cm_json_get(obj, "spec.containers"))
			cJSON_ArrayForEach(port, cJSON_GetObjectItemCaseSensitive(c, "ports"))
				if (p->host_ports && cm_json_int64_or(port, "hostPort", 0) > 0)
					p->host_ports[i++] = (int)cm_json_int64_or(port, "hostPort", 0);
	}
	p->ntols = (size_t)cJSON_GetArraySize(cm_json_get(obj, "spec.tolerations"));
	if (p->ntols) {
		p->tols = calloc(p->ntols, sizeof(*p->tols));
		if (!p->tols) {
			bad = 1;
			p->ntols = 0;
		}
		i = 0;
		cJSON_ArrayForEach(tol, cm_json_get(obj, "spec.tolerations")) {
			if (i >= p->ntols)
				break;
			p->tols[i].key = sdup(tol, "key", &bad);
			p->tols[i].op = sdup(tol, "operator", &bad);
			p->tols[i].value = sdup(tol, "value", &bad);
			p->tols[i].effect = sdup(tol, "effect", &bad);
			i++;
		}
	}
	if (bad) {
		cm_pod_free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

void cm_pod_free(void *pod)
{
	struct cm_pod *p = pod;

	if (!p)
		return;
	cm_meta_close(&p->m);
	free(p->node_name);
	free(p->scheduler_name);
	free(p->phase);
	free(p->pod_ip);
	free(p->host_ip);
	free(p->image);
	free(p->hostname);
	free(p->subdomain);
	cJSON_Delete(p->node_selector);
	for (size_t i = 0; i < p->ntols; i++) {
		free(p->tols[i].key);
		free(p->tols[i].op);
		free(p->tols[i].value);
		free(p->tols[i].effect);
	}
	free(p->tols);
	free(p->host_ports);
	cJSON_Delete(p->ports);
	free(p);
}

int cm_node_decode(const cJSON *obj, void **out)
{
	struct cm_node *n = calloc(1, sizeof(*n));
	const cJSON *t, *a;
	int bad = 0;
	size_t i = 0;

	if (!n || cm_meta_read(obj, &n->m)) {
		free(n);
		return -ENOMEM;
	}
	n->ready = cond_is(obj, "Ready", "True", &n->ready_status, &bad);
	n->unschedulable = cJSON_IsTrue(cm_json_get(obj, "spec.unschedulable"));
	n->cpu_milli = qty_milli(obj, "status.allocatable.cpu");
	n->mem_milli = qty_milli(obj, "status.allocatable.memory");
	n->pods = qty_milli(obj, "status.allocatable.pods") / 1000;
	if (!cm_json_get(obj, "status.allocatable.pods"))
		n->pods = 110;
	n->ntaints = (size_t)cJSON_GetArraySize(cm_json_get(obj, "spec.taints"));
	if (n->ntaints) {
		n->taints = calloc(n->ntaints, sizeof(*n->taints));
		if (!n->taints) {
			bad = 1;
			n->ntaints = 0;
		}
		cJSON_ArrayForEach(t, cm_json_get(obj, "spec.taints")) {
			if (i >= n->ntaints)
				break;
			n->taints[i].key = sdup(t, "key", &bad);
			n->taints[i].value = sdup(t, "value", &bad);
			n->taints[i].effect = sdup(t, "effect", &bad);
			i++;
		}
	}
	n->address = NULL;
	cJSON_ArrayForEach(a, cm_json_get(obj, "status.addresses"))
		if (!n->address && strcmp(cm_json_str_or(a, "type", ""), "InternalIP") == 0)
			n->address = sdup(a, "address", &bad);
	if (!n->address)
		n->address = sdup(NULL, "", &bad);
	if (bad) {
		cm_node_free(n);
		return -ENOMEM;
	}
	*out = n;
	return 0;
}

void cm_node_free(void *node)
{
	struct cm_node *n = node;

	if (!n)
		return;
	cm_meta_close(&n->m);
	free(n->ready_status);
	for (size_t i = 0; i < n->ntaints; i++) {
		free(n->taints[i].key);
		free(n->taints[i].value);
		free(n->taints[i].effect);
	}
	free(n->taints);
	free(n->address);
	free(n);
}

const char *cm_pod_index_node(const void *pod)
{
	const struct cm_pod *p = pod;
	return *p->node_name ? p->node_name : NULL;
}

const char *cm_pod_index_owner(const void *pod)
{
	const struct cm_pod *p = pod;
	return *p->m.owner_uid ? p->m.owner_uid : NULL;
}

const char *cm_meta_index_ns(const void *view)
{
	const struct cm_meta *m = view;
	return *m->ns ? m->ns : NULL;
}

bool cm_toleration_tolerates(const struct cm_toleration *t, const struct cm_taint *taint)
{
	if (*t->effect && strcmp(t->effect, taint->effect) != 0)
		return false;
	if (*t->key && strcmp(t->key, taint->key) != 0)
		return false;
	if (strcmp(t->op, "Exists") == 0)
		return true; /* an empty key with Exists tolerates everything */
	if (!*t->key)
		return false;
	return strcmp(t->value, taint->value) == 0;
}

bool cm_pod_tolerates(const struct cm_pod *p, const struct cm_taint *taint)
{
	for (size_t i = 0; i < p->ntols; i++)
		if (cm_toleration_tolerates(&p->tols[i], taint))
			return true;
	return false;
}

bool cm_pod_terminal(const struct cm_pod *p)
{
	return strcmp(p->phase, "Succeeded") == 0 || strcmp(p->phase, "Failed") == 0;
}
