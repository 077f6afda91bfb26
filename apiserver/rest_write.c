/* rest_write.c: create, and the update engine (read, mutate, check, write on mod_revision, retry). */
#include "apiserver/rest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/admission_sa.h"
#include "apiserver/apply.h"
#include "apiserver/authz.h"
#include "apiserver/field_types.h"
#include "apiserver/object.h"
#include "apiserver/status.h"
#include "apiserver/validate.h"
#include "apiserver/watch_cache.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"

#define MAX_ATTEMPTS 16

/* Checks apiVersion and kind against the resource, filling them when absent. NULL or a Status. */
cJSON *api_check_type(struct api_ctx *c, cJSON *obj, const char *kind);
cJSON *api_check_type(struct api_ctx *c, cJSON *obj, const char *kind)
{
	struct cm_buf av = CM_BUF_INIT, msg = CM_BUF_INIT;
	const char *k = cm_json_get_str(obj, "kind"), *v = cm_json_get_str(obj, "apiVersion");
	cJSON *st = NULL;

	if (api_resource_api_version(c->res, &av) < 0)
		return api_status_internal("out of memory");
	if (k && strcmp(k, kind)) {
		cm_buf_printf(&msg, "%s in version \"%s\" cannot be handled as a %s: the kind in the body does not match the resource", k,
			      v ? v : av.data, kind);
		st = api_status_bad_request(msg.data ? msg.data : "wrong kind");
	} else if (v && strcmp(v, av.data)) {
		cm_buf_printf(&msg, "the API version in the data (%s) does not match the expected API version (%s)", v,
			      av.data);
		st = api_status_bad_request(msg.data ? msg.data : "wrong apiVersion");
	} else if (cm_json_set_str(obj, "kind", kind) < 0 || cm_json_set_str(obj, "apiVersion", av.data) < 0) {
		st = api_status_internal("out of memory");
	}
	cm_buf_close(&av);
	cm_buf_close(&msg);
	return st;
}

/*
 * Unknown and duplicate fields of obj at every depth, handled as
 * fieldValidation asks: Strict refuses the write with every problem in one
 * message; Warn (the default) keeps them for the answer's Warning headers and
 * Ignore forgets them, both removing the unknown members as Kubernetes'
 * decoding drops them. Run on each attempt of an update, so the warnings are
 * those of the object finally written. NULL or a Status to answer.
 */
static cJSON *check_fields(struct api_ctx *c, cJSON *obj)
{
	const char *ct = cm_http_req_header(c->req, "Content-Type");
	unsigned flags = c->fv == API_FV_STRICT ? 0 : API_FIELD_PRUNE;
	struct cm_buf m = CM_BUF_INIT;
	cJSON *st;
	int rc;

	if (ct && !strncmp(ct, "application/strategic-merge-patch+json", 38))
		flags |= API_FIELD_DIRECTIVES;
	api_field_problems_reset(&c->warnings);
	for (size_t at = 0; at < c->dups.len; at += strlen(c->dups.data + at) + 1)
		if ((c->dups_yaml ? api_field_problems_add_text(&c->warnings, c->dups.data + at)
				  : api_field_problems_add(&c->warnings, "duplicate", c->dups.data + at, NULL)) < 0)
			return api_status_internal("out of memory");
	if (api_field_check_walk(c->srv->fields, c->srv->kind_schema[c->res->index], obj, flags, &c->warnings) < 0)
		return api_status_internal("out of memory");
	if (c->fv == API_FV_IGNORE)
		api_field_problems_reset(&c->warnings);
	if (c->fv != API_FV_STRICT || !c->warnings.n)
		return NULL;
	/*
	 * Kubernetes' form: "strict decoding error: " and the problems joined by
	 * ", "; an apply's duplicates (its only problems: unknown fields refused it
	 * before) as go-yaml's strict decoding words them, one per line
	 */
	if (c->dups_yaml) {
		rc = cm_buf_puts(&m, "error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:");
		for (const char *w = NULL; !rc && (w = api_field_problems_next(&c->warnings, w));)
			rc = cm_buf_printf(&m, "\n  %s", w);
	} else {
		rc = cm_buf_puts(&m, "strict decoding error: ");
		for (const char *w = NULL; !rc && (w = api_field_problems_next(&c->warnings, w));)
			rc = cm_buf_printf(&m, "%s%s", w == c->warnings.text.data ? "" : ", ", w);
	}
	api_field_problems_reset(&c->warnings);
	st = rc < 0 ? api_status_internal("out of memory") : api_status_bad_request(m.data);
	cm_buf_close(&m);
	return st;
}

/*
 * Drops the unknown members of a stored object before a change is applied to
 * it. Kubernetes never stores them (its decoding drops them); objects written
 * here before fields were checked at every depth may hold some, and without
 * this every Strict patch of such an object would be refused for fields the
 * client never sent. 0 or -ENOMEM.
 */
static int prune_stored(struct api_ctx *c, cJSON *old)
{
	struct api_field_problems dropped;
	int rc;

	api_field_problems_init(&dropped);
	rc = api_field_check_walk(c->srv->fields, c->srv->kind_schema[c->res->index], old, API_FIELD_PRUNE, &dropped);
	api_field_problems_close(&dropped);
	return rc;
}

static cJSON *validate(struct api_ctx *c, const cJSON *obj, const cJSON *old)
{
	struct api_ferrs errs;
	cJSON *st = api_field_types_check(c->res, obj);

	if (st)
		return st;
	api_ferrs_init(&errs);
	api_validate_object_meta(&errs, cJSON_GetObjectItemCaseSensitive(obj, "metadata"), c->res->namespaced,
				 c->res->name_rule);
	if (c->res->strategy->validate)
		c->res->strategy->validate(obj, old, &errs);
	if (api_ferrs_status(&errs) < 0)
		st = api_status_internal("out of memory");
	else if (errs.n)
		st = api_status_invalid(c->res->group, c->res->kind, api_obj_meta_str(obj, "name"), &errs);
	api_ferrs_close(&errs);
	return st;
}

/* The allocation step: fresh keys for obj; on -ENOMEM or a validation error returns a Status. */
static cJSON *allocate(struct api_ctx *c, cJSON *obj, const cJSON *old)
{
	struct api_ferrs errs;
	cJSON *st = NULL;
	int rc = 0;

	api_alloc_close(&c->alloc);
	if (!c->res->strategy->allocate)
		return NULL;
	api_ferrs_init(&errs);
	rc = c->res->strategy->allocate(obj, old, &c->srv->env, &c->alloc, &errs);
	if (rc < 0)
		st = api_status_internal(cm_strerror(rc));
	else if (errs.n)
		st = api_status_invalid(c->res->group, c->res->kind, api_obj_meta_str(obj, "name"), &errs);
	api_ferrs_close(&errs);
	return st;
}

#define EVENT_TTL_S 3600      /* events expire as kube-apiserver's --event-ttl */
#define EVENT_LEASE_REUSE_MS 60000 /* events written within a minute share a lease */

static int write_obj(struct api_ctx *c, const cJSON *obj, int64_t mod_rev, api_kv_cb cb);

static void lease_granted(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	int rc;

	if (err) {
		api_ctx_reply_err(c, err, NULL);
		return;
	}
	c->srv->event_lease = r->lease_id;
	c->srv->event_lease_ms = cm_time_mono_ms();
	rc = write_obj(c, c->obj, c->pending_mod_rev, c->pending_cb);
	if (rc < 0)
		api_ctx_reply_err(c, rc, NULL);
}

/* The lease an event is written with (0 for other kinds); 1 if one is being granted first. */
static int event_lease(struct api_ctx *c, int64_t mod_rev, api_kv_cb cb, int64_t *lease)
{
	struct api_server *srv = c->srv;
	int rc;

	*lease = 0;
	if (strcmp(c->res->plural, "events"))
		return 0;
	if (srv->event_lease && cm_time_mono_ms() - srv->event_lease_ms < EVENT_LEASE_REUSE_MS) {
		*lease = srv->event_lease;
		return 0;
	}
	c->pending_mod_rev = mod_rev;
	c->pending_cb = cb;
	rc = api_storage_lease_grant(srv->store, EVENT_TTL_S + EVENT_LEASE_REUSE_MS / 1000, lease_granted, c);
	return rc < 0 ? rc : 1;
}

/* Writes obj (c->obj on the paths that may wait for a lease) at mod_rev with c->alloc. */
static int write_obj(struct api_ctx *c, const cJSON *obj, int64_t mod_rev, api_kv_cb cb)
{
	struct api_txn_put extra[API_ALLOC_MAX];
	struct cm_buf text = CM_BUF_INIT;
	cJSON *stored;
	int64_t lease;
	int rc = event_lease(c, mod_rev, cb, &lease);

	if (rc)
		return rc < 0 ? rc : 0;
	stored = cm_json_copy(obj);
	if (!stored)
		return -ENOMEM;
	cJSON_DeleteItemFromObjectCaseSensitive(api_obj_meta(stored), "resourceVersion");
	api_obj_order(stored);
	rc = cm_json_print(stored, &text);
	cJSON_Delete(stored);
	for (int i = 0; i < c->alloc.ntake; i++) {
		extra[i].key = c->alloc.take[i];
		extra[i].value = c->key.data;
		extra[i].value_len = c->key.len;
	}
	if (!rc)
		rc = api_storage_put(c->srv->store, c->key.data, text.data, text.len, lease, mod_rev, extra,
				     (size_t)c->alloc.ntake, (const char *const *)c->alloc.release,
				     (size_t)c->alloc.nrelease, cb, c);
	cm_buf_close(&text);
	return rc;
}

/* A user-chosen allocation was taken: 422 on the field that asked for it. */
static cJSON *taken_status(struct api_ctx *c)
{
	struct api_ferrs errs;
	cJSON *st;

	api_ferrs_init(&errs);
	api_ferr_invalid(&errs, c->alloc.taken_field ? c->alloc.taken_field : "spec",
			 c->alloc.taken_value ? c->alloc.taken_value : "", "provided value is already allocated");
	st = api_status_invalid(c->res->group, c->res->kind, c->name, &errs);
	api_ferrs_close(&errs);
	return st;
}

static void create_attempt(struct api_ctx *c);

static bool stored_uid_is(const struct api_kv_result *r, const char *uid)
{
	cJSON *o = NULL;
	bool same;

	if (!uid || cm_json_parse(r->kvs[0].value, r->kvs[0].value_len, &o, NULL) < 0)
		return false;
	same = api_obj_meta_str(o, "uid") && !strcmp(api_obj_meta_str(o, "uid"), uid);
	cJSON_Delete(o);
	return same;
}

static void created(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	cJSON *obj;

	if (err == -CM_ECONFLICT && r->n && stored_uid_is(r, api_obj_meta_str(c->obj, "uid"))) {
		/* our own earlier attempt was applied, then its answer lost: that is a success */
		struct api_kv_result mine = {.revision = r->kvs[0].mod_rev};

		created(0, &mine, c);
		return;
	}
	if (err == -CM_ECONFLICT) {
		if (r->n) {
			api_ctx_reply_status(c, api_status_already_exists(c->res->group, c->res->plural, c->name));
		} else if (c->alloc.user_chosen) {
			api_ctx_reply_status(c, taken_status(c));
		} else if (++c->attempts < MAX_ATTEMPTS) {
			create_attempt(c);
		} else {
			api_ctx_reply_status(c, api_status_internal("could not allocate a free value after retries"));
		}
		return;
	}
	if (err) {
		api_ctx_reply_err(c, err, NULL);
		return;
	}
	obj = c->obj;
	c->obj = NULL;
	if (api_obj_set_rv(obj, r->revision) < 0) {
		cJSON_Delete(obj);
		api_ctx_reply_err(c, -ENOMEM, NULL);
		return;
	}
	api_ctx_reply_obj(c, 201, obj);
}

static void create_attempt(struct api_ctx *c)
{
	cJSON *st;
	int rc;

	cJSON_Delete(c->obj);
	c->obj = cm_json_copy(c->body);
	if (!c->obj) {
		api_ctx_reply_err(c, -ENOMEM, NULL);
		return;
	}
	st = allocate(c, c->obj, NULL);
	if (st) {
		api_ctx_reply_status(c, st);
		return;
	}
	if (c->dry_run) {
		cJSON *obj = c->obj;

		c->obj = NULL;
		api_ctx_reply_obj(c, 201, obj);
		return;
	}
	rc = write_obj(c, c->obj, 0, created);
	if (rc < 0)
		api_ctx_reply_err(c, rc, NULL);
}

/* Fields only the server sets on create. */
static int set_server_fields(struct api_ctx *c, cJSON *obj)
{
	cJSON *meta = api_obj_meta(obj);
	char uid[40], now[CM_RFC3339_LEN];
	uint64_t a = api_rand(c->srv), b = api_rand(c->srv);
	static const char *const drop[] = {"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
					   "selfLink", "uid", "creationTimestamp", "generation"};

	if (!meta)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		cJSON_DeleteItemFromObjectCaseSensitive(meta, drop[i]);
	snprintf(uid, sizeof(uid), "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
		 (unsigned)a & 0xfff, (unsigned)((b >> 48) & 0x3fff) | 0x8000,
		 (unsigned long long)(b & 0xffffffffffffULL));
	api_obj_now(cm_time_wall_ms(), now);
	if (!cJSON_AddStringToObject(meta, "uid", uid) || !cJSON_AddStringToObject(meta, "creationTimestamp", now))
		return -ENOMEM;
	if (cJSON_GetObjectItemCaseSensitive(obj, "spec") && !cJSON_AddNumberToObject(meta, "generation", 1))
		return -ENOMEM;
	return 0;
}

/* Everything a create does before the first write; NULL or a Status to answer. */
cJSON *api_prepare_create(struct api_ctx *c, cJSON *obj);
cJSON *api_prepare_create(struct api_ctx *c, cJSON *obj)
{
	const char *ns, *name, *gen;
	cJSON *st, *config = NULL;

	if (!cJSON_IsObject(obj))
		return api_status_bad_request("the body of the request must be an object");
	if ((st = api_check_type(c, obj, c->res->kind)) || (st = check_fields(c, obj)))
		return st;
	if (!api_obj_meta(obj))
		return api_status_internal("out of memory");
	ns = api_obj_meta_str(obj, "namespace");
	if (c->res->namespaced) {
		if (ns && *ns && c->ns && strcmp(ns, c->ns))
			return api_status_bad_request(
				"the namespace of the provided object does not match the namespace sent on the request");
		if (c->ns && api_obj_meta_set(obj, "namespace", c->ns) < 0)
			return api_status_internal("out of memory");
	} else {
		cJSON_DeleteItemFromObjectCaseSensitive(api_obj_meta(obj), "namespace");
	}
	name = api_obj_meta_str(obj, "name");
	gen = api_obj_meta_str(obj, "generateName");
	if ((!name || !*name) && gen && *gen) {
		char *n = NULL;

		if (api_generate_name(gen, api_rand(c->srv), &n) < 0 || api_obj_meta_set(obj, "name", n) < 0) {
			free(n);
			return api_status_internal("out of memory");
		}
		free(n);
	}
	if ((c->res->subresources & API_SUB_STATUS) && strcmp(c->res->plural, "nodes"))
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
	/* an apply that creates owns what it applied, not what defaulting adds */
	if (api_is_apply(c) && !(config = cm_json_copy(obj)))
		return api_status_internal("out of memory");
	if (set_server_fields(c, obj) < 0 ||
	    (c->res->strategy->prepare_create && c->res->strategy->prepare_create(obj, &c->srv->env) < 0)) {
		cJSON_Delete(config);
		return api_status_internal("out of memory");
	}
	st = api_managed_track(c, NULL, obj, config);
	cJSON_Delete(config);
	return st ? st : validate(c, obj, NULL);
}

static bool is_pod(const struct api_ctx *c)
{
	return !c->res->group[0] && !strcmp(c->res->plural, "pods");
}

/* The pod's ServiceAccount was read (or is absent: its token is then refused at the kubelet's TokenRequest). */
static void got_service_account(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	cJSON *sa = NULL;
	int rc;

	if (err && err != -ENOENT) {
		api_ctx_reply_err(c, err, NULL);
		return;
	}
	/*
	 * Kubernetes refuses a pod whose account does not exist; here a new
	 * namespace's "default" account is written when its watch event arrives,
	 * so a pod created right after its namespace would be refused: admitted.
	 */
	if (!err)
		sa = api_obj_parse_stored(r->kvs[0].value, r->kvs[0].value_len, r->kvs[0].mod_rev);
	rc = api_sa_admit_token(c->body, sa, api_rand(c->srv));
	cJSON_Delete(sa);
	if (rc < 0) {
		api_ctx_reply_err(c, rc, NULL);
		return;
	}
	create_attempt(c);
}

/*
 * Mutating admission that needs the store (ServiceAccount: a pod's
 * credentials volume follows its account's automountServiceAccountToken),
 * then the create. Without a token signing key there is no token to mount:
 * a pod given the volume would wait for ever for its kubelet's TokenRequest.
 */
static void admit_then_create(struct api_ctx *c)
{
	struct cm_buf key = CM_BUF_INIT;
	int rc;

	if (!is_pod(c) || !api_auth_sa_tokens(c->srv->auth)) {
		create_attempt(c);
		return;
	}
	if (!api_sa_needs_account(c->body)) {
		rc = api_sa_admit_token(c->body, NULL, api_rand(c->srv));
		if (rc < 0)
			api_ctx_reply_err(c, rc, NULL);
		else
			create_attempt(c);
		return;
	}
	rc = cm_buf_printf(&key, "/registry/serviceaccounts/%s/%s", c->ns ? c->ns : "",
			   cm_json_str_or(c->body, "spec.serviceAccountName", "default"));
	if (!rc)
		rc = api_storage_get(c->srv->store, key.data, got_service_account, c);
	cm_buf_close(&key);
	if (rc < 0)
		api_ctx_reply_err(c, rc, NULL);
}

/* NamespaceLifecycle, as Kubernetes admits creates: the namespace must exist and not be terminating. */
static void got_namespace(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	cJSON *ns;
	bool terminating;

	if (err == -ENOENT) {
		api_ctx_reply_status(c, api_status_not_found("", "namespaces", c->ns));
		return;
	}
	if (err) {
		api_ctx_reply_err(c, err, NULL);
		return;
	}
	ns = api_obj_parse_stored(r->kvs[0].value, r->kvs[0].value_len, r->kvs[0].mod_rev);
	terminating = ns && cm_json_get(ns, "metadata.deletionTimestamp");
	cJSON_Delete(ns);
	/* the next create into it is admitted without this read; no memory just means no cache */
	(void)api_nscache_set(&c->srv->nscache, c->ns, r->kvs[0].mod_rev, !terminating);
	if (terminating) {
		struct cm_buf m = CM_BUF_INIT;

		cm_buf_printf(&m, "unable to create new content in namespace %s because it is being terminated", c->ns);
		api_ctx_reply_status(c, api_status_forbidden(c->res->group, c->res->plural, c->name,
							     m.data ? m.data : "namespace is being terminated"));
		cm_buf_close(&m);
		return;
	}
	admit_then_create(c);
}

void api_rest_create(struct api_ctx *c)
{
	cJSON *st;
	const char *name;

	if (!c->body) {
		api_ctx_reply_status(c, api_status_bad_request("the body of the request was empty"));
		return;
	}
	st = api_prepare_create(c, c->body);
	if (!st && is_pod(c) && api_sa_admit_name(c->body) < 0)
		st = api_status_internal("out of memory");
	if (st) {
		api_ctx_reply_status(c, st);
		return;
	}
	name = api_obj_meta_str(c->body, "name");
	free(c->name); /* a server-side apply that creates comes with the name of its path */
	c->name = strdup(name ? name : "");
	cm_buf_reset(&c->key);
	if (!c->name || api_resource_key(c->res, c->ns, c->name, &c->key) < 0) {
		api_ctx_reply_err(c, -ENOMEM, NULL);
		return;
	}
	if (c->res->namespaced && c->ns && !api_nscache_active(&c->srv->nscache, c->ns)) {
		struct cm_buf key = CM_BUF_INIT;
		int rc = cm_buf_printf(&key, "/registry/namespaces/%s", c->ns);

		if (!rc)
			rc = api_storage_get(c->srv->store, key.data, got_namespace, c);
		cm_buf_close(&key);
		if (rc < 0)
			api_ctx_reply_err(c, rc, NULL);
		return;
	}
	admit_then_create(c);
}

/* ---- the update engine ---- */

int api_pending_finalizers(const cJSON *obj)
{
	/* a namespace also waits for its spec.finalizers (the namespace controller's) */
	const cJSON *sf = cm_json_get(obj, "spec.finalizers");
	int n = api_obj_finalizers(obj);

	if (!strcmp(cm_json_str_or(obj, "kind", ""), "Namespace") && cJSON_IsArray(sf))
		n += cJSON_GetArraySize(sf);
	return n;
}

static void update_read(struct api_ctx *c);
static void update_read_store(struct api_ctx *c);
static void update_retry(struct api_ctx *c, const struct api_kv_result *r);
static void update_written(int err, const struct api_kv_result *r, void *ud);

/* Server-owned metadata carried from old to new whatever the client sent. */
static int keep_server_fields(cJSON *obj, const cJSON *old, bool marking)
{
	static const char *const keep[] = {"uid", "creationTimestamp", "deletionTimestamp",
					   "deletionGracePeriodSeconds", "generation", "name", "namespace"};
	cJSON *meta = api_obj_meta(obj);
	const cJSON *om = cJSON_GetObjectItemCaseSensitive(old, "metadata");

	if (!meta)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if ((!marking || strncmp(keep[i], "deletion", 8)) && api_obj_copy_member(meta, om, keep[i]) < 0)
			return -ENOMEM;
	return 0;
}

static cJSON *bump_generation(cJSON *obj, const cJSON *old)
{
	int64_t gen = cm_json_int64_or(old, "metadata.generation", 0);

	if (!api_obj_spec_equal(obj, old)) {
		cJSON *g = cJSON_CreateNumber((double)(gen + 1));

		if (!g || cm_json_set(obj, "metadata.generation", g) < 0)
			return api_status_internal("out of memory");
	}
	return NULL;
}

static void deleted_by_update(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	cJSON *obj;

	if (err == -CM_ECONFLICT && ++c->attempts < MAX_ATTEMPTS) {
		update_retry(c, r);
		return;
	}
	if (err) {
		api_ctx_reply_err(c, err, NULL);
		return;
	}
	obj = c->obj;
	c->obj = NULL;
	api_obj_set_rv(obj, r->revision);
	api_ctx_reply_obj(c, 200, obj);
}

static void update_got(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	cJSON *old, *obj = NULL, *st;
	int64_t mod;
	int rc;

	if (err) {
		api_ctx_reply_err(c, err, NULL);
		return;
	}
	mod = r->kvs[0].mod_rev;
	if (c->precondition_rv > 0 && c->precondition_rv != mod) {
		if (c->from_cache)
			update_read_store(c);
		else
			api_ctx_reply_status(c, api_status_conflict(c->res->group, c->res->plural, c->name, NULL));
		return;
	}
	old = api_obj_parse_stored(r->kvs[0].value, r->kvs[0].value_len, mod);
	if (!old) {
		api_ctx_reply_err(c, -EIO, "stored object is not readable");
		return;
	}
	if (prune_stored(c, old) < 0) {
		cJSON_Delete(old);
		api_ctx_reply_err(c, -ENOMEM, NULL);
		return;
	}
	st = c->mutate(c, old, &obj);
	if (!st && !obj)
		st = api_status_internal("out of memory");
	if (!st && keep_server_fields(obj, old, c->marking) < 0)
		st = api_status_internal("out of memory");
	if (!st && (!c->sub || strcmp(c->sub, "status")) && !c->marking && (c->res->subresources & API_SUB_STATUS) &&
	    api_obj_copy_member(obj, old, "status") < 0)
		st = api_status_internal("out of memory");
	if (!st && c->res->strategy->prepare_update && (!c->sub || strcmp(c->sub, "finalize")) &&
	    c->res->strategy->prepare_update(obj, old) < 0)
		st = api_status_internal("out of memory");
	/* an apply computed its entries itself; deletions and bindings record none, as Kubernetes */
	if (!st && !c->marking && !api_is_apply(c) && (!c->sub || (strcmp(c->sub, "binding") && strcmp(c->sub, "finalize"))))
		st = api_managed_track(c, old, obj, NULL);
	if (!st && cJSON_GetObjectItemCaseSensitive(obj, "spec") && (!c->sub || strcmp(c->sub, "binding")))
		st = bump_generation(obj, old);
	if (!st)
		st = check_fields(c, obj);
	if (!st)
		st = validate(c, obj, old);
	if (!st)
		st = allocate(c, obj, old);
	if (st) {
		cJSON_Delete(old);
		cJSON_Delete(obj);
		if (c->from_cache) {
			cJSON_Delete(st);
			update_read_store(c);
		} else {
			api_ctx_reply_status(c, st);
		}
		return;
	}
	cJSON_Delete(c->obj);
	c->obj = obj;
	if (cm_json_get(old, "metadata.deletionTimestamp") && api_pending_finalizers(old) > 0 &&
	    api_pending_finalizers(obj) == 0 && cm_json_int64_or(old, "metadata.deletionGracePeriodSeconds", 0) == 0) {
		/* the last finalizer is gone: the object goes with it */
		api_alloc_close(&c->alloc);
		rc = c->res->strategy->release ? c->res->strategy->release(old, &c->srv->env, &c->alloc) : 0;
		cJSON_Delete(old);
		if (!rc)
			rc = api_storage_delete(c->srv->store, c->key.data, mod, (const char *const *)c->alloc.release,
						(size_t)c->alloc.nrelease, deleted_by_update, c);
		if (rc < 0)
			api_ctx_reply_err(c, rc, NULL);
		return;
	}
	if (api_obj_equal_ignoring_rv(obj, old) || c->dry_run) {
		cJSON_Delete(old);
		if (c->from_cache) {
			update_read_store(c);
			return;
		}
		c->obj = NULL;
		{
			struct api_kv_result same = {.revision = mod};

			c->obj = obj;
			update_written(0, &same, c);
		}
		return;
	}
	cJSON_Delete(old);
	rc = write_obj(c, obj, mod, update_written);
	if (rc < 0)
		api_ctx_reply_err(c, rc, NULL);
}

static void update_written(int err, const struct api_kv_result *r, void *ud)
{
	struct api_ctx *c = ud;
	cJSON *obj;

	if (err == -CM_ECONFLICT) {
		/* the store's value is current; a copy from the cache may just have been stale */
		if (!r->n)
			api_ctx_reply_status(c, api_status_not_found(c->res->group, c->res->plural, c->name));
		else if (c->precondition_rv > 0 && r->kvs[0].mod_rev != c->precondition_rv)
			api_ctx_reply_status(c, api_status_conflict(c->res->group, c->res->plural, c->name, NULL));
		else if (c->alloc.ntake && c->alloc.user_chosen && !c->from_cache)
			api_ctx_reply_status(c, taken_status(c));
		else if (++c->attempts < MAX_ATTEMPTS)
			update_retry(c, r);
		else
			api_ctx_reply_status(c, api_status_conflict(c->res->group, c->res->plural, c->name, NULL));
		return;
	}
	if (err) {
		api_ctx_reply_err(c, err, NULL);
		return;
	}
	obj = c->obj;
	c->obj = NULL;
	if (api_obj_set_rv(obj, r->revision) < 0) {
		cJSON_Delete(obj);
		api_ctx_reply_err(c, -ENOMEM, NULL);
		return;
	}
	/* a namespace this server marked deleted admits no create from now on, not once the watch says so */
	if (c->marking && !strcmp(c->res->plural, "namespaces"))
		(void)api_nscache_set(&c->srv->nscache, c->name, r->revision, false);
	if (c->sub && !strcmp(c->sub, "scale")) {
		cJSON *scale = api_scale_from(c->res, obj);

		cJSON_Delete(obj);
		api_ctx_reply_obj(c, 200, scale);
		return;
	}
	if (c->sub && !strcmp(c->sub, "binding")) {
		cJSON *ok = api_status_success(c->res->group, c->res->plural, c->name, NULL);

		cJSON_Delete(obj);
		/* as Kubernetes: a binding is created, 201 */
		if (ok)
			cJSON_ReplaceItemInObjectCaseSensitive(ok, "code", cJSON_CreateNumber(201));
		api_ctx_reply_obj(c, 201, ok);
		return;
	}
	api_ctx_reply_obj(c, 200, obj);
}

static void update_read_store(struct api_ctx *c)
{
	int rc;

	c->from_cache = false;
	rc = api_storage_get(c->srv->store, c->key.data, update_got, c);
	if (rc < 0)
		api_ctx_reply_err(c, rc, NULL);
}

/*
 * The first attempt starts from the watch cache's copy when its window holds
 * the object, as kube-apiserver's GuaranteedUpdate does: a binding or a
 * status or lease write then costs one store round trip, not a read and a
 * write. A stale copy fails the write's mod_revision check and the retry
 * starts from the value the store returned; an outcome that writes nothing
 * (an error, a no-op, a dry run) is decided again on the store's value.
 */
static void update_read(struct api_ctx *c)
{
	const struct api_wcache *wc = c->srv->caches[c->res->index];
	struct api_kv kv = {0};
	struct api_kv_result r = {.kvs = &kv, .n = 1};
	const char *text;

	if (c->cache_tried || !wc || api_wcache_get(wc, c->key.data, &text, &kv.value_len, &kv.mod_rev) < 0) {
		update_read_store(c);
		return;
	}
	c->cache_tried = true;
	c->from_cache = true;
	kv.key = c->key.data;
	kv.value = (char *)text; /* only read: api_obj_parse_stored copies it */
	update_got(0, &r, c);
}

/* After a conflict: the failed write returned the stored value (if the key still exists). */
static void update_retry(struct api_ctx *c, const struct api_kv_result *r)
{
	c->from_cache = false;
	if (r && r->n) {
		update_got(0, r, c);
		return;
	}
	update_read_store(c);
}

void api_update_run(struct api_ctx *c)
{
	cm_buf_reset(&c->key);
	if (api_resource_key(c->res, c->ns, c->name, &c->key) < 0) {
		api_ctx_reply_err(c, -ENOMEM, NULL);
		return;
	}
	update_read(c);
}
