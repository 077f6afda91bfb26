/* kubelet_target.c: where a pod's subresource (log, exec) is served: the container checked, the kubelet's URL from the pod's Node. */
#include "apiserver/rest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/object.h"
#include "apiserver/status.h"
#include "common/json.h"

#define KUBELET_PORT 10250

struct target {
	struct api_ctx *c;
	const char *what;
	api_kubelet_target_cb cb;
	char *container;
	char *node;
};

static void target_free(struct target *t)
{
	free(t->container);
	free(t->node);
	free(t);
}

/* "pods/log: node \"n1\" <why>", as 503 */
static void reply_unavailable(struct target *t, const char *why, const char *fallback)
{
	struct cm_buf m = CM_BUF_INIT;

	cm_buf_printf(&m, "%s: node \"%s\" %s", t->what, t->node, why);
	api_ctx_reply_status(t->c, api_status_unavailable(m.data ? m.data : fallback));
	cm_buf_close(&m);
}

static void got_node(int err, const struct api_kv_result *r, void *ud)
{
	struct target *t = ud;
	struct api_ctx *c = t->c;
	const char *ip = NULL;
	struct cm_buf url = CM_BUF_INIT;
	const cJSON *a;
	cJSON *node;
	int64_t port;

	if (err == -ENOENT) {
		reply_unavailable(t, "of this pod is not registered", "node not registered");
		goto out;
	}
	if (err || !c->req) {
		api_ctx_reply_err(c, err ? err : -ECANCELED, NULL);
		goto out;
	}
	node = api_obj_parse_stored(r->kvs[0].value, r->kvs[0].value_len, r->kvs[0].mod_rev);
	cJSON_ArrayForEach(a, cm_json_get(node, "status.addresses")) {
		if (!ip || !strcmp(cm_json_str_or(a, "type", ""), "InternalIP"))
			ip = cm_json_get_str(a, "address");
	}
	port = cm_json_int64_or(node, "status.daemonEndpoints.kubeletEndpoint.Port", KUBELET_PORT);
	if (!ip) {
		reply_unavailable(t, "has no address for its kubelet", "no kubelet address");
	} else if (cm_buf_printf(&url, "%s://%s:%lld", c->srv->kubelet_https ? "https" : "http", ip,
				 (long long)port) < 0) {
		api_ctx_reply_err(c, -ENOMEM, NULL);
	} else {
		t->cb(c, url.data, t->container, t->node);
	}
	cJSON_Delete(node);
	cm_buf_close(&url);
out:
	target_free(t);
}

static void got_pod(int err, const struct api_kv_result *r, void *ud)
{
	struct target *t = ud;
	struct api_ctx *c = t->c;
	const char *want = c->req ? cm_http_req_query(c->req, "container") : NULL;
	const cJSON *cs, *it;
	struct cm_buf m = CM_BUF_INIT, names = CM_BUF_INIT, key = CM_BUF_INIT;
	cJSON *pod;
	int n = 0, rc;

	if (err) {
		api_ctx_reply_err(c, err, NULL);
		target_free(t);
		return;
	}
	pod = api_obj_parse_stored(r->kvs[0].value, r->kvs[0].value_len, r->kvs[0].mod_rev);
	cs = cm_json_get(pod, "spec.containers");
	cJSON_ArrayForEach(it, cs) {
		const char *name = cm_json_str_or(it, "name", "");

		cm_buf_printf(&names, "%s%s", n++ ? " " : "", name);
		if (want && *want && !strcmp(want, name))
			t->container = strdup(name);
	}
	if ((!want || !*want) && n == 1)
		t->container = strdup(cm_json_str_or(cs->child, "name", ""));
	t->node = strdup(cm_json_str_or(pod, "spec.nodeName", ""));
	cJSON_Delete(pod);
	/* kube-apiserver's words for each refusal, as 400 BadRequest */
	if (!t->container) {
		if (want && *want)
			cm_buf_printf(&m, "container %s is not valid for pod %s", want, c->name);
		else
			cm_buf_printf(&m, "a container name must be specified for pod %s, choose one of: [%s]", c->name,
				      names.data ? names.data : "");
	} else if (!t->node || !*t->node) {
		cm_buf_printf(&m, "pod %s does not have a host assigned", c->name);
	}
	cm_buf_close(&names);
	if (m.len) {
		api_ctx_reply_status(c, api_status_bad_request(m.data));
		cm_buf_close(&m);
		target_free(t);
		return;
	}
	rc = cm_buf_printf(&key, "/registry/nodes/%s", t->node);
	if (!rc)
		rc = api_storage_get(c->srv->store, key.data, got_node, t);
	cm_buf_close(&key);
	if (rc < 0) {
		api_ctx_reply_err(c, rc, NULL);
		target_free(t);
	}
}

void api_kubelet_target(struct api_ctx *c, const char *what, api_kubelet_target_cb cb)
{
	struct target *t = calloc(1, sizeof(*t));
	int rc;

	if (!t) {
		api_ctx_reply_err(c, -ENOMEM, NULL);
		return;
	}
	t->c = c;
	t->what = what;
	t->cb = cb;
	rc = api_resource_key(c->res, c->ns, c->name, &c->key);
	if (!rc)
		rc = api_storage_get(c->srv->store, c->key.data, got_pod, t);
	if (rc < 0) {
		api_ctx_reply_err(c, rc, NULL);
		free(t);
	}
}
