/* shim.c: runs one container: namespaces, cgroup, mounts, root filesystem, init, logs, exit record. */
#include "kubelet/runtime/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/timeutil.h"
#include "kubelet/runtime/crilog.h"

#define CGROUP_FS "/sys/fs/cgroup"

/* What init tells the shim when the command ends. */
struct init_report {
	int exit_code;
	int start_errno; /* the command could not be executed: exec's errno */
};

static void logf_(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(FILE *f, const char *fmt, ...)
{
	va_list ap;

	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

long long kl_proc_start(int pid)
{
	char path[32], buf[1024], state;
	long long start = -1;
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* the command name may hold anything, spaces and ')' included: fields follow the last ')' */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 1, " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %lld",
		   &state, &start) != 2 || state == 'Z' || state == 'X')
		return -1;
	return start;
}

static int write_json_file(const char *dir, const char *name, const char *text)
{
	struct cm_buf p = CM_BUF_INIT;
	int rc = cm_buf_printf(&p, "%s/%s", dir, name);

	if (rc == 0)
		rc = cm_file_write_atomic(p.data, text, strlen(text), 0644);
	cm_buf_close(&p);
	return rc;
}

/* Binds every volume under root ("" for the host's root), making mount points as needed. */
static void mount_volumes(const struct kl_shim_spec *s, const char *root, FILE *diag, FILE *out)
{
	struct cm_buf target = CM_BUF_INIT;

	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct kl_mount *m = &s->mounts[i];
		struct stat st;

		cm_buf_reset(&target);
		cm_buf_printf(&target, "%s%s", root, m->path);
		if (stat(m->host_path, &st) == 0 && !S_ISDIR(st.st_mode)) {
			/* a file volume (subPath-like): bind onto a file */
			char *slash = strrchr(target.data, '/');

			if (slash && slash != target.data) {
				*slash = '\0';
				cm_mkdir_p(target.data, 0755);
				*slash = '/';
			}
			close(open(target.data, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
		} else {
			cm_mkdir_p(target.data, 0755);
		}
		if (mount(m->host_path, target.data, NULL, MS_BIND | MS_REC, NULL) < 0) {
			logf_(diag, "volume %s at %s: bind failed: %s", m->host_path, m->path, strerror(errno));
			logf_(out, "[minik8s] volume at %s not mounted: %s", m->path, strerror(errno));
			continue;
		}
		if (m->read_only)
			mount(NULL, target.data, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL);
	}
	cm_buf_close(&target);
}

/* Enters rootfs: pivot_root where the kernel allows it, chroot otherwise. */
static int enter_rootfs(const char *rootfs, FILE *diag)
{
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) == 0 && chdir(rootfs) == 0 &&
	    syscall(SYS_pivot_root, ".", ".") == 0 && umount2(".", MNT_DETACH) == 0 && chdir("/") == 0)
		return 0;
	logf_(diag, "pivot_root into %s failed (%s): using chroot", rootfs, strerror(errno));
	if (chroot(rootfs) < 0 || chdir("/") < 0)
		return -errno;
	return 0;
}

/* Becomes uid:gid with gid as the only group (the image's User); as that user already, changes nothing. */
static int drop_to(uint32_t uid, uint32_t gid)
{
	gid_t g = (gid_t)gid;

	if (geteuid() != 0)
		return uid == geteuid() && gid == getegid() ? 0 : (errno = EPERM, -1);
	if (setgroups(1, &g) < 0 || setgid(g) < 0 || setuid((uid_t)uid) < 0)
		return -1;
	return 0;
}

static pid_t g_child; /* init's command, for the signal forwarder (one per process: init is single-purpose) */

static void forward(int sig)
{
	if (g_child > 0)
		kill(g_child, sig);
}

/*
 * The container's init: pid 1 of the PID namespace when there is one. Runs
 * the command, forwards signals to it, reaps orphans, and reports the
 * command's end on report_fd. Never returns.
 */
static void run_init(const struct kl_shim_spec *s, unsigned ns, int out_fd, int err_fd, int report_fd,
		     FILE *diag)
{
	struct init_report rep = {0, 0};
	int exec_pipe[2];
	int st, n;
	FILE *err_out = fdopen(dup(err_fd), "w");

	setsid();
	if (s->cgroup_name && s->cgroup_parent) {
		enum kl_cgroup_mode mode = kl_cgroup_detect(CGROUP_FS);

		if (mode != KL_CGROUP_NONE)
			kl_cgroup_join(CGROUP_FS, mode, s->cgroup_parent, s->cgroup_name);
	}
	if (ns & CLONE_NEWNS) {
		/*
		 * A mount namespace of init's own: pivot_root moves the root of every
		 * process of the namespace, and the shim must keep the host's to write
		 * its records.
		 */
		if (s->rootfs && unshare(CLONE_NEWNS) < 0)
			logf_(diag, "own mount namespace for init: %s", strerror(errno));
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
		mount_volumes(s, s->rootfs ? s->rootfs : "", diag, err_out);
		if (s->rootfs) {
			struct cm_buf proc = CM_BUF_INIT;

			cm_buf_printf(&proc, "%s/proc", s->rootfs);
			mkdir(proc.data, 0555);
			if ((ns & CLONE_NEWPID) && mount("proc", proc.data, "proc", 0, NULL) < 0)
				logf_(diag, "mount proc: %s", strerror(errno));
			cm_buf_close(&proc);
		} else if (ns & CLONE_NEWPID) {
			/* a private /proc, so ps inside shows the container's processes only */
			mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
		}
	} else if (s->n_mounts) {
		logf_(err_out, "[minik8s] volumes not mounted: no mount namespace on this machine");
	}
	if (s->rootfs && enter_rootfs(s->rootfs, diag) < 0) {
		logf_(err_out, "[minik8s] cannot enter the image's root filesystem: %s", strerror(errno));
		rep.exit_code = 128;
		rep.start_errno = errno;
		goto report;
	}
	if ((ns & CLONE_NEWUTS) && s->hostname)
		sethostname(s->hostname, strlen(s->hostname));
	if (pipe2(exec_pipe, O_CLOEXEC) < 0)
		_exit(128);
	g_child = fork();
	if (g_child == 0) {
		extern char **environ;

		close(exec_pipe[0]);
		dup2(out_fd, 1);
		dup2(err_fd, 2);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		if (s->working_dir && chdir(s->working_dir) < 0) {
			int e = errno;

			dprintf(2, "[minik8s] working dir %s: %s\n", s->working_dir, strerror(e));
			(void)!write(exec_pipe[1], &e, sizeof(e));
			_exit(127);
		}
		if (s->has_user && drop_to(s->uid, s->gid) < 0) {
			int e = errno;

			dprintf(2, "[minik8s] user %u:%u: %s\n", s->uid, s->gid, strerror(e));
			(void)!write(exec_pipe[1], &e, sizeof(e));
			_exit(127);
		}
		environ = s->envp;
		execvp(s->argv[0], s->argv);
		int e = errno;
		dprintf(2, "[minik8s] exec %s: %s\n", s->argv[0], strerror(e));
		(void)!write(exec_pipe[1], &e, sizeof(e));
		_exit(127);
	}
	close(exec_pipe[1]);
	if (g_child < 0) {
		rep.exit_code = 128;
		rep.start_errno = errno;
		goto report;
	}
	signal(SIGTERM, forward);
	signal(SIGINT, forward);
	signal(SIGHUP, forward);
	signal(SIGQUIT, forward);
	signal(SIGUSR1, forward);
	signal(SIGUSR2, forward);
	close(out_fd);
	close(err_fd);
	if (read(exec_pipe[0], &n, sizeof(n)) == (ssize_t)sizeof(n))
		rep.start_errno = n;
	close(exec_pipe[0]);
	for (;;) {
		pid_t p = waitpid(-1, &st, 0);

		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			break;
		if (p == g_child) {
			rep.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			break;
		}
	}
report:
	(void)!write(report_fd, &rep, sizeof(rep));
	close(report_fd);
	if (!(ns & CLONE_NEWPID)) {
		/* no namespace to end the stragglers with: the process group goes */
		signal(SIGTERM, SIG_IGN);
		kill(0, SIGKILL);
	}
	_exit(rep.exit_code & 0xff);
}

/* Copies what is readable on fd into the log as CRI records; returns 0 at EOF. */
static int pump(int fd, const char *stream, struct cm_buf *pending, int log_fd)
{
	char chunk[8192];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	struct cm_buf rec = CM_BUF_INIT;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n > 0)
		cm_buf_append(pending, chunk, (size_t)n);
	for (;;) {
		char *nl = pending->len ? memchr(pending->data, '\n', pending->len) : NULL;
		size_t take;

		if (nl)
			take = (size_t)(nl - pending->data);
		else if (pending->len >= KL_CRILOG_MAX_LINE || (n <= 0 && pending->len))
			take = pending->len > KL_CRILOG_MAX_LINE ? KL_CRILOG_MAX_LINE : pending->len;
		else
			break;
		kl_crilog_format(&rec, now_ns(), stream, !nl && n > 0, pending->data, take);
		cm_buf_consume(pending, take + (nl ? 1 : 0));
	}
	if (rec.len)
		cm_write_all(log_fd, rec.data, rec.len);
	cm_buf_close(&rec);
	return n > 0;
}

static int write_proc_self(const char *file, const char *text)
{
	char path[64];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (cm_write_all(fd, text, strlen(text)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * An unprivileged kubelet cannot make mount or PID namespaces, but where the
 * kernel allows unprivileged user namespaces it can own one, as rootless
 * runtimes do: the kubelet's uid becomes root inside it, with the
 * capabilities over the namespaces made after it. So volumes still mount at
 * their paths and the image's root can still be entered. Returns 0 when in one.
 */
static int enter_user_namespace(FILE *diag)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int rc;

	if (unshare(CLONE_NEWUSER) < 0) {
		logf_(diag, "namespace user not entered: %s", strerror(errno));
		return -errno;
	}
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if ((rc = write_proc_self("uid_map", map)) < 0 || (rc = write_proc_self("setgroups", "deny")) < 0) {
		logf_(diag, "user namespace id map: %s", strerror(-rc));
		return rc;
	}
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	if ((rc = write_proc_self("gid_map", map)) < 0) {
		logf_(diag, "user namespace group map: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

/* Unshares what the kernel allows; returns the CLONE_* flags obtained. */
static unsigned enter_namespaces(const struct kl_shim_spec *s, FILE *diag, struct cm_buf *names)
{
	static const struct {
		int flag;
		const char *name;
	} want[] = {{CLONE_NEWPID, "pid"}, {CLONE_NEWNS, "mnt"}, {CLONE_NEWUTS, "uts"}, {CLONE_NEWIPC, "ipc"}};
	unsigned got = 0;

	if (s->no_namespaces)
		return 0;
	/* a pod network namespace is only joined as root; a user namespace would forbid that */
	if (geteuid() != 0 && !s->netns_path && enter_user_namespace(diag) == 0)
		cm_buf_printf(names, "user");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (unshare(want[i].flag) == 0) {
			got |= (unsigned)want[i].flag;
			cm_buf_printf(names, "%s%s", names->len ? "," : "", want[i].name);
		} else {
			logf_(diag, "namespace %s not entered: %s", want[i].name, strerror(errno));
		}
	}
	return got;
}

/*
 * Joins the pod's network namespace. Unlike the others this one is not
 * optional: a pod that silently ran in the host's network would answer on
 * the wrong address and clash on ports. 0 or -errno.
 */
static int join_netns(const struct kl_shim_spec *s, FILE *diag, struct cm_buf *names)
{
	int fd, rc = 0;

	if (!s->netns_path)
		return 0;
	if ((fd = open(s->netns_path, O_RDONLY | O_CLOEXEC)) < 0 || setns(fd, CLONE_NEWNET) < 0) {
		rc = -errno;
		logf_(diag, "network namespace %s not joined: %s", s->netns_path, strerror(errno));
	} else {
		cm_buf_printf(names, "%snet", names->len ? "," : "");
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

int kl_shim_run(const char *dir, int ready_fd)
{
	struct kl_shim_spec s = {0};
	struct cm_buf path = CM_BUF_INIT, names = CM_BUF_INIT, text = CM_BUF_INIT, skipped = CM_BUF_INIT;
	struct cm_buf pend_out = CM_BUF_INIT, pend_err = CM_BUF_INIT;
	struct init_report rep = {0, 0};
	const char *reason = "Error", *cg = "none";
	enum kl_cgroup_mode mode = KL_CGROUP_NONE;
	int out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, rep_p[2] = {-1, -1};
	int log_fd = -1, rc, st;
	bool have_report = false;
	FILE *diag;
	unsigned ns;
	pid_t init;
	int64_t started_ms;

	cm_buf_printf(&path, "%s/shim.log", dir);
	diag = fopen(path.data, "ae");
	cm_buf_reset(&path);
	cm_buf_printf(&path, "%s/config.json", dir);
	if ((rc = kl_shim_spec_read(path.data, &s)) < 0) {
		logf_(diag, "config %s: %s", path.data, strerror(-rc));
		goto fail_early;
	}
	if ((log_fd = open(s.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
		rc = -errno;
		logf_(diag, "log %s: %s", s.log_path, strerror(errno));
		goto fail_early;
	}
	if (s.cgroup_name && s.cgroup_parent && (mode = kl_cgroup_detect(CGROUP_FS)) != KL_CGROUP_NONE) {
		if ((rc = kl_cgroup_create(CGROUP_FS, mode, s.cgroup_parent, s.cgroup_name, &s.limits,
					   &skipped)) < 0) {
			logf_(diag, "cgroup %s/%s not made (%s): limits not applied", s.cgroup_parent,
			      s.cgroup_name, strerror(-rc));
			mode = KL_CGROUP_NONE;
		} else {
			cg = mode == KL_CGROUP_V2 ? "v2" : "v1";
			if (skipped.len)
				logf_(diag, "cgroup limits not applied for: %s", skipped.data);
		}
	} else if (s.limits.memory || s.limits.cpu_m || s.limits.pids) {
		logf_(diag, "no writable cgroup hierarchy at %s: limits not applied", CGROUP_FS);
	}
	if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0 || pipe2(rep_p, O_CLOEXEC) < 0) {
		rc = -errno;
		goto fail_early;
	}
	ns = enter_namespaces(&s, diag, &names);
	if ((rc = join_netns(&s, diag, &names)) < 0)
		goto fail_early;
	started_ms = cm_time_wall_ms();
	init = fork();
	if (init == 0) {
		close(out_p[0]);
		close(err_p[0]);
		close(rep_p[0]);
		close(log_fd);
		if (ready_fd >= 0)
			close(ready_fd);
		run_init(&s, ns, out_p[1], err_p[1], rep_p[1], diag);
	}
	close(out_p[1]);
	close(err_p[1]);
	close(rep_p[1]);
	if (init < 0) {
		rc = -errno;
		goto fail_early;
	}
	/* shimPid/shimStart: the container's end is still being recorded while this process lives */
	cm_buf_printf(&text,
		      "{\"pid\":%d,\"startedMs\":%lld,\"namespaces\":\"%s\",\"cgroup\":\"%s\",\"shimPid\":%d,"
		      "\"shimStart\":%lld}",
		      (int)init, (long long)started_ms, names.data ? names.data : "", cg, (int)getpid(),
		      kl_proc_start(getpid()));
	write_json_file(dir, "state.json", text.data);
	if (ready_fd >= 0)
		close(ready_fd);
	ready_fd = -1;
	{
		struct pollfd pf[3] = {{out_p[0], POLLIN, 0}, {err_p[0], POLLIN, 0}, {rep_p[0], POLLIN, 0}};
		int open_fds = 3;

		while (open_fds > 0) {
			if (poll(pf, 3, -1) < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			for (int i = 0; i < 3; i++) {
				if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
					continue;
				if (i == 2) {
					if (read(pf[i].fd, &rep, sizeof(rep)) == (ssize_t)sizeof(rep))
						have_report = true;
				} else if (pump(pf[i].fd, i ? "stderr" : "stdout", i ? &pend_err : &pend_out,
						log_fd)) {
					continue;
				}
				close(pf[i].fd);
				pf[i].fd = -1;
				open_fds--;
			}
		}
	}
	while (waitpid(init, &st, 0) < 0 && errno == EINTR)
		;
	if (!have_report) /* init died without a word: SIGKILLed from outside */
		rep.exit_code = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
	if (mode != KL_CGROUP_NONE) {
		kl_cgroup_kill(CGROUP_FS, mode, s.cgroup_parent, s.cgroup_name);
		for (int i = 0; i < 100 && kl_cgroup_remove(CGROUP_FS, mode, s.cgroup_parent, s.cgroup_name) == -EBUSY; i++)
			usleep(10000);
	}
	reason = rep.start_errno ? "StartError" : rep.exit_code == 0 ? "Completed" : "Error";
	cm_buf_reset(&text);
	cm_buf_printf(&text, "{\"exitCode\":%d,\"reason\":\"%s\",\"message\":\"%s\",\"finishedMs\":%lld}",
		      rep.start_errno ? 128 : rep.exit_code, reason,
		      rep.start_errno ? strerror(rep.start_errno) : "", (long long)cm_time_wall_ms());
	write_json_file(dir, "exit.json", text.data);
	rc = rep.start_errno ? 128 : rep.exit_code;
	goto out;
fail_early:
	cm_buf_reset(&text);
	cm_buf_printf(&text, "{\"exitCode\":128,\"reason\":\"StartError\",\"message\":\"shim: %s\",\"finishedMs\":%lld}",
		      strerror(-rc), (long long)cm_time_wall_ms());
	write_json_file(dir, "exit.json", text.data);
out:
	if (ready_fd >= 0)
		close(ready_fd);
	if (log_fd >= 0)
		close(log_fd);
	if (diag)
		fclose(diag);
	kl_shim_spec_close(&s);
	cm_buf_close(&path);
	cm_buf_close(&names);
	cm_buf_close(&text);
	cm_buf_close(&skipped);
	cm_buf_close(&pend_out);
	cm_buf_close(&pend_err);
	return rc;
}
