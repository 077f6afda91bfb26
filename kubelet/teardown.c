/* teardown.c: deleted pods' folders and networks are removed on the thread pool, a few pods at a time, not on the loop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "kubelet/podnet.h"
#include "kubelet/runtime/runtime.h"
#include "kubelet/teardown.h"

/*
 * Removing a pod waits on the kernel: deleting its veth on the rtnl lock and
 * RCU grace periods (15-60 ms on a busy host), unmounting its namespace, and
 * every unlink of its folder on the file system's journal. Made on the loop,
 * 50 pods deleted at once held it most of a second per tick, and the pods
 * started meanwhile (a rolling update) waited behind them. At most
 * KL_TEARDOWN_JOBS run at once: the thread pool's other threads stay free
 * for new pods' networks, which wait on the same rtnl lock and matter more.
 */
#define KL_TEARDOWN_JOBS 2

struct job {
	uv_work_t req;
	struct job *next;
	struct kl_teardowns *t;
	struct kl_runtime *rt;       /* NULL: its sandbox was removed on the loop */
	struct kl_podnet *net;       /* NULL: no network to remove */
	struct kl_podnet_gone gone;  /* when net */
	char *uid;
	bool running;
	int64_t took_ms;
	kl_teardown_done_cb done;
	void *ud;
};

struct kl_teardowns {
	uv_loop_t *loop;
	struct job *head, *tail;     /* queued and running, in the order they came */
	int running;
	bool closed;
};

int kl_teardowns_new(uv_loop_t *loop, struct kl_teardowns **out)
{
	struct kl_teardowns *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->loop = loop;
	*out = t;
	return 0;
}

static void unlink_job(struct kl_teardowns *t, struct job *j)
{
	struct job *prev = NULL;

	for (struct job **pp = &t->head; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			if (t->tail == j)
				t->tail = prev;
			return;
		}
	}
}

/* Hands j's result over and frees it; j is out of the queue. */
static void finish(struct job *j, int rc)
{
	if (j->net)
		kl_podnet_gone_end(j->net, &j->gone);
	if (j->done)
		j->done(rc, j->ud);
	free(j->uid);
	free(j);
}

static void work(uv_work_t *req)
{
	struct job *j = req->data;
	int64_t t0 = cm_time_mono_ms();

	if (j->net)
		kl_podnet_gone_run(&j->gone);
	if (j->rt)
		j->rt->ops->sandbox_remove_any_thread(j->rt, j->uid);
	j->took_ms = cm_time_mono_ms() - t0;
}

static void pump(struct kl_teardowns *t);

static void after(uv_work_t *req, int status)
{
	struct job *j = req->data;
	struct kl_teardowns *t = j->t;

	cm_debug(1, "pod uid %s: folder and network removed in %lld ms", j->uid, (long long)j->took_ms);
	unlink_job(t, j);
	t->running--;
	finish(j, status < 0 ? status : 0);
	if (t->closed && t->running == 0)
		free(t);
	else
		pump(t);
}

/* Starts queued removals while fewer than KL_TEARDOWN_JOBS run. */
static void pump(struct kl_teardowns *t)
{
	for (struct job *j = t->head, *next; j && t->running < KL_TEARDOWN_JOBS && !t->closed; j = next) {
		next = j->next;
		if (j->running)
			continue;
		if (uv_queue_work(t->loop, &j->req, work, after) < 0) {
			/* cannot happen with a valid loop and callbacks: do it here rather than leave it */
			work(&j->req);
			unlink_job(t, j);
			finish(j, 0);
			continue;
		}
		j->running = true;
		t->running++;
	}
}

int kl_teardown_start(struct kl_teardowns *t, struct kl_runtime *rt, struct kl_podnet *net, const char *uid,
		      kl_teardown_done_cb done, void *ud)
{
	bool rt_off_loop = rt->ops->sandbox_remove_any_thread != NULL;
	struct job *j;

	if (!rt_off_loop)
		rt->ops->sandbox_remove(rt, uid);
	else if (rt->ops->sandbox_release)
		rt->ops->sandbox_release(rt, uid);
	if (!rt_off_loop && !net)
		return 0;
	j = t->closed ? NULL : calloc(1, sizeof(*j));
	if (!j || !(j->uid = strdup(uid)) || (net && kl_podnet_gone_begin(net, uid, &j->gone) < 0)) {
		/* stopping, or no memory to queue it: done here, on the loop, as it was before */
		if (j)
			free(j->uid);
		free(j);
		if (rt_off_loop)
			rt->ops->sandbox_remove_any_thread(rt, uid);
		if (net)
			kl_podnet_teardown(net, uid);
		return 0;
	}
	j->req.data = j;
	j->t = t;
	j->rt = rt_off_loop ? rt : NULL;
	j->net = net;
	j->done = done;
	j->ud = ud;
	if (t->tail)
		t->tail->next = j;
	else
		t->head = j;
	t->tail = j;
	pump(t);
	return -EINPROGRESS;
}

bool kl_teardown_busy(const struct kl_teardowns *t, const char *uid)
{
	for (const struct job *j = t->head; j; j = j->next)
		if (!strcmp(j->uid, uid))
			return true;
	return false;
}

void kl_teardowns_free(struct kl_teardowns *t)
{
	if (!t)
		return;
	t->closed = true;
	for (struct job *j = t->head, *next; j; j = next) {
		next = j->next;
		if (j->running)
			continue;
		unlink_job(t, j);
		finish(j, -ECANCELED);
	}
	if (t->running == 0)
		free(t);
}
