/* fake.c: the fake runtime backend: containers are records, for unit tests and hollow nodes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "kubelet/runtime/runtime.h"

struct fake_container {
	char *id;
	struct kl_container_status st;
	struct fake_container *next;
};

struct fake_rt {
	struct fake_container *list;
	int next_pid;
};

static struct fake_container *find(struct fake_rt *f, const char *id)
{
	for (struct fake_container *c = f->list; c; c = c->next)
		if (!strcmp(c->id, id))
			return c;
	return NULL;
}

static int f_sandbox_create(struct kl_runtime *rt, const struct kl_sandbox_config *cfg, struct kl_sandbox *out)
{
	(void)rt;
	memset(out, 0, sizeof(*out));
	out->dir = malloc(strlen(cfg->pod_uid) + 7);
	if (!out->dir)
		return -ENOMEM;
	sprintf(out->dir, "/fake/%s", cfg->pod_uid);
	return 0;
}

static int f_sandbox_remove(struct kl_runtime *rt, const char *pod_uid)
{
	struct fake_rt *f = rt->impl;
	size_t n = strlen(pod_uid);

	for (struct fake_container **pp = &f->list; *pp;) {
		struct fake_container *c = *pp;

		if (!strncmp(c->id, pod_uid, n) && c->id[n] == '/') {
			*pp = c->next;
			free(c->id);
			free(c);
		} else {
			pp = &c->next;
		}
	}
	return 0;
}

static int f_container_start(struct kl_runtime *rt, const struct kl_container_config *cfg, char **id_out)
{
	struct fake_rt *f = rt->impl;
	struct fake_container *c;
	char *id;

	if (!cfg->image || !*cfg->image || strstr(cfg->image, "missing"))
		return -ENOENT;
	if (asprintf(&id, "%s/%s/%d", cfg->pod_uid, cfg->name, cfg->attempt) < 0)
		return -ENOMEM;
	if (find(f, id)) {
		free(id);
		return -EEXIST;
	}
	if (!(c = calloc(1, sizeof(*c))) || !(*id_out = strdup(id))) {
		free(c);
		free(id);
		return -ENOMEM;
	}
	c->id = id;
	c->st.state = KL_CSTATE_RUNNING;
	c->st.pid = ++f->next_pid;
	c->st.started_ms = cm_time_wall_ms();
	c->next = f->list;
	f->list = c;
	return 0;
}

int kl_runtime_fake_exit(struct kl_runtime *rt, const char *id, int code)
{
	struct fake_container *c = find(rt->impl, id);

	if (!c)
		return -ENOENT;
	if (c->st.state == KL_CSTATE_RUNNING) {
		c->st.state = KL_CSTATE_EXITED;
		c->st.exit_code = code;
		c->st.finished_ms = cm_time_wall_ms();
		snprintf(c->st.reason, sizeof(c->st.reason), "%s", code ? "Error" : "Completed");
	}
	return 0;
}

int kl_runtime_fake_running(const struct kl_runtime *rt)
{
	const struct fake_rt *f = rt->impl;
	int n = 0;

	for (const struct fake_container *c = f->list; c; c = c->next)
		n += c->st.state == KL_CSTATE_RUNNING;
	return n;
}

static int f_container_signal(struct kl_runtime *rt, const char *id, int sig)
{
	/* a fake container dies on any terminating signal at once */
	return kl_runtime_fake_exit(rt, id, 128 + sig);
}

static int f_container_status(struct kl_runtime *rt, const char *id, struct kl_container_status *out)
{
	struct fake_container *c = find(rt->impl, id);

	if (!c) {
		memset(out, 0, sizeof(*out));
		return -ENOENT;
	}
	*out = c->st;
	return 0;
}

static int f_container_remove(struct kl_runtime *rt, const char *id)
{
	struct fake_rt *f = rt->impl;

	for (struct fake_container **pp = &f->list; *pp; pp = &(*pp)->next) {
		if (!strcmp((*pp)->id, id)) {
			struct fake_container *c = *pp;

			*pp = c->next;
			free(c->id);
			free(c);
			return 0;
		}
	}
	return -ENOENT;
}

static int f_log_path(struct kl_runtime *rt, const char *id, struct cm_buf *out)
{
	(void)rt;
	(void)id;
	(void)out;
	return -ENOENT;
}

static int f_list(struct kl_runtime *rt, kl_runtime_list_cb cb, void *ud)
{
	struct fake_rt *f = rt->impl;

	for (struct fake_container *c = f->list; c; c = c->next) {
		char uid[128], name[128];
		int attempt = 0;

		if (sscanf(c->id, "%127[^/]/%127[^/]/%d", uid, name, &attempt) == 3)
			cb(uid, name, attempt, c->id, ud);
	}
	return 0;
}

static void f_free(struct kl_runtime *rt)
{
	struct fake_rt *f = rt->impl;

	while (f->list) {
		struct fake_container *c = f->list;

		f->list = c->next;
		free(c->id);
		free(c);
	}
	free(f);
	free(rt);
}

static const struct kl_runtime_ops fake_ops = {
	.name = "fake",
	.sandbox_create = f_sandbox_create,
	.sandbox_remove = f_sandbox_remove,
	.container_start = f_container_start,
	.container_signal = f_container_signal,
	.container_status = f_container_status,
	.container_remove = f_container_remove,
	.log_path = f_log_path,
	.list = f_list,
	.free = f_free,
};

int kl_runtime_fake_new(struct kl_runtime **out)
{
	struct kl_runtime *rt = calloc(1, sizeof(*rt));
	struct fake_rt *f = calloc(1, sizeof(*f));

	if (!rt || !f) {
		free(rt);
		free(f);
		return -ENOMEM;
	}
	rt->ops = &fake_ops;
	rt->impl = f;
	*out = rt;
	return 0;
}
