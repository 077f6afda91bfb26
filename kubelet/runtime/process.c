/* process.c: the process runtime backend: containers are shim-run process trees with state under --root-dir. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/json.h"
#include "common/timeutil.h"
#include "common/err.h"
#include "common/log.h"
#include "kubelet/image/store.h"
#include "kubelet/image/user.h"
#include "kubelet/runtime/runtime.h"
#include "kubelet/runtime/shim.h"

struct process_rt {
	char *root;       /* <root_dir>/pods */
	char *image_dir;
	char *echoserver;
	char *cgroup_name;
	bool allow_host_images;
	struct starting *reap; /* middle children of the double fork not waited for yet */
	size_t n_reap, cap_reap;
};

/* A container whose folder and config.json its middle child is still writing. */
struct starting {
	pid_t pid;
	char *id;
};

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * The double fork's middle child makes the container's folders and writes
 * its config.json, then forks the shim and exits. Made on the loop, those
 * file creations waited on the file system's journal (behind every fsync on
 * the machine) a few ms each, and the wait for the child as long again, for
 * every container in turn. The child is reaped later, whenever the runtime
 * is called; until then its container is CREATED.
 */
static void reap_done(struct process_rt *p)
{
	size_t kept = 0;
	int st;

	for (size_t i = 0; i < p->n_reap; i++) {
		pid_t r = waitpid(p->reap[i].pid, &st, WNOHANG);

		if (r == 0 || (r < 0 && errno == EINTR)) {
			p->reap[kept++] = p->reap[i];
			continue;
		}
		if (r > 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
			cm_warn("container %s: not started: its folder or config.json was not written", p->reap[i].id);
		free(p->reap[i].id);
	}
	p->n_reap = kept;
}

static bool is_starting(const struct process_rt *p, const char *id)
{
	for (size_t i = 0; i < p->n_reap; i++)
		if (!strcmp(p->reap[i].id, id))
			return true;
	return false;
}

/* Notes the middle child of container id to reap; waits for it now only when there is no room to note it. */
static void reap_later(struct process_rt *p, pid_t pid, const char *id)
{
	char *copy = strdup(id);
	int st;

	if (copy && p->n_reap == p->cap_reap) {
		size_t cap = p->cap_reap ? 2 * p->cap_reap : 16;
		struct starting *r = realloc(p->reap, cap * sizeof(*r));

		if (r) {
			p->reap = r;
			p->cap_reap = cap;
		}
	}
	if (!copy || p->n_reap == p->cap_reap) {
		free(copy);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		return;
	}
	p->reap[p->n_reap].pid = pid;
	p->reap[p->n_reap++].id = copy;
}

/* "<uid>/<name>/<attempt>" into its container folder. */
static int cdir(const struct process_rt *p, const char *id, struct cm_buf *out)
{
	const char *a = strchr(id, '/'), *b = a ? strrchr(id, '/') : NULL;

	if (!a || a == b || strstr(id, ".."))
		return -ENOENT;
	return cm_buf_printf(out, "%s/%.*s/containers/%.*s-%s", p->root, (int)(a - id), id,
			     (int)(b - a - 1), a + 1, b + 1);
}

static char **strv_from(const char *const *v, size_t extra)
{
	size_t n = 0;
	char **out;

	while (v && v[n])
		n++;
	out = calloc(n + extra + 1, sizeof(*out));
	for (size_t i = 0; out && i < n; i++)
		out[i] = strdup(v[i]);
	return out;
}

/* The last path segment of an image without tag or digest: "docker.io/x/echoserver:1" -> "echoserver". */
static void image_base(const char *image, char *out, size_t n)
{
	const char *s = strrchr(image, '/');
	size_t len;

	s = s ? s + 1 : image;
	len = strcspn(s, ":@");
	snprintf(out, n, "%.*s", (int)len, s);
}

/* Appends the strings of v to the NULL-terminated *out of *n entries. 0 or -ENOMEM. */
static int strv_cat(char ***out, size_t *n, const char *const *v, size_t count)
{
	char **nv = realloc(*out, (*n + count + 1) * sizeof(**out));

	if (!nv)
		return -ENOMEM;
	*out = nv;
	for (size_t i = 0; i < count; i++) {
		if (!(nv[*n] = strdup(v[i]))) {
			nv[*n] = NULL;
			return -ENOMEM;
		}
		nv[++*n] = NULL;
	}
	nv[*n] = NULL;
	return 0;
}

static size_t strv_len(const char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/*
 * The command line as Docker makes it from the image's config: the
 * container's command replaces Entrypoint and Cmd, its args replace Cmd.
 */
static int image_argv(const struct kl_container_config *cfg, const struct kl_image *im, char ***argv)
{
	size_t total = strv_len(cfg->command), n_cmd = cfg->n_command < total ? cfg->n_command : total, n = 0;
	int rc = 0;

	*argv = calloc(1, sizeof(**argv));
	if (!*argv)
		return -ENOMEM;
	if (n_cmd > 0) {
		rc = strv_cat(argv, &n, cfg->command, total);
	} else {
		rc = strv_cat(argv, &n, (const char *const *)im->entrypoint, strv_len((const char *const *)im->entrypoint));
		if (rc == 0 && total)
			rc = strv_cat(argv, &n, cfg->command, total);
		else if (rc == 0)
			rc = strv_cat(argv, &n, (const char *const *)im->cmd, strv_len((const char *const *)im->cmd));
	}
	if (rc == 0 && n == 0)
		rc = -EINVAL; /* nothing to run: no command and an image without Entrypoint or Cmd */
	return rc;
}

/*
 * Fills spec.argv and spec.rootfs (and the image's User) from the config and
 * the image store; *im gets the image's config. -ENOENT when the image
 * cannot run here.
 */
static int resolve_image(const struct process_rt *p, const struct kl_container_config *cfg,
			 struct kl_shim_spec *spec, struct kl_image *im)
{
	char base[256];
	bool has_cmd = cfg->command && cfg->command[0];
	int rc;

	image_base(cfg->image ? cfg->image : "", base, sizeof(base));
	if ((rc = kl_image_store_lookup(p->image_dir, cfg->image, im)) == 0) {
		if ((rc = image_argv(cfg, im, &spec->argv)) < 0)
			return rc;
		if (!(spec->rootfs = strdup(im->rootfs)))
			return -ENOMEM;
		if (im->user) {
			if ((rc = kl_image_user_resolve(im->rootfs, im->user, &spec->uid, &spec->gid)) < 0) {
				cm_warn("image %s: user \"%s\" not resolved: %s", cfg->image, im->user, cm_strerror(rc));
				return -EINVAL;
			}
			spec->has_user = true;
		}
		return 0;
	}
	if (rc != -ENOENT)
		return rc;
	if (!strcmp(base, "echoserver") && p->echoserver) {
		/* the project's own image runs its binary on the host filesystem */
		spec->argv = has_cmd ? strv_from(cfg->command, 0) : strv_from((const char *const[]){"echoserver", NULL}, 0);
		if (!spec->argv)
			return -ENOMEM;
		if (!strcmp(spec->argv[0], "echoserver") || !strcmp(spec->argv[0], "/echoserver")) {
			free(spec->argv[0]);
			spec->argv[0] = strdup(p->echoserver);
		}
		return 0;
	}
	if (p->allow_host_images && has_cmd) {
		spec->argv = strv_from(cfg->command, 0);
		return spec->argv ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

/* Whether the container's own env sets name (it wins over the image's Env). */
static bool env_has(const struct kl_container_config *cfg, const char *kv)
{
	size_t n = strcspn(kv, "=");

	for (size_t i = 0; i < cfg->n_env; i++)
		if (strlen(cfg->env[i].name) == n && !strncmp(cfg->env[i].name, kv, n))
			return true;
	return false;
}

/* <root>/<uid>/pod.json, once: which pod a folder is, for people looking at the disk (nothing reads it). */
static void write_pod_json(const struct process_rt *p, const struct kl_container_config *cfg)
{
	struct cm_buf f = CM_BUF_INIT, meta = CM_BUF_INIT;
	int fd;

	cm_buf_printf(&f, "%s/%s/pod.json", p->root, cfg->pod_uid);
	cm_buf_printf(&meta, "{\"namespace\":\"%s\",\"name\":\"%s\",\"uid\":\"%s\"}\n", cfg->pod_namespace,
		      cfg->pod_name, cfg->pod_uid);
	if (f.data && meta.data && (fd = open(f.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) >= 0) {
		(void)!cm_write_all(fd, meta.data, meta.len);
		close(fd);
	}
	cm_buf_close(&f);
	cm_buf_close(&meta);
}

static int p_container_start(struct kl_runtime *rt, const struct kl_container_config *cfg, char **id_out)
{
	struct process_rt *p = rt->impl;
	struct kl_shim_spec spec = {0};
	struct cm_buf dir = CM_BUF_INIT, id = CM_BUF_INIT, tmp = CM_BUF_INIT;
	struct kl_mount *mounts = NULL;
	struct kl_image im = {0};
	size_t n_img_env, n_envp = 0;
	int rc;
	bool has_path = false;
	pid_t a;

	reap_done(p);
	if ((rc = resolve_image(p, cfg, &spec, &im)) < 0)
		goto out;
	if (cm_buf_printf(&id, "%s/%s/%d", cfg->pod_uid, cfg->name, cfg->attempt) < 0 ||
	    cdir(p, id.data, &dir) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	cm_buf_printf(&tmp, "%s/config.json", dir.data);
	if (access(tmp.data, F_OK) == 0) {
		rc = -EEXIST;
		goto out;
	}
	n_img_env = strv_len((const char *const *)im.env);
	spec.envp = calloc(n_img_env + cfg->n_env + 3, sizeof(char *));
	mounts = calloc(cfg->n_mounts + 1, sizeof(*mounts));
	if (!spec.envp || !mounts) {
		rc = -ENOMEM;
		goto out;
	}
	/* the image's Env first, each unless the container sets it too, as Docker merges them */
	for (size_t i = 0; i < n_img_env; i++) {
		if (env_has(cfg, im.env[i]) || !strchr(im.env[i], '='))
			continue;
		spec.envp[n_envp++] = strdup(im.env[i]);
		if (!strncmp(im.env[i], "PATH=", 5))
			has_path = true;
	}
	for (size_t i = 0; i < cfg->n_env; i++) {
		struct cm_buf e = CM_BUF_INIT;

		cm_buf_printf(&e, "%s=%s", cfg->env[i].name, cfg->env[i].value ? cfg->env[i].value : "");
		spec.envp[n_envp++] = cm_buf_take(&e);
		if (!strcmp(cfg->env[i].name, "PATH"))
			has_path = true;
	}
	if (!has_path)
		spec.envp[n_envp] = strdup(DEFAULT_PATH);
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		mounts[i].host_path = strdup(cfg->mounts[i].host_path);
		mounts[i].path = strdup(cfg->mounts[i].path);
		mounts[i].read_only = cfg->mounts[i].read_only;
	}
	spec.mounts = mounts;
	spec.n_mounts = cfg->n_mounts;
	mounts = NULL;
	spec.working_dir = cfg->working_dir ? strdup(cfg->working_dir) : im.working_dir ? strdup(im.working_dir) : NULL;
	spec.netns_path = cfg->netns_path ? strdup(cfg->netns_path) : NULL;
	spec.hostname = cfg->hostname ? strdup(cfg->hostname) : NULL;
	cm_buf_reset(&tmp);
	if ((rc = kl_runtime_log_file(p->root, cfg->pod_uid, cfg->name, cfg->attempt, &tmp)) < 0)
		goto out;
	spec.log_path = cm_buf_take(&tmp);
	spec.cgroup_parent = strdup(p->cgroup_name);
	cm_buf_printf(&tmp, "%s-%s-%d", cfg->pod_uid, cfg->name, cfg->attempt);
	spec.cgroup_name = cm_buf_take(&tmp);
	spec.limits.memory = cfg->memory_limit;
	spec.limits.cpu_m = cfg->cpu_limit_m;
	spec.limits.pids = cfg->pids_limit;
	cm_buf_printf(&tmp, "%s/config.json", dir.data);
	/* double fork: the shim belongs to no one, so it outlives this kubelet */
	a = fork();
	if (a == 0) {
		char *slash = strrchr(spec.log_path, '/');

		setsid();
		*slash = '\0';
		if (cm_mkdir_p(dir.data, 0755) < 0 || cm_mkdir_p(spec.log_path, 0755) < 0)
			_exit(1);
		*slash = '/';
		if (kl_shim_spec_write(&spec, tmp.data) < 0)
			_exit(1);
		write_pod_json(p, cfg);
		if (fork() == 0) {
			int devnull = open("/dev/null", O_RDWR);
			/* stderr to shim.log: what libc or a sanitizer (UBSan has no log file) says is kept */
			int dfd = open(dir.data, O_RDONLY | O_DIRECTORY);
			int diag = dfd >= 0 ? openat(dfd, "shim.log", O_WRONLY | O_CREAT | O_APPEND, 0644) : -1;

			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(diag >= 0 ? diag : devnull, 2);
			close_range(3, ~0U, 0); /* the kubelet's sockets must not stay open in containers */
			_exit(kl_shim_run(dir.data, -1) < 0 ? 1 : 0);
		}
		_exit(0);
	}
	if (a < 0) {
		rc = -errno;
		goto out;
	}
	/* only the short-lived middle child is waited for (later): the shim reports through state.json */
	reap_later(p, a, id.data);
	*id_out = cm_buf_take(&id);
	rc = *id_out ? 0 : -ENOMEM;
out:
	free(mounts);
	kl_image_close(&im);
	kl_shim_spec_close(&spec);
	cm_buf_close(&dir);
	cm_buf_close(&id);
	cm_buf_close(&tmp);
	return rc;
}

static cJSON *read_json(const char *dir, const char *name)
{
	struct cm_buf p = CM_BUF_INIT, text = CM_BUF_INIT;
	char chunk[1024];
	cJSON *o = NULL;
	ssize_t n;
	int fd;

	cm_buf_printf(&p, "%s/%s", dir, name);
	if ((fd = open(p.data, O_RDONLY | O_CLOEXEC)) >= 0) {
		while ((n = read(fd, chunk, sizeof(chunk))) > 0)
			cm_buf_append(&text, chunk, (size_t)n);
		close(fd);
		if (text.len)
			cm_json_parse(text.data, text.len, &o, NULL);
	}
	cm_buf_close(&p);
	cm_buf_close(&text);
	return o;
}

/*
 * A container whose spec is written but whose shim has not reported yet is
 * CREATED; one that stays so for 30 s lost its shim before it could write
 * anything (the machine rebooted, or the shim was killed) and is ended.
 */
static int starting(const char *dir, struct kl_container_status *out)
{
	struct cm_buf p = CM_BUF_INIT;
	struct stat st;
	int rc = -ENOENT;

	if (dir && cm_buf_printf(&p, "%s/config.json", dir) == 0 && stat(p.data, &st) == 0) {
		rc = 0;
		if (cm_time_wall_ms() - (int64_t)st.st_mtime * 1000 < 30000) {
			out->state = KL_CSTATE_CREATED;
		} else {
			out->state = KL_CSTATE_EXITED;
			out->exit_code = 128;
			snprintf(out->reason, sizeof(out->reason), "StartError");
			snprintf(out->message, sizeof(out->message), "the container's shim never reported it running");
		}
	}
	cm_buf_close(&p);
	return rc;
}

static bool shim_alive(const cJSON *state)
{
	int pid = (int)cm_json_int64_or(state, "shimPid", 0);
	long long start = cm_json_int64_or(state, "shimStart", -1);

	return pid > 0 && start >= 0 && kl_proc_start(pid) == start;
}

static int p_container_status(struct kl_runtime *rt, const char *id, struct kl_container_status *out)
{
	struct cm_buf dir = CM_BUF_INIT;
	cJSON *state = NULL, *ex = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	reap_done(rt->impl);
	if (is_starting(rt->impl, id)) {
		out->state = KL_CSTATE_CREATED;
		return 0;
	}
	if (cdir(rt->impl, id, &dir) < 0 || !(state = read_json(dir.data, "state.json"))) {
		ex = dir.data ? read_json(dir.data, "exit.json") : NULL;
		if (!ex) {
			rc = starting(dir.data, out);
			goto out;
		}
	}
	out->pid = (int)cm_json_int64_or(state, "pid", 0);
	out->started_ms = cm_json_int64_or(state, "startedMs", 0);
	if (!ex)
		ex = read_json(dir.data, "exit.json");
	if (ex) {
		out->state = KL_CSTATE_EXITED;
		out->exit_code = (int)cm_json_int64_or(ex, "exitCode", 0);
		out->finished_ms = cm_json_int64_or(ex, "finishedMs", 0);
		snprintf(out->reason, sizeof(out->reason), "%s", cm_json_str_or(ex, "reason", "Error"));
		snprintf(out->message, sizeof(out->message), "%s", cm_json_str_or(ex, "message", ""));
	} else if ((out->pid > 0 && kill(out->pid, 0) == 0) || shim_alive(state)) {
		/*
		 * Running, or ended and the shim not done recording it yet (it
		 * reaps init, clears the cgroup, then writes exit.json): the
		 * record comes, it is not lost.
		 */
		out->state = KL_CSTATE_RUNNING;
	} else {
		/* the shim died with its container and left no record (kill -9 of both) */
		out->state = KL_CSTATE_EXITED;
		out->exit_code = 137;
		snprintf(out->reason, sizeof(out->reason), "Error");
		snprintf(out->message, sizeof(out->message), "the container's shim ended without a record");
	}
out:
	cJSON_Delete(state);
	cJSON_Delete(ex);
	cm_buf_close(&dir);
	return rc;
}

static int p_container_signal(struct kl_runtime *rt, const char *id, int sig)
{
	struct kl_container_status st;
	int rc = p_container_status(rt, id, &st);

	if (rc < 0)
		return rc;
	if (st.state != KL_CSTATE_RUNNING)
		return 0;
	if (sig == SIGKILL) {
		/* the init's process group holds the container when there is no PID namespace */
		kill(-st.pid, SIGKILL);
		kill(st.pid, SIGKILL);
		return 0;
	}
	return kill(st.pid, sig) < 0 ? -errno : 0;
}

static int p_container_remove(struct kl_runtime *rt, const char *id)
{
	struct cm_buf dir = CM_BUF_INIT;
	int rc = cdir(rt->impl, id, &dir);

	if (rc == 0)
		cm_remove_tree(dir.data);
	cm_buf_close(&dir);
	return rc < 0 ? rc : 0;
}

static int p_log_path(struct kl_runtime *rt, const char *id, struct cm_buf *out)
{
	struct process_rt *p = rt->impl;
	const char *a = strchr(id, '/'), *b = a ? strrchr(id, '/') : NULL;
	char *uid, *name;
	int rc;

	if (!a || a == b)
		return -ENOENT;
	uid = strndup(id, (size_t)(a - id));
	name = strndup(a + 1, (size_t)(b - a - 1));
	rc = uid && name ? kl_runtime_log_file(p->root, uid, name, atoi(b + 1), out) : -ENOMEM;
	free(uid);
	free(name);
	return rc == -EINVAL ? -ENOENT : rc;
}

static int p_log_path_before(struct kl_runtime *rt, const char *pod_uid, const char *name, int attempt,
			     struct cm_buf *out)
{
	struct process_rt *p = rt->impl;

	return kl_runtime_log_before(p->root, pod_uid, name, attempt, out);
}

/*
 * Only names the pod's folder: it is made off the loop, by the kubelet's job
 * that writes the pod's resolv.conf and hosts (kubelet/podprep.c) or by the
 * first container's middle child, whichever comes first. A file creation on
 * the loop waited on the file system's journal, behind every fsync on the host.
 */
static int p_sandbox_create(struct kl_runtime *rt, const struct kl_sandbox_config *cfg, struct kl_sandbox *out)
{
	struct process_rt *p = rt->impl;
	struct cm_buf dir = CM_BUF_INIT;
	int rc;

	if (!*cfg->pod_uid || strchr(cfg->pod_uid, '/') || strstr(cfg->pod_uid, ".."))
		return -EINVAL;
	if ((rc = cm_buf_printf(&dir, "%s/%s", p->root, cfg->pod_uid)) < 0)
		goto out;
	/* the runtime makes no network namespace: the kubelet's podnet does (--pod-network=bridge) */
	memset(out, 0, sizeof(*out));
	out->dir = cm_buf_take(&dir);
	rc = out->dir ? 0 : -ENOMEM;
out:
	cm_buf_close(&dir);
	return rc;
}

/*
 * Safe on any thread (sandbox_remove_any_thread): reads only p->root, which
 * never changes; the kubelet runs it on the thread pool, as removing a pod's
 * logs, container records and folders waits on the journal for each.
 */
static int p_sandbox_remove(struct kl_runtime *rt, const char *pod_uid)
{
	struct process_rt *p = rt->impl;
	struct cm_buf dir = CM_BUF_INIT;

	if (!*pod_uid || strchr(pod_uid, '/') || strstr(pod_uid, ".."))
		return -EINVAL;
	if (cm_buf_printf(&dir, "%s/%s", p->root, pod_uid) < 0)
		return -ENOMEM;
	cm_remove_tree(dir.data);
	cm_buf_close(&dir);
	return 0;
}

static int p_list(struct kl_runtime *rt, kl_runtime_list_cb cb, void *ud)
{
	struct process_rt *p = rt->impl;
	DIR *pods = opendir(p->root), *cs;
	struct dirent *pe, *ce;
	struct cm_buf d = CM_BUF_INIT, id = CM_BUF_INIT;

	if (!pods)
		return errno == ENOENT ? 0 : -errno;
	while ((pe = readdir(pods))) {
		if (pe->d_name[0] == '.')
			continue;
		cm_buf_reset(&d);
		cm_buf_printf(&d, "%s/%s/containers", p->root, pe->d_name);
		if (!(cs = opendir(d.data)))
			continue;
		while ((ce = readdir(cs))) {
			char *dash = strrchr(ce->d_name, '-');

			if (ce->d_name[0] == '.' || !dash)
				continue;
			*dash = '\0';
			cm_buf_reset(&id);
			cm_buf_printf(&id, "%s/%s/%s", pe->d_name, ce->d_name, dash + 1);
			cb(pe->d_name, ce->d_name, atoi(dash + 1), id.data, ud);
		}
		closedir(cs);
	}
	closedir(pods);
	cm_buf_close(&d);
	cm_buf_close(&id);
	return 0;
}

static void p_free(struct kl_runtime *rt)
{
	struct process_rt *p = rt->impl;
	int st;

	for (size_t i = 0; i < p->n_reap; i++) {
		while (waitpid(p->reap[i].pid, &st, 0) < 0 && errno == EINTR)
			;
		free(p->reap[i].id);
	}
	free(p->reap);
	free(p->root);
	free(p->image_dir);
	free(p->echoserver);
	free(p->cgroup_name);
	free(p);
	free(rt);
}

static const struct kl_runtime_ops process_ops = {
	.name = "process",
	.sandbox_create = p_sandbox_create,
	.sandbox_remove = p_sandbox_remove,
	.sandbox_remove_any_thread = p_sandbox_remove,
	.container_start = p_container_start,
	.container_signal = p_container_signal,
	.container_status = p_container_status,
	.container_remove = p_container_remove,
	.log_path = p_log_path,
	.log_path_before = p_log_path_before,
	.list = p_list,
	.free = p_free,
};

int kl_runtime_process_new(const struct kl_process_opts *opts, struct kl_runtime **out)
{
	struct kl_runtime *rt;
	struct process_rt *p;
	struct cm_buf root = CM_BUF_INIT;
	int rc;

	if (!opts->root_dir)
		return -EINVAL;
	if (cm_buf_printf(&root, "%s/pods", opts->root_dir) < 0)
		return -ENOMEM;
	if ((rc = cm_mkdir_p(root.data, 0755)) < 0) {
		cm_buf_close(&root);
		return rc;
	}
	rt = calloc(1, sizeof(*rt));
	p = calloc(1, sizeof(*p));
	if (!rt || !p) {
		free(rt);
		free(p);
		cm_buf_close(&root);
		return -ENOMEM;
	}
	p->root = cm_buf_take(&root);
	p->image_dir = opts->image_dir ? strdup(opts->image_dir) : NULL;
	p->echoserver = opts->echoserver_path ? strdup(opts->echoserver_path) : NULL;
	p->cgroup_name = strdup(opts->cgroup_name ? opts->cgroup_name : "minik8s");
	p->allow_host_images = opts->allow_host_images;
	rt->ops = &process_ops;
	rt->impl = p;
	*out = rt;
	return 0;
}
