/* replicaset.c: the ReplicaSet controller: create or delete pods to match spec.replicas, with expectations, and status. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/objview.h"
#include "common/selector.h"
#include "common/strmap.h"
#include "controller/manager.h"
#include "controller/queued.h"

#define BURST 500 /* pods created or deleted per reconcile at most */
/*
 * Slow start, as Kubernetes': the first reconcile of a ReplicaSet creates
 * one pod, and each round whose creates all succeeded doubles the next
 * (up to BURST); a refused create (an apiserver saying 429) halves it. A
 * broken template thus costs one failed create, not hundreds, and a busy
 * apiserver is not flooded.
 */
#define SLOW_START 1

/*
 * Expectations, as Kubernetes': after asking for N creates the controller
 * waits to see N pods appear (or the creates fail) before it counts pods
 * again, so a reconcile that runs before the watch catches up does not
 * create the same pods twice.
 */
struct expect {
	int adds, dels;
	int batch; /* creates allowed in the next round */
	int64_t at; /* when set: a create that failed unseen is forgotten after EXPECT_TTL_MS */
};

#define EXPECT_TTL_MS 30000

struct ctl_replicaset {
	struct ctl_queued base;
	struct cm_strmap expect; /* rs key -> struct expect */
};

static struct expect *expect_get(struct ctl_replicaset *c, const char *key, int create)
{
	struct expect *e = cm_strmap_get(&c->expect, key);

	if (!e && create) {
		e = calloc(1, sizeof(*e));
		if (e)
			e->batch = SLOW_START;
		if (e && cm_strmap_put(&c->expect, key, e, NULL)) {
			free(e);
			e = NULL;
		}
	}
	return e;
}

static void observed(struct ctl_replicaset *c, const char *key, int add)
{
	struct expect *e = expect_get(c, key, 0);

	if (!e)
		return;
	if (add && e->adds > 0)
		e->adds--;
	if (!add && e->dels > 0)
		e->dels--;
}

struct pod_set {
	const struct cm_pod **p;
	size_t n, cap;
	int ready, available, labeled;
	const struct cm_selector *sel;
	/* adoption and release: pods to take (no controller, matching) or let go (owned, no longer matching) */
	struct ctl_replicaset *c;
	struct ctl_op *op;
	const cJSON *rs;
	bool claim;
};

static void set_owner(struct pod_set *s, const struct cm_pod *p, bool adopt)
{
	struct cm_buf path = CM_BUF_INIT;
	cJSON *patch = cJSON_CreateObject();

	if (!patch)
		return;
	cm_json_set(patch, "metadata.ownerReferences",
		    adopt ? ctl_owner_refs(s->rs, "apps/v1", "ReplicaSet") : cJSON_CreateNull());
	/* the pod as we saw it: a pod adopted or changed meanwhile makes this a conflict, retried */
	cm_json_set_str(patch, "metadata.resourceVersion", p->m.rv);
	cm_api_path(&path, "v1", "pods", p->m.ns, p->m.name);
	cm_info("replicaset %s/%s: %s pod %s", p->m.ns, cm_json_str_or(s->rs, "metadata.name", ""),
		adopt ? "adopting" : "releasing", p->m.name);
	ctl_op_write(s->c->base.m, s->op, "PATCH", path.data, patch);
	cm_buf_close(&path);
	cJSON_Delete(patch);
}

static int add_pod(struct pod_set *s, const struct cm_pod *p);

static int collect(const char *key, const void *view, void *ud)
{
	struct pod_set *s = ud;
	const struct cm_pod *p = view;

	(void)key;
	if (p->m.deleting || cm_pod_terminal(p))
		return 0;
	if (s->claim && !cm_selector_matches(s->sel, p->m.labels)) {
		set_owner(s, p, false);
		return 0;
	}
	return add_pod(s, p);
}

static int collect_orphan(const char *key, const void *view, void *ud)
{
	struct pod_set *s = ud;
	const struct cm_pod *p = view;

	(void)key;
	if (*p->m.owner_uid || p->m.deleting || cm_pod_terminal(p) || !cm_selector_matches(s->sel, p->m.labels))
		return 0;
	set_owner(s, p, true);
	return add_pod(s, p);
}

static int add_pod(struct pod_set *s, const struct cm_pod *p)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		const struct cm_pod **np = realloc(s->p, cap * sizeof(*np));
		if (!np)
			return 1;
		s->p = np;
		s->cap = cap;
	}
	s->p[s->n++] = p;
	if (p->ready) {
		s->ready++;
		s->available++; /* minReadySeconds 0: ready is available */
	}
	if (cm_selector_matches(s->sel, p->m.labels))
		s->labeled++;
	return 0;
}

/* Deletion order: unscheduled, then pending, then not ready, then the newest (Kubernetes' ActivePods ranking). */
static int rank(const struct cm_pod *p)
{
	if (!*p->node_name)
		return 0;
	if (strcmp(p->phase, "Running") != 0)
		return 1;
	if (!p->ready)
		return 2;
	return 3;
}

static int cmp_delete(const void *a, const void *b)
{
	const struct cm_pod *x = *(const struct cm_pod *const *)a, *y = *(const struct cm_pod *const *)b;

	if (rank(x) != rank(y))
		return rank(x) - rank(y);
	return x->m.created_ms > y->m.created_ms ? -1 : x->m.created_ms < y->m.created_ms;
}

static cJSON *pod_from_template(const cJSON *rs)
{
	cJSON *pod = cJSON_CreateObject(), *meta, *tmpl = cm_json_get(rs, "spec.template");
	struct cm_buf gen = CM_BUF_INIT;

	if (!pod)
		return NULL;
	cJSON_AddStringToObject(pod, "apiVersion", "v1");
	cJSON_AddStringToObject(pod, "kind", "Pod");
	meta = cm_json_copy(cm_json_get(tmpl, "metadata"));
	if (!meta)
		meta = cJSON_CreateObject();
	cJSON_AddItemToObject(pod, "metadata", meta);
	cJSON_DeleteItemFromObject(meta, "name");
	cm_buf_printf(&gen, "%s-", cm_json_str_or(rs, "metadata.name", "rs"));
	cm_json_set_str(pod, "metadata.generateName", gen.data ? gen.data : "pod-");
	cm_json_set_str(pod, "metadata.namespace", cm_json_str_or(rs, "metadata.namespace", "default"));
	cm_json_set(pod, "metadata.ownerReferences", ctl_owner_refs(rs, "apps/v1", "ReplicaSet"));
	cm_json_set(pod, "spec", cm_json_copy(cm_json_get(tmpl, "spec")));
	cm_buf_close(&gen);
	return pod;
}

static void write_status(struct ctl_replicaset *c, struct ctl_op *op, const cJSON *rs, int64_t replicas,
			 const struct pod_set *s)
{
	const cJSON *st = cm_json_get(rs, "status");
	struct cm_buf path = CM_BUF_INIT;
	cJSON *patch;
	int64_t gen = cm_json_int64_or(rs, "metadata.generation", 0);

	if (cm_json_int64_or(st, "replicas", 0) == (int64_t)s->n &&
	    cm_json_int64_or(st, "readyReplicas", 0) == s->ready &&
	    cm_json_int64_or(st, "availableReplicas", 0) == s->available &&
	    cm_json_int64_or(st, "fullyLabeledReplicas", 0) == s->labeled &&
	    cm_json_int64_or(st, "observedGeneration", 0) == gen)
		return;
	(void)replicas;
	patch = cJSON_CreateObject();
	if (!patch)
		return;
	cm_json_set(patch, "status.replicas", cJSON_CreateNumber((double)s->n));
	cm_json_set(patch, "status.readyReplicas", cJSON_CreateNumber(s->ready));
	cm_json_set(patch, "status.availableReplicas", cJSON_CreateNumber(s->available));
	cm_json_set(patch, "status.fullyLabeledReplicas", cJSON_CreateNumber(s->labeled));
	cm_json_set(patch, "status.observedGeneration", cJSON_CreateNumber((double)gen));
	cm_api_path(&path, "apps/v1", "replicasets", cm_json_get_str(rs, "metadata.namespace"),
		    cm_json_get_str(rs, "metadata.name"));
	cm_buf_puts(&path, "/status");
	ctl_op_write(c->base.m, op, "PATCH", path.data, patch);
	cm_buf_close(&path);
	cJSON_Delete(patch);
}

/* Creates that were refused will never be seen: forget them, and size the next round. */
static void creates_ended(struct ctl_op *op, void *ud)
{
	struct expect *e = expect_get(ud, op->key, 0);

	if (!e || !op->posts)
		return;
	e->adds -= op->failed_posts;
	if (e->adds < 0)
		e->adds = 0;
	if (op->failed_posts)
		e->batch = e->batch > 1 ? e->batch / 2 : 1;
	else if (e->batch < BURST)
		e->batch = e->batch * 2 < BURST ? e->batch * 2 : BURST;
}

static void reconcile(struct cm_workqueue *q, const char *key, void *ud)
{
	struct ctl_replicaset *c = ud;
	const cJSON *rs = cm_informer_get(c->base.m->rs, key);
	struct cm_selector *sel = NULL;
	struct pod_set s = {0};
	struct expect *e;
	struct ctl_op *op;
	int64_t replicas;
	const char *uid, *ns;
	struct cm_event_ref ref;

	if (!rs) {
		free(cm_strmap_del(&c->expect, key));
		cm_workqueue_done(q, key, 0);
		return;
	}
	op = ctl_op_new(c->base.m, q, key);
	if (!op)
		return;
	if (cm_selector_from_json(cm_json_get(rs, "spec.selector"), &sel, NULL)) {
		ctl_op_release(op);
		return;
	}
	uid = cm_json_str_or(rs, "metadata.uid", "");
	ns = cm_json_str_or(rs, "metadata.namespace", "");
	ref = (struct cm_event_ref){"ReplicaSet", "apps/v1", ns, cm_json_str_or(rs, "metadata.name", ""), uid};
	replicas = cm_json_int64_or(rs, "spec.replicas", 1);
	s.sel = sel;
	s.c = c;
	s.op = op;
	s.rs = rs;
	s.claim = !cm_json_get(rs, "metadata.deletionTimestamp") && !cm_selector_empty(sel);
	cm_informer_index_foreach(c->base.m->pods, "owner", uid, collect, &s);
	if (s.claim)
		cm_informer_index_foreach(c->base.m->pods, "ns", ns, collect_orphan, &s);
	e = expect_get(c, key, 1);
	if (cm_json_get(rs, "metadata.deletionTimestamp")) {
		/* being deleted: the garbage collector removes the pods */
	} else if (e && (e->adds > 0 || e->dels > 0) && cm_time_mono_ms() - e->at < EXPECT_TTL_MS) {
		/* waiting for the watch to show earlier creates/deletes */
	} else if ((int64_t)s.n < replicas) {
		if (e) {
			e->adds = e->dels = 0;
			e->at = cm_time_mono_ms();
		}
		int64_t want = replicas - (int64_t)s.n;
		struct cm_buf path = CM_BUF_INIT;
		cJSON *pod = pod_from_template(rs);
		if (want > BURST)
			want = BURST;
		if (e && want > e->batch)
			want = e->batch;
		op->on_end = creates_ended;
		op->end_ud = c;
		cm_api_path(&path, "v1", "pods", ns, NULL);
		for (int64_t i = 0; pod && path.data && i < want; i++) {
			if (e)
				e->adds++;
			ctl_op_write(c->base.m, op, "POST", path.data, pod);
		}
		cm_events_record(c->base.m->events, &ref, "Normal", "SuccessfulCreate", "Created %lld pod(s)",
				 (long long)want);
		cJSON_Delete(pod);
		cm_buf_close(&path);
		if (want < replicas - (int64_t)s.n)
			cm_workqueue_add(q, key); /* dirty: the next burst after these */
	} else if ((int64_t)s.n > replicas) {
		if (e) {
			e->adds = e->dels = 0;
			e->at = cm_time_mono_ms();
		}
		int64_t extra = (int64_t)s.n - replicas;
		if (extra > BURST)
			extra = BURST;
		qsort(s.p, s.n, sizeof(*s.p), cmp_delete);
		for (int64_t i = 0; i < extra; i++) {
			struct cm_buf path = CM_BUF_INIT;
			cm_api_path(&path, "v1", "pods", ns, s.p[i]->m.name);
			if (e)
				e->dels++;
			ctl_op_write(c->base.m, op, "DELETE", path.data, NULL);
			cm_events_record(c->base.m->events, &ref, "Normal", "SuccessfulDelete", "Deleted pod: %s",
					 s.p[i]->m.name);
			cm_buf_close(&path);
		}
	}
	write_status(c, op, rs, replicas, &s);
	if (op->err && e) {
		/* writes that never left will never be observed */
		e->adds = e->dels = 0;
	}
	free(s.p);
	cm_selector_free(sel);
	ctl_op_release(op);
}

static void pod_owner(struct ctl_replicaset *c, const struct cm_pod *p, int what)
{
	struct cm_buf key = CM_BUF_INIT;

	if (ctl_owner_key(c->base.m->rs, p->m.ns, "ReplicaSet", p->m.owner_kind, p->m.owner_name, &key) == 0) {
		if (what == CTL_ADDED)
			observed(c, key.data, 1);
		if (what == CTL_DELETED || (what == CTL_UPDATED && p->m.deleting))
			observed(c, key.data, 0);
		cm_workqueue_add(c->base.q, key.data);
	}
	cm_buf_close(&key);
}

struct orphan_ev {
	struct ctl_replicaset *c;
	const struct cm_pod *p;
};

static int rs_selecting(const char *key, const void *view, void *ud)
{
	struct orphan_ev *e = ud;
	struct cm_selector *sel = NULL;

	if (cm_selector_from_json(cm_json_get(view, "spec.selector"), &sel, NULL) == 0 && !cm_selector_empty(sel) &&
	    cm_selector_matches(sel, e->p->m.labels))
		cm_workqueue_add(e->c->base.q, key);
	cm_selector_free(sel);
	return 0;
}

void ctl_replicaset_pod_event(struct ctl_replicaset *c, const void *old_pod, const void *pod, int what)
{
	const struct cm_pod *o = old_pod, *p = pod;

	/* a pod with no controller: the ReplicaSets of its namespace that select it may adopt it */
	if (!*p->m.owner_uid && !p->m.deleting && what != CTL_DELETED &&
	    (!o || *o->m.owner_uid || !cm_json_equal(o->m.labels, p->m.labels))) {
		struct orphan_ev e = {c, p};
		cm_informer_index_foreach(c->base.m->rs, "ns", p->m.ns, rs_selecting, &e);
	}

	/* A pod that starts terminating counts as one delete seen; later updates of it do not. */
	if (what == CTL_UPDATED && o && o->m.deleting)
		what = CTL_UPDATED + 10;
	if (what == CTL_DELETED && p->m.deleting)
		what = CTL_UPDATED + 10; /* its delete was already counted when it started terminating */
	pod_owner(c, p, what);
}

void ctl_replicaset_rs_event(struct ctl_replicaset *c, const char *key)
{
	cm_workqueue_add(c->base.q, key);
}

int ctl_replicaset_start(struct ctl_manager *m, struct ctl_replicaset **out)
{
	struct ctl_replicaset *c = ctl_queued_new(m, sizeof(*c), m->cfg->workers, 50, reconcile);

	if (!c)
		return -ENOMEM;
	cm_strmap_init(&c->expect);
	*out = c;
	return 0;
}

static int free_val(const char *k, void *v, void *ud)
{
	(void)k, (void)ud;
	free(v);
	return 0;
}

void ctl_replicaset_stop(struct ctl_replicaset *c)
{
	cm_strmap_foreach(&c->expect, free_val, NULL);
	cm_strmap_close(&c->expect);
	ctl_queued_free(&c->base);
}
