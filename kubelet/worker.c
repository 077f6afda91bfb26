/* worker.c: pod workers: drive each pod to its spec (init containers, containers, restarts, back-off) and stop it on delete. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/err.h"
#include "common/events.h"
#include "common/informer.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "kubelet/poddns.h"
#include "kubelet/podnet.h"
#include "kubelet/teardown.h"
#include "kubelet/volwatch.h"
#include "kubelet/worker.h"

/* The tick while a pod is about to change (see changing()). */
#define KL_SYNC_SOON_MS 50

static void free_worker(struct kl_pod_worker *w)
{
	for (size_t i = 0; i < w->n_ctrs; i++) {
		kl_prober_reset(&w->ctrs[i]);
		free(w->ctrs[i].name);
		free(w->ctrs[i].id);
		free(w->ctrs[i].prev_id);
		free(w->ctrs[i].prev_log);
	}
	free(w->ctrs);
	kl_sandbox_close(&w->sb);
	cJSON_Delete(w->pod);
	cJSON_Delete(w->deps);
	cJSON_Delete(w->watched);
	free(w->last_status);
	free(w->uid);
	free(w->ns);
	free(w->name);
	free(w);
}

void kl_worker_unref(struct kl_pod_worker *w)
{
	if (--w->refs == 0 && w->removed)
		free_worker(w);
}

/* Takes w out of the list; it is freed now or when its last call returns. */
static void remove_worker(struct kl_pod_worker *w)
{
	struct kl_server *s = w->srv;

	for (struct kl_pod_worker **pp = &s->workers; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->removed = true;
	kl_volwatch_remove(s->volwatch, w);
	cm_metric_add(s->m_pods, -1);
	w->refs++;
	kl_worker_unref(w);
}

const char *kl_worker_ip(const struct kl_pod_worker *w)
{
	return w->sb.ip ? w->sb.ip : w->srv->cfg.node_ip;
}

static struct kl_pod_worker *find_uid(struct kl_server *s, const char *uid)
{
	for (struct kl_pod_worker *w = s->workers; w; w = w->next)
		if (!strcmp(w->uid, uid))
			return w;
	return NULL;
}

struct kl_pod_worker *kl_worker_find(struct kl_server *s, const char *ns, const char *name)
{
	/* one whose containers are gone is only waiting for its folder's removal: a new pod of that name is meant */
	for (struct kl_pod_worker *w = s->workers; w; w = w->next)
		if (!w->gone_busy && !strcmp(w->ns, ns) && !strcmp(w->name, name))
			return w;
	return NULL;
}

const cJSON *kl_worker_pod(const struct kl_pod_worker *w)
{
	return w->pod;
}

int kl_worker_log_path(const struct kl_pod_worker *w, const char *name, bool previous, struct cm_buf *out)
{
	struct kl_runtime *rt = w->srv->rt;

	for (size_t i = 0; i < w->n_ctrs; i++) {
		const struct kl_ctr *c = &w->ctrs[i];

		if (strcmp(c->name, name))
			continue;
		if (!c->id)
			return -ENOENT;
		if (!previous)
			return rt->ops->log_path(rt, c->id, out) < 0 ? -ENOENT : 0;
		if (!c->prev_log)
			return -ESRCH;
		return cm_buf_puts(out, c->prev_log) < 0 ? -ENOMEM : 0;
	}
	return -ENOENT;
}

/* Picks up a container this node ran before the kubelet restarted (the highest attempt). */
static void adopt(struct kl_server *s, struct kl_pod_worker *w, struct kl_ctr *c)
{
	const cJSON *mine = cm_json_get(cm_json_get(s->adopted, w->uid), c->name);

	if (!cJSON_IsArray(mine))
		return;
	c->attempt = cJSON_GetArrayItem(mine, 0)->valueint;
	c->restarts = c->attempt;
	c->id = strdup(cJSON_GetArrayItem(mine, 1)->valuestring);
	s->rt->ops->container_status(s->rt, c->id, &c->st);
	/* the previous attempt is kept until the next start: its end is lastState again, and it is removed then */
	if (cJSON_GetArraySize(mine) == 4 && (c->prev_id = strdup(cJSON_GetArrayItem(mine, 3)->valuestring)) &&
	    s->rt->ops->container_status(s->rt, c->prev_id, &c->last) == 0 && c->last.state == KL_CSTATE_EXITED)
		c->has_last = true;
	/* the previous attempt's log stayed on disk: logs --previous goes on working */
	if (s->rt->ops->log_path_before) {
		struct cm_buf log = CM_BUF_INIT;

		if (s->rt->ops->log_path_before(s->rt, w->uid, c->name, c->attempt, &log) == 0)
			c->prev_log = cm_buf_take(&log);
		cm_buf_close(&log);
	}
	cm_info("pod %s/%s: container %s adopted (attempt %d, %s)", w->ns, w->name, c->name, c->attempt,
		c->st.state == KL_CSTATE_RUNNING ? "running" : "exited");
}

static int add_ctrs(struct kl_pod_worker *w, const cJSON *list, bool init)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, list)
	{
		struct kl_ctr *k = &w->ctrs[w->n_ctrs++];
		static const char *const pnames[3] = {"livenessProbe", "readinessProbe", "startupProbe"};

		k->name = strdup(cm_json_str_or(c, "name", "?"));
		if (!k->name)
			return -ENOMEM;
		k->init = init;
		k->spec = c;
		for (int i = 0; i < 3; i++)
			if (kl_probe_spec_parse(cm_json_get(c, pnames[i]), cm_json_get(c, "ports"), &k->probes[i]) < 0)
				k->probes[i].kind = KL_PROBE_NONE;
		adopt(w->srv, w, k);
	}
	return 0;
}

static struct kl_pod_worker *new_worker(struct kl_server *s, const cJSON *pod)
{
	struct kl_pod_worker *w = calloc(1, sizeof(*w));
	const cJSON *inits = cm_json_get(pod, "spec.initContainers"), *ctrs = cm_json_get(pod, "spec.containers");
	size_t n = (size_t)cJSON_GetArraySize(inits) + (size_t)cJSON_GetArraySize(ctrs);
	bool any_regular = false;

	if (!w)
		return NULL;
	w->srv = s;
	w->uid = strdup(cm_json_str_or(pod, "metadata.uid", ""));
	w->ns = strdup(cm_json_str_or(pod, "metadata.namespace", "default"));
	w->name = strdup(cm_json_str_or(pod, "metadata.name", ""));
	w->pod = cm_json_copy(pod);
	w->deps = cJSON_CreateObject();
	w->ctrs = calloc(n + 1, sizeof(*w->ctrs));
	snprintf(w->phase, sizeof(w->phase), "Pending");
	if (!w->uid || !w->ns || !w->name || !w->pod || !w->deps || !w->ctrs ||
	    add_ctrs(w, cm_json_get(w->pod, "spec.initContainers"), true) < 0 ||
	    (w->n_init = w->n_ctrs, add_ctrs(w, cm_json_get(w->pod, "spec.containers"), false) < 0)) {
		free_worker(w);
		return NULL;
	}
	w->start_ms = cm_time_wall_ms();
	cm_time_parse(cm_json_str_or(pod, "status.startTime", ""), &w->start_ms);
	for (size_t i = w->n_init; i < w->n_ctrs; i++)
		any_regular |= w->ctrs[i].id != NULL;
	for (size_t i = 0; i < w->n_init && any_regular; i++)
		w->ctrs[i].done = true; /* the pod got past its init containers before the restart */
	return w;
}

/*
 * The pod's labels and annotations as the apiserver has them now: the
 * downward API files show them (rewritten on the next tick). The rest of
 * the copy stays: the containers' specs are borrowed from it, and a pod's
 * spec does not change.
 */
static void follow_metadata(struct kl_pod_worker *w, const cJSON *pod)
{
	static const char *const fields[] = {"labels", "annotations"};
	cJSON *meta = cm_json_get(w->pod, "metadata");
	bool changed = false;

	for (size_t i = 0; i < 2 && meta; i++) {
		const cJSON *now = cJSON_GetObjectItemCaseSensitive(cm_json_get(pod, "metadata"), fields[i]);
		const cJSON *had = cJSON_GetObjectItemCaseSensitive(meta, fields[i]);
		cJSON *copy;

		if ((!now && !had) || (now && had && cJSON_Compare(now, had, true)))
			continue;
		if (now && !(copy = cm_json_copy(now)))
			continue; /* out of memory: the next update tries again */
		cJSON_DeleteItemFromObjectCaseSensitive(meta, fields[i]);
		if (now)
			cJSON_AddItemToObject(meta, fields[i], copy);
		changed = true;
	}
	if (changed) {
		w->vol_dirty = true;
		kl_server_kick(w->srv);
	}
}

void kl_worker_update(struct kl_server *s, const cJSON *pod)
{
	const char *uid = cm_json_get_str(pod, "metadata.uid");
	struct kl_pod_worker *w;

	if (!uid)
		return;
	if (!(w = find_uid(s, uid))) {
		const char *phase = cm_json_str_or(pod, "status.phase", "");
		struct kl_pod_worker **tail = &s->workers;

		/* a finished pod is not started again by a kubelet that lost track of it */
		if ((!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")) && !cm_json_get(s->adopted, uid))
			return;
		if (!(w = new_worker(s, pod))) {
			cm_error("pod %s: worker not made: out of memory", uid);
			return;
		}
		/* appended: a tick serves pods in the order they came, so the first created is not started last */
		while (*tail)
			tail = &(*tail)->next;
		*tail = w;
		cm_metric_add(s->m_pods, 1);
		cm_info("pod %s/%s: admitted", w->ns, w->name);
		if (kl_volwatch_add(s->volwatch, w) < 0)
			cm_warn("pod %s/%s: its volumes' sources not watched (out of memory): they are not updated",
				w->ns, w->name);
		/* a new pod starts on the next loop pass, not a whole tick later; a burst shares that pass */
		kl_server_kick(s);
	} else if (!w->deleting) {
		follow_metadata(w, pod);
	}
	if (cm_json_get(pod, "metadata.deletionTimestamp") && !w->deleting) {
		w->deleting = true;
		cm_info("pod %s/%s: deleted: stopping", w->ns, w->name);
		/* keep the deletion grace period the apiserver granted */
		cJSON *m = cm_json_get(pod, "metadata");
		cJSON_DeleteItemFromObject(cm_json_get(w->pod, "metadata"), "deletionGracePeriodSeconds");
		if (cm_json_get(m, "deletionGracePeriodSeconds"))
			cm_json_set(w->pod, "metadata.deletionGracePeriodSeconds",
				    cJSON_Duplicate(cm_json_get(m, "deletionGracePeriodSeconds"), 1));
	}
}

void kl_worker_gone(struct kl_server *s, const char *uid)
{
	struct kl_pod_worker *w = find_uid(s, uid);

	if (!w)
		return;
	w->api_gone = true;
	if (!w->deleting)
		cm_info("pod %s/%s: removed from the apiserver: stopping", w->ns, w->name);
	w->deleting = true;
}

static void refresh(struct kl_server *s, struct kl_ctr *c)
{
	if (c->id && s->rt->ops->container_status(s->rt, c->id, &c->st) < 0)
		c->st.state = KL_CSTATE_UNKNOWN;
}

static int64_t grace_ms(const struct kl_pod_worker *w)
{
	int64_t g = cm_json_int64_or(w->pod, "metadata.deletionGracePeriodSeconds",
				     cm_json_int64_or(w->pod, "spec.terminationGracePeriodSeconds", 30));

	return (g < 0 ? 0 : g) * 1000;
}

static void deleted_done(const struct cm_http_response *r, void *ud)
{
	struct kl_pod_worker *w = ud;

	if (r->err || (r->status >= 300 && r->status != 404))
		cm_warn("pod %s/%s: final delete failed (%ld): %s", w->ns, w->name, r->status,
			r->err ? cm_strerror(r->err) : r->body);
	kl_worker_unref(w);
}

/* The pod's object goes for good, once nothing of it is left on the node (as Kubernetes' kubelet does). */
static void delete_object(struct kl_server *s, struct kl_pod_worker *w)
{
	struct cm_buf path = CM_BUF_INIT, body = CM_BUF_INIT;

	if (w->api_gone || w->delete_sent)
		return;
	w->delete_sent = true;
	cm_buf_printf(&path, "/api/v1/namespaces/%s/pods/%s", w->ns, w->name);
	cm_buf_printf(&body, "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"gracePeriodSeconds\":0,"
			     "\"preconditions\":{\"uid\":\"%s\"}}", w->uid);
	w->refs++;
	if (kl_api_send(s, "DELETE", path.data, "application/json", body.data, deleted_done, w) < 0)
		w->refs--;
	cm_buf_close(&path);
	cm_buf_close(&body);
}

/* The pod's folder and network are gone: nothing of it is left, and its uid may be seen anew. */
static void gone_done(int rc, void *ud)
{
	struct kl_pod_worker *w = ud;

	w->gone_busy = false;
	/* -ECANCELED: the kubelet stops; the next one finds the pod deleting and removes what is left */
	if (!w->removed && rc != -ECANCELED)
		delete_object(w->srv, w);
	if (!w->removed)
		remove_worker(w);
	kl_worker_unref(w);
}

/* Stops every container with SIGTERM, then SIGKILL at the deadline; then removes the pod for good. */
static void sync_delete(struct kl_server *s, struct kl_pod_worker *w, int64_t now)
{
	bool running = false;

	/* no container runs while the network or the files are being made: they are removed once made */
	if (w->net_busy || w->files_busy || w->gone_busy)
		return;

	for (size_t i = 0; i < w->n_ctrs; i++) {
		struct kl_ctr *c = &w->ctrs[i];

		refresh(s, c);
		kl_prober_reset(c);
		if (c->st.state == KL_CSTATE_CREATED) {
			running = true; /* its shim is about to report: signal it once it has */
			continue;
		}
		if (c->st.state != KL_CSTATE_RUNNING)
			continue;
		running = true;
		if (!w->term_sent)
			s->rt->ops->container_signal(s->rt, c->id, SIGTERM);
		else if (now >= w->kill_deadline)
			s->rt->ops->container_signal(s->rt, c->id, SIGKILL);
	}
	if (!w->term_sent) {
		w->term_sent = true;
		w->kill_deadline = now + grace_ms(w);
	}
	if (running)
		return;
	cm_info("pod %s/%s: containers stopped", w->ns, w->name);
	/* the worker stays (doing nothing) until the folder and network are gone, so its uid is not made again meanwhile */
	w->gone_busy = true;
	w->refs++;
	if (kl_teardown_start(s->teardowns, s->rt, s->net, w->uid, gone_done, w) != -EINPROGRESS) {
		w->gone_busy = false;
		w->refs--;
		delete_object(s, w);
		remove_worker(w);
	}
}

static bool should_restart(const struct kl_pod_worker *w, const struct kl_ctr *c)
{
	const char *policy = cm_json_str_or(w->pod, "spec.restartPolicy", "Always");

	if (c->init) /* init containers restart on failure unless the pod says Never */
		return c->st.exit_code != 0 && strcmp(policy, "Never");
	if (!strcmp(policy, "Never"))
		return false;
	return !strcmp(policy, "Always") || c->st.exit_code != 0;
}

/* Starts c now, or notes the back-off it waits in. */
static void start_or_wait(struct kl_server *s, struct kl_pod_worker *w, struct kl_ctr *c, int64_t now)
{
	if (now < c->backoff_until) {
		/* A start that failed (an image error) keeps its own reason, as Kubernetes shows it. */
		if (c->waiting_reason[0] && strcmp(c->waiting_reason, "CrashLoopBackOff") != 0)
			return;
		snprintf(c->waiting_reason, sizeof(c->waiting_reason), "CrashLoopBackOff");
		snprintf(c->waiting_msg, sizeof(c->waiting_msg), "back-off %llds restarting failed container=%s pod=%s_%s",
			 (long long)((c->backoff_until - now + 999) / 1000), c->name, w->name, w->ns);
		return;
	}
	struct kl_container_status prev = c->st;
	bool restart = c->id != NULL;

	kl_prober_reset(c);
	if (kl_prep_start(w, c) < 0)
		return;
	if (restart) {
		c->last = prev;
		c->has_last = true;
		c->restarts++;
		cm_metric_inc(s->m_restarts);
	}
	c->waiting_reason[0] = '\0';
	c->waiting_msg[0] = '\0';
	c->killing = false;
	cm_metric_inc(s->m_starts);
	refresh(s, c);
}

/* c's attempt ran in the pod's dead sandbox: the next one starts now, with no back-off (it did not crash). */
static void rerun(struct kl_server *s, struct kl_pod_worker *w, struct kl_ctr *c, int64_t now)
{
	int restarts = c->restarts;

	c->backoff_until = 0;
	start_or_wait(s, w, c, now);
	if (c->restarts != restarts)
		c->rerun = false;
}

/* An exited container: restart with back-off, or mark it done. */
static void exited(struct kl_server *s, struct kl_pod_worker *w, struct kl_ctr *c, int64_t now)
{
	if (c->done)
		return;
	if (!should_restart(w, c)) {
		c->done = true;
		return;
	}
	if (c->backoff_until <= c->st.finished_ms) {
		/* a container that ran long enough starts its back-off over */
		int r = (c->st.finished_ms - c->st.started_ms > 10 * 60 * 1000) ? 0 : c->restarts;

		c->backoff_until = now + kl_backoff_delay(r, s->cfg.backoff_base_ms, s->cfg.backoff_cap_ms);
	}
	start_or_wait(s, w, c, now);
}

static void set_phase(struct kl_pod_worker *w)
{
	size_t running = 0, ok = 0, failed = 0, n = w->n_ctrs - w->n_init;
	bool init_failed = false;

	for (size_t i = 0; i < w->n_init; i++)
		if (w->ctrs[i].done && w->ctrs[i].st.exit_code != 0)
			init_failed = true;
	for (size_t i = w->n_init; i < w->n_ctrs; i++) {
		const struct kl_ctr *c = &w->ctrs[i];

		if (c->st.state == KL_CSTATE_RUNNING)
			running++;
		else if (c->done && c->st.exit_code == 0)
			ok++;
		else if (c->done)
			failed++;
	}
	if (init_failed || (n && failed && ok + failed == n))
		snprintf(w->phase, sizeof(w->phase), "Failed");
	else if (n && ok == n)
		snprintf(w->phase, sizeof(w->phase), "Succeeded");
	else if (running || (n && ok + failed > 0))
		snprintf(w->phase, sizeof(w->phase), "Running");
	else
		snprintf(w->phase, sizeof(w->phase), "Pending");
}

/* The pod's network is made (or failed: the next tick tries again); its containers may start at once. */
static void net_done(int rc, char *ip, char *netns_path, void *ud)
{
	struct kl_pod_worker *w = ud;

	w->net_busy = false;
	if (w->removed) {
		free(ip);
		free(netns_path);
		kl_worker_unref(w);
		return;
	}
	if (rc < 0) {
		cm_warn("pod %s/%s: network not made: %s", w->ns, w->name, cm_strerror(rc));
		/* the next try may give another address: hosts is written again with it */
		free(w->sb.ip);
		w->sb.ip = NULL;
		w->files_done = false;
	} else {
		free(w->sb.ip);
		free(w->sb.netns_path);
		w->sb.ip = ip;
		w->sb.netns_path = netns_path;
		kl_server_kick(w->srv);
	}
	kl_worker_unref(w);
}

/*
 * Whether w is about to change: a container its shim has not reported yet,
 * or a readiness probe in its first phase. The tick then comes sooner, so
 * Running and Ready are seen (and written) tens of ms after they happen
 * rather than up to a whole sync interval later.
 */
static bool changing(const struct kl_pod_worker *w, int64_t now)
{
	if (w->deleting)
		return false;
	for (size_t i = 0; i < w->n_ctrs; i++)
		if (w->ctrs[i].st.state == KL_CSTATE_CREATED || kl_prober_early(&w->ctrs[i], now))
			return true;
	return false;
}

/* Whether the pod's sandbox died: the runtime's (docker's container), or the pod network the kubelet made. */
/*
 * The pod's sandbox cannot be made (rc: its FQDN hostname is too long, a
 * spec that will not change): its containers wait with the reason, and a
 * FailedCreatePodSandBox event says it once, as Kubernetes' kubelet does.
 */
static void sandbox_refused(struct kl_server *s, struct kl_pod_worker *w, int rc)
{
	struct cm_event_ref ref = {"Pod", "v1", w->ns, w->name, w->uid};
	struct cm_buf f = CM_BUF_INIT;
	char msg[sizeof(w->ctrs[0].waiting_msg)];

	if (rc == -ENAMETOOLONG && kl_dns_fqdn(w->pod, s->cfg.cluster_domain, &f) == 0)
		snprintf(msg, sizeof(msg),
			 "Failed to create pod sandbox: setHostnameAsFQDN: the FQDN %s is too long for the "
			 "pod's hostname (%zu characters, %d at most)",
			 f.data, f.len, KL_DNS_UTS_MAX);
	else
		snprintf(msg, sizeof(msg), "Failed to create pod sandbox: %s", cm_strerror(rc));
	cm_buf_close(&f);
	if (w->n_ctrs && !strcmp(w->ctrs[0].waiting_msg, msg))
		return;
	for (size_t i = 0; i < w->n_ctrs; i++) {
		snprintf(w->ctrs[i].waiting_reason, sizeof(w->ctrs[i].waiting_reason), "ContainerCreating");
		snprintf(w->ctrs[i].waiting_msg, sizeof(w->ctrs[i].waiting_msg), "%s", msg);
	}
	cm_warn("pod %s/%s: %s", w->ns, w->name, msg);
	cm_events_record(s->events, &ref, "Warning", "FailedCreatePodSandBox", "%s", msg);
}

static bool sandbox_died(struct kl_server *s, struct kl_pod_worker *w)
{
	if (s->rt->ops->sandbox_check && s->rt->ops->sandbox_check(s->rt, w->uid) == -ESTALE)
		return true;
	return s->net && w->sb.netns_path && kl_podnet_check(s->net, w->uid) == -ESTALE;
}

/*
 * As Kubernetes' kubelet when a pod's sandbox changed: everything is killed
 * and the pod starts again from its init containers, in order, then its
 * containers (each a new attempt: restartCount goes on). Not a finished pod,
 * nor one that may not restart (restartPolicy Never, once its containers
 * started: they stay ended), nor, under OnFailure, a container that
 * succeeded.
 */
static void restart_pod(struct kl_pod_worker *w)
{
	const char *policy = cm_json_str_or(w->pod, "spec.restartPolicy", "Always");
	bool started = false;

	if (!strcmp(w->phase, "Succeeded") || !strcmp(w->phase, "Failed"))
		return;
	for (size_t i = w->n_init; i < w->n_ctrs; i++)
		started |= w->ctrs[i].id != NULL;
	if (started && !strcmp(policy, "Never"))
		return;
	for (size_t i = 0; i < w->n_ctrs; i++) {
		struct kl_ctr *c = &w->ctrs[i];

		if (!c->id || (!c->init && c->done && c->st.exit_code == 0 && !strcmp(policy, "OnFailure")))
			continue;
		c->rerun = true;
		c->done = false;
	}
}

/* SIGKILL to every container of the pod still running; how many are not down yet (a kill is sent again). */
static int stop_all(struct kl_server *s, struct kl_pod_worker *w)
{
	int left = 0;

	for (size_t i = 0; i < w->n_ctrs; i++) {
		struct kl_ctr *c = &w->ctrs[i];

		refresh(s, c);
		kl_prober_reset(c);
		if (c->st.state == KL_CSTATE_RUNNING)
			s->rt->ops->container_signal(s->rt, c->id, SIGKILL);
		if (c->st.state == KL_CSTATE_RUNNING || c->st.state == KL_CSTATE_CREATED)
			left++;
	}
	return left;
}

static bool svcs_listed(const struct kl_server *s)
{
	return !s->svc_inf || cm_informer_synced(s->svc_inf);
}

static void sync_pod(struct kl_server *s, struct kl_pod_worker *w, int64_t now)
{
	bool inits_done = true;

	cm_debug(3, "pod %s/%s: sync (prepared %d, fetching %d, sandbox %d)", w->ns, w->name, w->prepared, w->fetching,
		 w->sandbox_ok);
	if (w->deleting) {
		sync_delete(s, w, now);
		return;
	}
	/* as Kubernetes' kubelet: no container starts before the Services were listed (its env needs them) */
	if (!w->prepared || !svcs_listed(s)) {
		if (!w->prepared && !w->fetching && now >= w->prep_retry_at)
			kl_prep_fetch(w);
		if (!w->prepared || !svcs_listed(s)) {
			kl_status_sync(w);
			return;
		}
	}
	if (w->sandbox_ok && sandbox_died(s, w)) {
		cm_warn("pod %s/%s: sandbox changed: it is made again and the pod restarted from its init containers",
			w->ns, w->name);
		kl_sandbox_close(&w->sb);
		w->sandbox_ok = false;
		w->files_done = false; /* hosts names the pod's address, which the new sandbox may change */
		w->sandbox_dead = true;
		restart_pod(w);
	}
	if (w->sandbox_dead) {
		/* nothing of the pod runs when it starts again: its containers held the dead sandbox's network */
		if (stop_all(s, w) > 0) {
			kl_status_sync(w);
			return;
		}
		w->sandbox_dead = false;
	}
	if (!w->sandbox_ok) {
		char host[KL_DNS_UTS_MAX + 1];
		struct kl_sandbox_config sc = {w->uid, w->ns, w->name,
					       cJSON_IsTrue(cm_json_get(w->pod, "spec.hostNetwork")), host};
		int rc = 0;

		/* the host's network keeps the node's name, as in Kubernetes */
		if (!sc.host_network && (rc = kl_dns_uts_hostname(w->pod, s->cfg.cluster_domain, host)) < 0) {
			sandbox_refused(s, w, rc);
			kl_status_sync(w);
			return;
		}
		if (w->net_busy || w->files_busy) {
			kl_status_sync(w);
			return;
		}
		if (!w->sb.dir)
			rc = s->rt->ops->sandbox_create(s->rt, &sc, &w->sb);
		if (!rc && s->net && !sc.host_network && !w->sb.netns_path) {
			free(w->sb.ip);
			w->sb.ip = NULL;
			rc = kl_podnet_setup(s->net, w->uid, &w->sb.ip, &w->sb.netns_path, net_done, w);
			if (rc == -EINPROGRESS) {
				w->net_busy = true;
				w->refs++;
				rc = 0;
			}
		}
		/*
		 * Beside the network, which gave its address already (hosts names
		 * it): queued right behind it, not behind every other pod's network.
		 */
		if (!rc && !w->files_done && (rc = kl_prep_files(w)) == -EINPROGRESS)
			rc = 0;
		if (w->net_busy || w->files_busy) { /* files that failed to start are tried again once it is made */
			kl_status_sync(w);
			return;
		}
		kl_volwatch_pull(s->volwatch, w); /* a watch that listed after the pod's GETs has newer copies */
		w->vol_dirty = false;
		if (rc < 0 || (rc = kl_prep_volumes(w)) < 0) {
			if (rc == -EAGAIN)
				cm_debug(1, "pod %s/%s: waiting for the node's podCIDR", w->ns, w->name);
			else
				cm_warn("pod %s/%s: sandbox not made: %s", w->ns, w->name, cm_strerror(rc));
			kl_sandbox_close(&w->sb);
			w->files_done = false;
			kl_status_sync(w);
			return;
		}
		w->sandbox_ok = true;
	}
	if (w->vol_dirty && now >= w->vol_retry_at) {
		w->vol_dirty = false;
		kl_volwatch_pull(s->volwatch, w);
		if (kl_volumes_refresh(w) < 0) {
			w->vol_dirty = true;
			w->vol_retry_at = now + 2000;
		}
	}
	if (w->token_refresh_at && !w->token_busy && now >= w->token_refresh_at)
		kl_token_refresh(w);
	for (size_t i = 0; i < w->n_init; i++) {
		struct kl_ctr *c = &w->ctrs[i];

		if (c->done)
			continue;
		inits_done = false;
		refresh(s, c);
		if (!c->id)
			start_or_wait(s, w, c, now);
		else if (c->rerun)
			rerun(s, w, c, now);
		else if (c->st.state == KL_CSTATE_EXITED && c->st.exit_code == 0)
			c->done = inits_done = true;
		else if (c->st.state == KL_CSTATE_EXITED)
			exited(s, w, c, now);
		if (!c->done)
			break;
	}
	for (size_t i = w->n_init; i < w->n_ctrs && inits_done; i++) {
		struct kl_ctr *c = &w->ctrs[i];

		refresh(s, c);
		if (!c->id && !c->done)
			start_or_wait(s, w, c, now);
		else if (c->rerun)
			rerun(s, w, c, now);
		else if (c->st.state == KL_CSTATE_RUNNING)
			kl_prober_tick(w, c, now);
		else if (c->st.state == KL_CSTATE_EXITED || c->st.state == KL_CSTATE_UNKNOWN)
			exited(s, w, c, now);
	}
	set_phase(w);
	kl_status_sync(w);
}

void kl_workers_sync(struct kl_server *s)
{
	int64_t now = cm_time_wall_ms();
	struct kl_pod_worker *w = s->workers, *next;

	bool soon = false;

	for (; w; w = next) {
		next = w->next;
		sync_pod(s, w, now);
	}
	for (w = s->workers; w && !soon; w = w->next)
		soon = changing(w, now);
	if (soon)
		kl_server_kick_in(s, KL_SYNC_SOON_MS);
}

struct orphan_ctx {
	struct kl_server *s;
	const cJSON *known;
	cJSON *uids; /* orphan uids seen, to remove their sandboxes once */
};

static void orphan_one(const char *uid, const char *name, int attempt, const char *id, void *ud)
{
	struct orphan_ctx *o = ud;

	(void)name;
	(void)attempt;
	if (cJSON_GetObjectItemCaseSensitive(o->known, uid))
		return;
	o->s->rt->ops->container_signal(o->s->rt, id, SIGKILL);
	if (!cJSON_GetObjectItemCaseSensitive(o->uids, uid))
		cJSON_AddTrueToObject(o->uids, uid);
}

/* A pod that has a network but no container left (deleted while the kubelet was down, mid-removal). */
static void orphan_net(const char *uid, void *ud)
{
	struct orphan_ctx *o = ud;

	if (!cJSON_GetObjectItemCaseSensitive(o->uids, uid))
		cJSON_AddTrueToObject(o->uids, uid);
}

void kl_workers_clean_orphans(struct kl_server *s, const cJSON *known_uids)
{
	struct orphan_ctx o = {s, known_uids, cJSON_CreateObject()};
	const cJSON *u;

	if (!o.uids)
		return;
	s->rt->ops->list(s->rt, orphan_one, &o);
	if (s->net)
		kl_podnet_orphans(s->net, known_uids, orphan_net, &o);
	/* no pod the apiserver knows has these uids, and none will (uids are never reused): no worker waits for them */
	cJSON_ArrayForEach(u, o.uids)
	{
		cm_info("pod uid %s: deleted while the kubelet was down: killed and removed", u->string);
		if (!kl_teardown_busy(s->teardowns, u->string))
			kl_teardown_start(s->teardowns, s->rt, s->net, u->string, NULL, NULL);
	}
	cJSON_Delete(o.uids);
}

void kl_workers_free(struct kl_server *s)
{
	while (s->workers) {
		struct kl_pod_worker *w = s->workers;

		s->workers = w->next;
		w->removed = true;
		if (w->refs == 0)
			free_worker(w);
	}
}
