/* authz_cache.c: RBAC objects, pod placements and uids, secret uids kept in memory from a list then a watch of storage. */
#include "apiserver/authz_cache.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/pod_refs.h"
#include "apiserver/sa_token.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/strmap.h"
#include "common/timeutil.h"

#define RBAC_PREFIX "/registry/rbac.authorization.k8s.io/"
#define PODS_PREFIX "/registry/pods/"
#define SECRETS_PREFIX "/registry/secrets/"
#define ACCOUNTS_PREFIX "/registry/serviceaccounts/"
#define RETRY_MS 1000
/* As Kubernetes: a token bound to a pod being deleted still works this long after its deletionTimestamp. */
#define BOUND_DELETE_GRACE_S 60

enum feed_kind { FEED_RBAC, FEED_PODS, FEED_SECRETS, FEED_ACCOUNTS, FEED_KINDS };

/*
 * A pod's entry: when its deletion was asked (0: it was not), and
 * "node\0sa\0uid\0ns\0" then what it names (api_pod_refs), each as
 * "Kname\0" with K the kind's letter, ended by an empty string.
 */
struct pod_entry {
	int64_t deleted_s;
	char strs[];
};

struct feed {
	struct api_authz_cache *c;
	const char *prefix;
	/*
	 * etcd key -> cJSON (RBAC), struct pod_entry (pods), strdup'd uid
	 * (secrets: never their data) or ServiceAccount uid ("" once deleting)
	 */
	struct cm_strmap map;
	enum feed_kind kind;
	bool listed, listing;
	struct api_storage_watch *w;
};

struct api_authz_cache {
	uv_loop_t *loop;
	struct api_storage *store;
	struct feed feeds[FEED_KINDS];
	struct feed *by_kind[FEED_KINDS]; /* NULL: not kept */
	struct cm_strmap refs;            /* "K/ns/name/node" -> count of pods (refs_count) */
	int nfeeds;
	uv_timer_t retry;
	bool dead, ready, timer_closed;
	int inflight; /* ranges not yet answered: the last one frees a dead cache */
	void (*on_ready)(void *ud);
	void *ud;
};

static void feed_list(struct feed *f);

static int add_ref(int kind, const char *name, void *ud)
{
	struct cm_buf *b = ud;

	return cm_buf_putc(b, (char)kind) < 0 || cm_buf_append(b, name, strlen(name) + 1) < 0 ? -ENOMEM : 0;
}

/* A pod's entry: its node, its ServiceAccount (none named: "default"), uid, namespace and references in one allocation. */
static struct pod_entry *pod_value(const cJSON *pod)
{
	const char *node = cm_json_str_or(pod, "spec.nodeName", ""), *sa = cm_json_str_or(pod, "spec.serviceAccountName", "");
	const char *uid = cm_json_str_or(pod, "metadata.uid", ""), *del = cm_json_str_or(pod, "metadata.deletionTimestamp", NULL);
	const char *ns = cm_json_str_or(pod, "metadata.namespace", "");
	struct cm_buf b = CM_BUF_INIT;
	struct pod_entry *e = NULL;
	int64_t del_ms = 0;

	sa = *sa ? sa : "default";
	/* an unscheduled pod is no edge to any node: its references are not kept */
	if (cm_buf_append(&b, node, strlen(node) + 1) < 0 || cm_buf_append(&b, sa, strlen(sa) + 1) < 0 ||
	    cm_buf_append(&b, uid, strlen(uid) + 1) < 0 || cm_buf_append(&b, ns, strlen(ns) + 1) < 0 ||
	    (*node && api_pod_refs(pod, add_ref, &b) < 0) || cm_buf_putc(&b, '\0') < 0)
		goto out;
	e = malloc(sizeof(*e) + b.len);
	if (!e)
		goto out;
	/* an unreadable timestamp counts as now: the grace still runs, it is not forever */
	if (del && cm_time_parse(del, &del_ms) < 0)
		del_ms = cm_time_wall_ms();
	e->deleted_s = del ? (del_ms / 1000 > 0 ? del_ms / 1000 : 1) : 0;
	memcpy(e->strs, b.data, b.len);
out:
	cm_buf_close(&b);
	return e;
}

/* The string after s in a run of NUL-ended strings. */
static const char *next_str(const char *s)
{
	return s + strlen(s) + 1;
}

/*
 * Counts (delta +1) or uncounts (-1) a pod's references in the index kept for
 * the Node authorizer: "K/ns/name/node" -> how many pods on node name it, so
 * a kubelet's read costs one lookup, not a walk over pods.
 */
static void refs_count(struct api_authz_cache *c, const struct pod_entry *e, int delta)
{
	const char *node = e->strs, *ns = next_str(next_str(next_str(node)));
	struct cm_buf k = CM_BUF_INIT;

	if (!*node)
		return;
	for (const char *r = next_str(ns); *r; r = next_str(r)) {
		uintptr_t n;
		void *old = NULL;

		cm_buf_reset(&k);
		if (cm_buf_printf(&k, "%c/%s/%s/%s", r[0], ns, r + 1, node) < 0)
			break;
		n = (uintptr_t)cm_strmap_get(&c->refs, k.data);
		if (delta < 0 && n <= 1) {
			cm_strmap_del(&c->refs, k.data);
			continue;
		}
		n = delta < 0 ? n - 1 : n + 1;
		/* a count lost to memory denies a kubelet until the next relist: safe, never too wide */
		if (cm_strmap_put(&c->refs, k.data, (void *)n, &old) < 0)
			cm_warn("authorization cache: cannot index pod references (out of memory)");
	}
	cm_buf_close(&k);
}

static void *value_of(struct feed *f, const char *json, size_t len)
{
	cJSON *j = NULL;
	void *v = NULL;

	if (cm_json_parse(json, len, &j, NULL) < 0)
		return NULL;
	if (f->kind == FEED_RBAC)
		return j;
	if (f->kind == FEED_PODS)
		v = pod_value(j);
	else if (f->kind == FEED_ACCOUNTS && cm_json_get(j, "metadata.deletionTimestamp"))
		v = strdup(""); /* as Kubernetes: an account being deleted vouches for no token */
	else
		v = strdup(cm_json_str_or(j, "metadata.uid", ""));
	cJSON_Delete(j);
	return v;
}

static void drop(struct feed *f, void *v)
{
	if (f->kind == FEED_RBAC)
		cJSON_Delete(v);
	else
		free(v);
}

static int drop_each(const char *key, void *val, void *ud)
{
	(void)key;
	drop(ud, val);
	return 0;
}

static void feed_clear(struct feed *f)
{
	cm_strmap_foreach(&f->map, drop_each, f);
	cm_strmap_close(&f->map); /* left empty and reusable */
	if (f->kind == FEED_PODS)
		cm_strmap_close(&f->c->refs); /* every count came from the pods just dropped */
}

/* Drops a value that was in the map, and its references from the index. */
static void forget(struct feed *f, void *v)
{
	if (v && f->kind == FEED_PODS)
		refs_count(f->c, v, -1);
	drop(f, v);
}

static void set(struct feed *f, const char *key, void *v)
{
	void *old = NULL;

	if (!v || cm_strmap_put(&f->map, key, v, &old) < 0) {
		/* keep the stale value rather than none: a lost update heals at the next relist */
		if (v)
			drop(f, v);
		return;
	}
	if (f->kind == FEED_PODS)
		refs_count(f->c, v, +1);
	if (old)
		forget(f, old);
}

static void on_event(int type, const struct api_kv *kv, const struct api_kv *prev, void *ud)
{
	struct feed *f = ud;

	(void)prev;
	if (type == 1)
		forget(f, cm_strmap_del(&f->map, kv->key));
	else
		set(f, kv->key, value_of(f, kv->value, kv->value_len));
}

static void on_watch_error(int err, void *ud)
{
	struct feed *f = ud;

	cm_warn("authorization cache %s: watch ended (%s), listing again", f->prefix, cm_strerror(err));
	f->w = NULL;
	feed_list(f);
}

static void maybe_ready(struct api_authz_cache *c)
{
	for (int i = 0; i < c->nfeeds; i++)
		if (!c->feeds[i].listed)
			return;
	if (!c->ready) {
		c->ready = true;
		if (c->on_ready)
			c->on_ready(c->ud);
	}
}

static void cache_destroy(struct api_authz_cache *c)
{
	for (int i = 0; i < c->nfeeds; i++)
		feed_clear(&c->feeds[i]);
	cm_strmap_close(&c->refs);
	free(c);
}

static void retry_later(struct api_authz_cache *c);

static void on_list(int err, const struct api_kv_result *r, void *ud)
{
	struct feed *f = ud;
	struct api_authz_cache *c = f->c;
	static const struct api_watch_handlers h = {on_event, on_watch_error, NULL};

	c->inflight--;
	f->listing = false;
	if (c->dead) {
		if (c->inflight == 0 && c->timer_closed)
			cache_destroy(c);
		return;
	}
	if (err) {
		cm_warn("authorization cache %s: cannot list (%s), retrying", f->prefix, cm_strerror(err));
		retry_later(c);
		return;
	}
	feed_clear(f);
	for (size_t i = 0; i < r->n; i++)
		set(f, r->kvs[i].key, value_of(f, r->kvs[i].value, r->kvs[i].value_len));
	if (api_storage_watch(c->store, f->prefix, r->revision + 1, &h, f, &f->w) < 0) {
		f->w = NULL;
		retry_later(c);
		return;
	}
	f->listed = true;
	maybe_ready(c);
}

static void feed_list(struct feed *f)
{
	struct api_authz_cache *c = f->c;

	if (f->listing)
		return;
	if (api_storage_range(c->store, f->prefix, NULL, 0, 0, false, on_list, f) < 0) {
		retry_later(c);
		return;
	}
	f->listing = true;
	c->inflight++;
}

static void on_retry(uv_timer_t *t)
{
	struct api_authz_cache *c = t->data;

	for (int i = 0; i < c->nfeeds; i++)
		if (!c->feeds[i].w)
			feed_list(&c->feeds[i]);
}

static void retry_later(struct api_authz_cache *c)
{
	if (!uv_is_active((uv_handle_t *)&c->retry))
		uv_timer_start(&c->retry, on_retry, RETRY_MS, 0);
}

int api_authz_cache_new(uv_loop_t *loop, struct api_storage *store, unsigned what, void (*on_ready)(void *ud),
			void *ud, struct api_authz_cache **out)
{
	static const char *const prefixes[FEED_KINDS] = {RBAC_PREFIX, PODS_PREFIX, SECRETS_PREFIX, ACCOUNTS_PREFIX};
	struct api_authz_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->store = store;
	c->on_ready = on_ready;
	c->ud = ud;
	cm_strmap_init(&c->refs);
	for (int k = 0; k < FEED_KINDS; k++) {
		struct feed *f = &c->feeds[c->nfeeds];

		if (!(what & (1u << k)))
			continue;
		f->c = c;
		f->kind = (enum feed_kind)k;
		f->prefix = prefixes[k];
		cm_strmap_init(&f->map);
		c->by_kind[k] = f;
		c->nfeeds++;
	}
	uv_timer_init(loop, &c->retry);
	c->retry.data = c;
	for (int i = 0; i < c->nfeeds; i++)
		feed_list(&c->feeds[i]);
	*out = c;
	return 0;
}

static void timer_closed(uv_handle_t *h)
{
	struct api_authz_cache *c = h->data;

	c->timer_closed = true;
	if (c->inflight == 0)
		cache_destroy(c);
}

void api_authz_cache_free(struct api_authz_cache *c)
{
	if (!c)
		return;
	c->dead = true;
	for (int i = 0; i < c->nfeeds; i++)
		if (c->feeds[i].w) {
			api_storage_watch_stop(c->feeds[i].w);
			c->feeds[i].w = NULL;
		}
	uv_close((uv_handle_t *)&c->retry, timer_closed);
}

bool api_authz_cache_ready(const struct api_authz_cache *c)
{
	return c && c->ready;
}

const char *api_authz_cache_pod_node(void *cache, const char *ns, const char *name)
{
	struct api_authz_cache *c = cache;
	struct cm_buf k = CM_BUF_INIT;
	const struct pod_entry *e = NULL;

	if (!c->by_kind[FEED_PODS] || cm_buf_printf(&k, PODS_PREFIX "%s/%s", ns, name) < 0) {
		cm_buf_close(&k);
		return NULL;
	}
	e = cm_strmap_get(&c->by_kind[FEED_PODS]->map, k.data);
	cm_buf_close(&k);
	return e ? e->strs : NULL;
}

bool api_authz_cache_bound_alive(void *cache, int kind, const char *ns, const char *name, const char *uid,
				 int64_t now_s)
{
	struct api_authz_cache *c = cache;
	struct feed *f = c->by_kind[kind == API_SA_BOUND_POD ? FEED_PODS : FEED_SECRETS];
	struct cm_buf k = CM_BUF_INIT;
	const void *v;
	bool alive = false;

	if ((kind != API_SA_BOUND_POD && kind != API_SA_BOUND_SECRET) || !f || !f->listed ||
	    cm_buf_printf(&k, "%s%s/%s", f->prefix, ns, name) < 0) {
		cm_buf_close(&k);
		return false;
	}
	v = cm_strmap_get(&f->map, k.data);
	cm_buf_close(&k);
	if (v && kind == API_SA_BOUND_POD) {
		const struct pod_entry *e = v;
		const char *sa = e->strs + strlen(e->strs) + 1;

		alive = !strcmp(sa + strlen(sa) + 1, uid) &&
			(!e->deleted_s || now_s < e->deleted_s + BOUND_DELETE_GRACE_S);
	} else if (v) {
		alive = !strcmp(v, uid);
	}
	return alive;
}

bool api_authz_cache_account_alive(void *cache, const char *ns, const char *name, const char *uid)
{
	struct api_authz_cache *c = cache;
	struct feed *f = c->by_kind[FEED_ACCOUNTS];
	struct cm_buf k = CM_BUF_INIT;
	const char *have = NULL;

	if (f && f->listed && cm_buf_printf(&k, ACCOUNTS_PREFIX "%s/%s", ns, name) == 0)
		have = cm_strmap_get(&f->map, k.data);
	cm_buf_close(&k);
	return have && *have && !strcmp(have, uid);
}

bool api_authz_cache_node_refs(void *cache, const char *node, int kind, const char *ns, const char *name)
{
	struct api_authz_cache *c = cache;
	struct cm_buf k = CM_BUF_INIT;
	bool found = false;

	if (c->by_kind[FEED_PODS] && *node && cm_buf_printf(&k, "%c/%s/%s/%s", kind, ns, name, node) == 0)
		found = cm_strmap_get(&c->refs, k.data) != NULL;
	cm_buf_close(&k);
	return found;
}

/* The RBAC source over the map: keys are RBAC_PREFIX + "clusterroles/NAME", "roles/NS/NAME", ... */
struct each {
	const char *prefix;
	size_t plen;
	int (*fn)(const cJSON *binding, void *arg);
	void *arg;
};

static int each_fn(const char *key, void *val, void *ud)
{
	struct each *e = ud;

	if (strncmp(key, e->prefix, e->plen))
		return 0;
	return e->fn(val, e->arg);
}

static void for_prefix(struct api_authz_cache *c, const char *prefix, int (*fn)(const cJSON *, void *), void *arg)
{
	struct each e = {prefix, strlen(prefix), fn, arg};

	if (c->by_kind[FEED_RBAC])
		cm_strmap_foreach(&c->by_kind[FEED_RBAC]->map, each_fn, &e);
}

static void src_crbs(void *ud, int (*fn)(const cJSON *binding, void *arg), void *arg)
{
	for_prefix(ud, RBAC_PREFIX "clusterrolebindings/", fn, arg);
}

static void src_rbs(void *ud, const char *ns, int (*fn)(const cJSON *binding, void *arg), void *arg)
{
	struct cm_buf p = CM_BUF_INIT;

	if (cm_buf_printf(&p, RBAC_PREFIX "rolebindings/%s/", ns) == 0)
		for_prefix(ud, p.data, fn, arg);
	cm_buf_close(&p);
}

static const cJSON *lookup(struct api_authz_cache *c, const char *kind, const char *ns, const char *name)
{
	struct cm_buf k = CM_BUF_INIT;
	const cJSON *v = NULL;

	if (c->by_kind[FEED_RBAC] &&
	    cm_buf_printf(&k, RBAC_PREFIX "%s/%s%s%s", kind, ns ? ns : "", ns ? "/" : "", name) == 0)
		v = cm_strmap_get(&c->by_kind[FEED_RBAC]->map, k.data);
	cm_buf_close(&k);
	return v;
}

static const cJSON *src_cr(void *ud, const char *name)
{
	return lookup(ud, "clusterroles", NULL, name);
}

static const cJSON *src_role(void *ud, const char *ns, const char *name)
{
	return lookup(ud, "roles", ns, name);
}

void api_authz_cache_rbac(struct api_authz_cache *c, struct api_rbac_source *out)
{
	out->cluster_role_bindings = src_crbs;
	out->role_bindings = src_rbs;
	out->cluster_role = src_cr;
	out->role = src_role;
	out->ud = c;
}
