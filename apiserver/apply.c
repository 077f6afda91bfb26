/* apply.c: server-side apply (merge, prune, conflicts) and the Update entries of managedFields every other write records. */
#include "apiserver/apply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/field_error.h"
#include "apiserver/managed_entries.h"
#include "apiserver/managed_fields.h"
#include "apiserver/object.h"
#include "apiserver/rest.h"
#include "apiserver/status.h"
#include "common/json.h"
#include "common/smpatch.h"
#include "common/timeutil.h"

#define FIELD_MANAGER_MAX 128

/* One manager's fields that an apply would change. */
struct conflict {
	struct api_mf_entry *e;
	cJSON *set;
};

struct cause_ctx {
	cJSON *causes;
	struct cm_buf *msg;
	const char *who;
	bool list; /* the message lists paths under each manager */
	int n;
};

static int add_cause(const char *path, void *ud)
{
	struct cause_ctx *k = ud;
	cJSON *c = cJSON_CreateObject();
	struct cm_buf m = CM_BUF_INIT;
	int rc = cm_buf_printf(&m, "conflict with %s", k->who);

	if (!rc && (!c || !cJSON_AddStringToObject(c, "type", "FieldManagerConflict") ||
		    !cJSON_AddStringToObject(c, "message", m.data) || !cJSON_AddStringToObject(c, "field", path) ||
		    !cJSON_AddItemToArray(k->causes, c)))
		rc = -ENOMEM;
	else
		c = NULL;
	cJSON_Delete(c);
	cm_buf_close(&m);
	if (!rc && k->list)
		rc = cm_buf_printf(k->msg, "\n- %s", path);
	else if (!rc)
		rc = cm_buf_printf(k->msg, "%s", path);
	k->n++;
	return rc;
}

static int count_path(const char *path, void *ud)
{
	(void)path;
	(*(int *)ud)++;
	return 0;
}

static int by_manager(const void *a, const void *b)
{
	return strcmp(((const struct conflict *)a)->e->manager, ((const struct conflict *)b)->e->manager);
}

/*
 * 409 as Kubernetes words it: "Apply failed with 1 conflict: conflict with
 * \"m\" using apps/v1: .spec.replicas", or for several, per manager (sorted)
 * "conflicts with \"m\":" and a "- path" line each; a FieldManagerConflict
 * cause per field.
 */
static cJSON *conflict_status(struct conflict *cs, size_t n)
{
	struct cm_buf msg = CM_BUF_INIT, who = CM_BUF_INIT;
	cJSON *st = NULL, *details = NULL, *causes = cJSON_CreateArray();
	int total = 0, rc = causes ? 0 : -ENOMEM;

	qsort(cs, n, sizeof(*cs), by_manager);
	for (size_t i = 0; i < n; i++)
		api_mf_each_path(cs[i].set, count_path, &total);
	rc = rc ? rc : cm_buf_printf(&msg, "Apply failed with %d conflict%s: ", total, total == 1 ? "" : "s");
	for (size_t i = 0; i < n && !rc; i++) {
		struct cause_ctx k = {.causes = causes, .msg = &msg, .list = total > 1};

		cm_buf_reset(&who);
		rc = api_mf_entry_describe(cs[i].e, &who);
		k.who = who.data;
		if (!rc && total > 1)
			rc = cm_buf_printf(&msg, "%sconflicts with %s:", i ? "\n" : "", who.data);
		else if (!rc)
			rc = cm_buf_printf(&msg, "conflict with %s: ", who.data);
		if (!rc)
			rc = api_mf_each_path(cs[i].set, add_cause, &k);
	}
	if (!rc && (st = api_status_new(409, "Conflict", msg.data))) {
		cJSON_DeleteItemFromObjectCaseSensitive(st, "details");
		details = cJSON_CreateObject();
		if (details && cJSON_AddItemToObject(details, "causes", causes)) {
			causes = NULL;
			/* Kubernetes' order: details before code */
			cJSON_DeleteItemFromObjectCaseSensitive(st, "code");
			if (!cJSON_AddItemToObject(st, "details", details) || !cJSON_AddNumberToObject(st, "code", 409)) {
				cJSON_Delete(st);
				st = NULL;
			}
			details = NULL;
		}
	}
	cJSON_Delete(details);
	cJSON_Delete(causes);
	cm_buf_close(&msg);
	cm_buf_close(&who);
	return st ? st : api_status_internal("out of memory");
}

/* The applied configuration without managedFields (not the applier's to set); for the status subresource, only status. */
static cJSON *config_copy(const cJSON *config, bool status_only)
{
	cJSON *c = cm_json_copy(config);
	cJSON *meta = c ? cJSON_GetObjectItemCaseSensitive(c, "metadata") : NULL;

	if (meta)
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
	if (c && status_only) {
		cJSON *it = c->child, *next;

		for (; it; it = next) {
			next = it->next;
			if (strcmp(it->string, "apiVersion") && strcmp(it->string, "kind") && strcmp(it->string, "metadata") &&
			    strcmp(it->string, "status"))
				cJSON_Delete(cJSON_DetachItemViaPointer(c, it));
		}
	}
	return c;
}

cJSON *api_apply_object(const cJSON *live, const cJSON *config, const struct api_apply_opts *o, cJSON **out)
{
	bool status_only = o->subresource && !strcmp(o->subresource, "status");
	struct api_mf_entries l = {0};
	struct api_mf_entry *self;
	struct conflict *cs = NULL;
	size_t ncs = 0;
	cJSON *cfg = NULL, *merged = NULL, *set = NULL, *last = NULL, *owned = NULL, *ch = NULL, *rm = NULL, *st = NULL;
	bool existed, changed;

	if (!cJSON_IsObject(config))
		return api_status_bad_request("the applied configuration must be an object");
	if (api_mf_entries_read(live, &l) < 0 || !(cfg = config_copy(config, status_only)))
		goto oom;
	if (live) {
		cJSON *base = cm_json_copy(live);
		int rc = base ? cm_smpatch_apply(base, cfg, &merged, NULL) : -ENOMEM;

		cJSON_Delete(base);
		if (rc == -EINVAL) {
			st = api_status_bad_request("the applied configuration could not be merged");
			goto out;
		}
		if (rc < 0)
			goto oom;
	} else if (!(merged = cm_json_copy(cfg))) {
		goto oom;
	}
	if (api_mf_set_of(cfg, o->skip_status, &set) < 0)
		goto oom;
	existed = api_mf_entries_find(&l, o->manager, "Apply", NULL, o->subresource, false) != NULL;
	if (!(self = api_mf_entries_find(&l, o->manager, "Apply", NULL, o->subresource, true)))
		goto oom;
	last = self->set;
	self->set = set;
	set = NULL;
	/* what this manager applied before and no longer does goes, unless someone else owns it */
	if (existed && !api_mf_empty(last)) {
		if (!(owned = cJSON_CreateObject()))
			goto oom;
		for (size_t i = 0; i < l.n; i++) {
			api_mf_subtract(last, l.v[i].set);
			if (api_mf_union(owned, l.v[i].set) < 0)
				goto oom;
		}
		api_mf_remove(merged, last, owned);
	}
	if (api_mf_compare(live, merged, o->skip_status, &ch, &rm) < 0)
		goto oom;
	if (!(cs = calloc(l.n ? l.n : 1, sizeof(*cs))))
		goto oom;
	for (size_t i = 0; i < l.n; i++) {
		cJSON *x;

		if (&l.v[i] == self)
			continue;
		if (api_mf_intersect(l.v[i].set, ch, &x) < 0)
			goto oom;
		if (api_mf_empty(x)) {
			cJSON_Delete(x);
			continue;
		}
		cs[ncs].e = &l.v[i];
		cs[ncs++].set = x;
	}
	if (ncs && !o->force) {
		st = conflict_status(cs, ncs);
		goto out;
	}
	for (size_t i = 0; i < ncs; i++)
		api_mf_subtract(cs[i].e->set, cs[i].set);
	for (size_t i = 0; i < l.n; i++)
		if (&l.v[i] != self)
			api_mf_subtract(l.v[i].set, rm);
	changed = !live || !api_mf_empty(ch) || !api_mf_empty(rm);
	if ((changed || !self->time) && api_mf_entry_set_time(self, o->now) < 0)
		goto oom;
	/* an Apply entry is the manager's whatever the version: it takes the one applied last */
	if (o->api_version && (!self->api_version || strcmp(self->api_version, o->api_version))) {
		char *v = strdup(o->api_version);

		if (!v)
			goto oom;
		free(self->api_version);
		self->api_version = v;
	}
	if (api_mf_entries_write(&l, merged) < 0)
		goto oom;
	*out = merged;
	merged = NULL;
	goto out;
oom:
	st = api_status_internal("out of memory");
out:
	for (size_t i = 0; i < ncs; i++)
		cJSON_Delete(cs[i].set);
	free(cs);
	api_mf_entries_close(&l);
	cJSON_Delete(cfg);
	cJSON_Delete(merged);
	cJSON_Delete(set);
	cJSON_Delete(last);
	cJSON_Delete(owned);
	cJSON_Delete(ch);
	cJSON_Delete(rm);
	return st;
}

/* The entries a write starts from: those obj brings when the client changed them, else old's. */
static int start_entries(const cJSON *old, const cJSON *obj, struct api_mf_entries *l)
{
	const cJSON *mine = cm_json_get(obj, "metadata.managedFields");
	const cJSON *theirs = old ? cm_json_get(old, "metadata.managedFields") : NULL;

	/* an empty list is no change, as Kubernetes reads it: clients unaware of the field send none */
	if (cJSON_IsArray(mine) && mine->child && !(theirs && cJSON_Compare(mine, theirs, 1)))
		return api_mf_entries_read(obj, l);
	return api_mf_entries_read(old, l);
}

int api_managed_update_object(const cJSON *old, cJSON *obj, const struct api_apply_opts *o)
{
	struct api_mf_entries l = {0};
	struct api_mf_entry *self;
	cJSON *ch = NULL, *rm = NULL;
	int rc;

	if ((rc = start_entries(old, obj, &l)) < 0 || (rc = api_mf_compare(old, obj, o->skip_status, &ch, &rm)) < 0)
		goto out;
	self = api_mf_entries_find(&l, o->manager, "Update", o->api_version, o->subresource, false);
	for (size_t i = 0; i < l.n; i++) {
		if (&l.v[i] == self)
			continue;
		api_mf_subtract(l.v[i].set, ch);
		api_mf_subtract(l.v[i].set, rm);
	}
	if (self)
		api_mf_subtract(self->set, rm);
	if (!api_mf_empty(ch)) {
		rc = -ENOMEM;
		if (!(self = api_mf_entries_find(&l, o->manager, "Update", o->api_version, o->subresource, true)) ||
		    api_mf_union(self->set, ch) < 0 || api_mf_entry_set_time(self, o->now) < 0)
			goto out;
	}
	rc = api_mf_entries_write(&l, obj);
out:
	api_mf_entries_close(&l);
	cJSON_Delete(ch);
	cJSON_Delete(rm);
	return rc;
}

/* ---- the request side ---- */

const char *api_field_manager(struct api_ctx *c, char buf[FIELD_MANAGER_MAX + 1])
{
	const char *q = c->req ? cm_http_req_query(c->req, "fieldManager") : NULL;
	const char *ua = c->req ? cm_http_req_header(c->req, "User-Agent") : NULL;
	size_t n;

	if (q && *q)
		return q;
	/* Kubernetes names an unnamed manager for the program leading its User-Agent ("kubectl/v1.32.0 (...)") */
	ua = ua ? ua : "";
	n = strcspn(ua, "/");
	n = n > FIELD_MANAGER_MAX ? FIELD_MANAGER_MAX : n;
	memcpy(buf, ua, n);
	buf[n] = '\0';
	return buf;
}

bool api_is_apply(struct api_ctx *c)
{
	const char *ct = c->req ? cm_http_req_header(c->req, "Content-Type") : NULL;

	return c->verb && !strcmp(c->verb, "patch") && ct && !strncmp(ct, "application/apply-patch+yaml", 28);
}

cJSON *api_apply_check_options(struct api_ctx *c)
{
	const char *fm = c->req ? cm_http_req_query(c->req, "fieldManager") : NULL;
	bool apply = api_is_apply(c);
	struct api_ferrs e;
	cJSON *st = NULL;

	api_ferrs_init(&e);
	if (!apply && c->req && cm_http_req_query(c->req, "force"))
		api_ferr_forbidden(&e, "force", "may not be specified for non-apply patch");
	if (apply && (!fm || !*fm))
		api_ferr_required(&e, "fieldManager", "is required for apply patch");
	if (fm && strlen(fm) > FIELD_MANAGER_MAX)
		api_ferr_too_long(&e, "fieldManager", FIELD_MANAGER_MAX);
	if (api_ferrs_status(&e) < 0)
		st = api_status_internal("out of memory");
	else if (e.n)
		st = api_status_invalid("meta.k8s.io", "PatchOptions", "", &e);
	api_ferrs_close(&e);
	return st;
}

/* Fills o for c; the strings live in the buffers given. Returns 0 or -ENOMEM. */
static int request_opts(struct api_ctx *c, struct api_apply_opts *o, char manager[FIELD_MANAGER_MAX + 1],
			struct cm_buf *av, char now[CM_RFC3339_LEN])
{
	bool status = c->sub && !strcmp(c->sub, "status");

	if (api_resource_api_version(c->res, av) < 0)
		return -ENOMEM;
	api_obj_now(cm_time_wall_ms(), now);
	*o = (struct api_apply_opts){
		.manager = api_field_manager(c, manager),
		.subresource = status || (c->sub && !strcmp(c->sub, "scale")) ? c->sub : NULL,
		.api_version = av->data,
		.now = now,
		.force = c->req && api_query_bool(cm_http_req_query(c->req, "force")),
		.skip_status = !status && (c->res->subresources & API_SUB_STATUS),
	};
	return 0;
}

cJSON *api_apply_run(struct api_ctx *c, const cJSON *live, cJSON **out)
{
	char manager[FIELD_MANAGER_MAX + 1], now[CM_RFC3339_LEN];
	struct cm_buf av = CM_BUF_INIT;
	struct api_apply_opts o;
	cJSON *st;

	if (request_opts(c, &o, manager, &av, now) < 0)
		st = api_status_internal("out of memory");
	else
		st = api_apply_object(live, c->body, &o, out);
	cm_buf_close(&av);
	return st;
}

cJSON *api_managed_track(struct api_ctx *c, const cJSON *old, cJSON *obj, const cJSON *config)
{
	char manager[FIELD_MANAGER_MAX + 1], now[CM_RFC3339_LEN];
	struct cm_buf av = CM_BUF_INIT;
	struct api_apply_opts o;
	cJSON *st = NULL, *applied = NULL;
	int rc = request_opts(c, &o, manager, &av, now);

	if (!rc && config) {
		/* an apply that creates: the Apply entry of the configuration, not of the defaulted object */
		st = api_apply_object(NULL, config, &o, &applied);
		if (!st) {
			cJSON *meta = api_obj_meta(obj);

			rc = !meta ? -ENOMEM : api_obj_copy_member(meta, cJSON_GetObjectItemCaseSensitive(applied, "metadata"),
								   "managedFields");
		}
		cJSON_Delete(applied);
	} else if (!rc) {
		rc = api_managed_update_object(old, obj, &o);
	}
	cm_buf_close(&av);
	if (!st && rc < 0)
		st = api_status_internal("out of memory");
	return st;
}
