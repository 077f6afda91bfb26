/* apply_fields.c: server-side apply refuses a configuration with unknown fields, worded as Kubernetes' typed conversion fails. */
#include "apiserver/apply.h"

#include <errno.h>
#include <string.h>

#include "apiserver/field_check.h"
#include "apiserver/managed_fields.h"
#include "apiserver/rest.h"
#include "apiserver/status.h"
#include "common/json.h"

#define MAX_DEPTH 64

/* The walk of the configuration's field set beside the set of its known fields. */
struct unknown_walk {
	const char *elems[MAX_DEPTH]; /* path elements ("f:spec", "k:{...}") down to the node looked at */
	int depth;
	struct cm_buf *msg;
	int n;
};

static int add_path(const char *path, void *ud)
{
	struct unknown_walk *w = ud;

	w->n++;
	return cm_buf_printf(w->msg, "%c%s: field not declared in schema", 0, path);
}

/* Prints the path of w's current node as Kubernetes does (".spec.containers[name=\"c\"].x"), through a one-member set. */
static int report(struct unknown_walk *w)
{
	cJSON *set = cJSON_CreateObject(), *at = set;
	int rc = -ENOMEM;

	for (int i = 0; at && i < w->depth; i++)
		at = cJSON_AddObjectToObject(at, w->elems[i]);
	if (at && cJSON_AddObjectToObject(at, "."))
		rc = api_mf_each_path(set, add_path, w);
	cJSON_Delete(set);
	return rc;
}

/* Each member of all (the configuration's set) that known lacks is reported, not what is below it. */
static int diff(struct unknown_walk *w, const cJSON *all, const cJSON *known)
{
	const cJSON *m;
	int rc = 0;

	cJSON_ArrayForEach(m, all)
	{
		const cJSON *k;

		if (!strcmp(m->string, ".") || w->depth == MAX_DEPTH)
			continue;
		k = cJSON_GetObjectItemCaseSensitive(known, m->string);
		w->elems[w->depth++] = m->string;
		rc = k ? diff(w, m, k) : report(w);
		w->depth--;
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Paths of the problems the field walk found ("unknown field \"spec.x\"" -> ".spec.x"): inside atomic lists. */
static int from_problems(const struct api_field_problems *p, struct unknown_walk *w)
{
	int rc = 0;

	for (const char *s = NULL; !rc && (s = api_field_problems_next(p, s));) {
		const char *q = strchr(s, '"');
		size_t n = q ? strlen(q + 1) : 0;

		if (n < 1)
			continue;
		w->n++;
		rc = cm_buf_printf(w->msg, "%c.%.*s: field not declared in schema", 0, (int)(n - 1), q + 1);
	}
	return rc;
}

/* "ns/name; group/version, Kind=Kind" of the configuration, as Kubernetes names the object it could not type. */
static int object_id(const cJSON *cfg, struct cm_buf *out)
{
	const char *av = cm_json_str_or(cfg, "apiVersion", ""), *slash = strchr(av, '/');

	return cm_buf_printf(out, "%s/%s; %.*s/%s, Kind=%s", cm_json_str_or(cfg, "metadata.namespace", ""),
			     cm_json_str_or(cfg, "metadata.name", ""), slash ? (int)(slash - av) : 0, av,
			     slash ? slash + 1 : av, cm_json_str_or(cfg, "kind", ""));
}

/* The Status of w's findings: one "path: why", or "errors:" and each on its own indented line. */
static cJSON *status_of(const cJSON *cfg, const struct unknown_walk *w)
{
	struct cm_buf m = CM_BUF_INIT;
	const char *p = w->msg->data;
	cJSON *st = NULL;
	int rc = cm_buf_puts(&m, "failed to create typed patch object (");

	rc = rc ? rc : object_id(cfg, &m);
	rc = rc ? rc : cm_buf_puts(&m, "): ");
	if (!rc && w->n > 1)
		rc = cm_buf_puts(&m, "errors:");
	/* the messages are NUL-led in w->msg */
	for (int i = 0; !rc && i < w->n; i++, p += strlen(p + 1) + 1)
		rc = cm_buf_printf(&m, "%s%s", w->n > 1 ? "\n  " : "", p + 1);
	/* Kubernetes answers this as an error it did not classify: 500, no reason */
	if (!rc)
		st = api_status_new(500, NULL, m.data);
	cm_buf_close(&m);
	return st ? st : api_status_internal("out of memory");
}

cJSON *api_apply_unknown_fields(struct api_ctx *c)
{
	struct api_field_problems found;
	struct cm_buf msg = CM_BUF_INIT;
	struct unknown_walk w = {.msg = &msg};
	cJSON *known = cm_json_copy(c->body), *all = NULL, *kept = NULL, *st = NULL;
	int rc = known ? 0 : -ENOMEM;

	api_field_problems_init(&found);
	if (!rc)
		rc = api_field_check_walk(c->srv->fields, c->srv->kind_schema[c->res->index], known, API_FIELD_PRUNE,
					  &found);
	if (rc || !found.n)
		goto out;
	rc = api_mf_set_of(c->body, false, &all);
	rc = rc ? rc : api_mf_set_of(known, false, &kept);
	rc = rc ? rc : diff(&w, all, kept);
	if (!rc && !w.n)
		rc = from_problems(&found, &w);
	if (!rc && w.n)
		st = status_of(c->body, &w);
out:
	if (rc < 0)
		st = api_status_internal("out of memory");
	api_field_problems_close(&found);
	cm_buf_close(&msg);
	cJSON_Delete(known);
	cJSON_Delete(all);
	cJSON_Delete(kept);
	return st;
}
