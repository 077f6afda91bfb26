/* cgroup.c: container cgroups on v2 or v1 hierarchies. */
#include "kubelet/runtime/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* v1 controllers we use; v2 uses the one unified folder (ctrl ""). */
static const char *const v1_ctrls[] = {"memory", "cpu", "pids"};

static int path_ok(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

enum kl_cgroup_mode kl_cgroup_detect(const char *fsroot)
{
	struct cm_buf p = CM_BUF_INIT;
	enum kl_cgroup_mode mode = KL_CGROUP_NONE;
	FILE *f;
	char line[256];

	if (cm_buf_printf(&p, "%s/cgroup.controllers", fsroot) == 0 && (f = fopen(p.data, "r"))) {
		if (fgets(line, sizeof(line), f) && strstr(line, "memory"))
			mode = KL_CGROUP_V2;
		fclose(f);
	}
	if (mode == KL_CGROUP_NONE) {
		cm_buf_reset(&p);
		if (cm_buf_printf(&p, "%s/memory/cgroup.procs", fsroot) == 0 && path_ok(p.data) &&
		    access(p.data, W_OK) == 0)
			mode = KL_CGROUP_V1;
	}
	cm_buf_close(&p);
	return mode;
}

static int write_file(const char *dir, const char *file, const char *val)
{
	struct cm_buf p = CM_BUF_INIT;
	int fd, rc = 0;

	if (cm_buf_printf(&p, "%s/%s", dir, file) < 0)
		return -ENOMEM;
	fd = open(p.data, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		rc = -errno;
	else if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	cm_buf_close(&p);
	return rc;
}

/* fsroot/<ctrl>/<parent>/<name> into out (ctrl "" for v2). */
static int cg_dir(struct cm_buf *out, const char *fsroot, const char *ctrl, const char *parent,
		  const char *name)
{
	cm_buf_reset(out);
	return cm_buf_printf(out, "%s%s%s/%s%s%s", fsroot, *ctrl ? "/" : "", ctrl, parent,
			     name ? "/" : "", name ? name : "");
}

static int mkdir_ok(const char *p)
{
	return mkdir(p, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

static void note(struct cm_buf *skipped, const char *what)
{
	if (skipped)
		cm_buf_printf(skipped, "%s%s", skipped->len ? ", " : "", what);
}

static int create_v2(const char *fsroot, const char *parent, const char *name,
		     const struct kl_cgroup_limits *lim, struct cm_buf *skipped)
{
	struct cm_buf d = CM_BUF_INIT;
	char v[64];
	int rc;

	/* controllers must be enabled on every level above the leaf */
	write_file(fsroot, "cgroup.subtree_control", "+memory +cpu +pids");
	if ((rc = cg_dir(&d, fsroot, "", parent, NULL)) < 0 || (rc = mkdir_ok(d.data)) < 0)
		goto out;
	write_file(d.data, "cgroup.subtree_control", "+memory +cpu +pids");
	if ((rc = cg_dir(&d, fsroot, "", parent, name)) < 0 || (rc = mkdir_ok(d.data)) < 0)
		goto out;
	if (lim->memory > 0) {
		snprintf(v, sizeof(v), "%lld", (long long)lim->memory);
		if (write_file(d.data, "memory.max", v) < 0)
			note(skipped, "memory");
	}
	if (lim->cpu_m > 0) {
		snprintf(v, sizeof(v), "%lld 100000", (long long)(lim->cpu_m * 100));
		if (write_file(d.data, "cpu.max", v) < 0)
			note(skipped, "cpu");
	}
	if (lim->pids > 0) {
		snprintf(v, sizeof(v), "%lld", (long long)lim->pids);
		if (write_file(d.data, "pids.max", v) < 0)
			note(skipped, "pids");
	}
out:
	cm_buf_close(&d);
	return rc;
}

static int create_v1(const char *fsroot, const char *parent, const char *name,
		     const struct kl_cgroup_limits *lim, struct cm_buf *skipped)
{
	struct cm_buf d = CM_BUF_INIT;
	char v[64];
	int rc = 0;

	for (size_t i = 0; i < sizeof(v1_ctrls) / sizeof(v1_ctrls[0]); i++) {
		const char *c = v1_ctrls[i];

		if ((rc = cg_dir(&d, fsroot, c, "", NULL)) < 0)
			goto out;
		if (!path_ok(d.data)) {
			note(skipped, c);
			continue;
		}
		if ((rc = cg_dir(&d, fsroot, c, parent, NULL)) < 0 || (rc = mkdir_ok(d.data)) < 0 ||
		    (rc = cg_dir(&d, fsroot, c, parent, name)) < 0 || (rc = mkdir_ok(d.data)) < 0)
			goto out;
		if (!strcmp(c, "memory") && lim->memory > 0) {
			snprintf(v, sizeof(v), "%lld", (long long)lim->memory);
			if (write_file(d.data, "memory.limit_in_bytes", v) < 0)
				note(skipped, "memory");
		} else if (!strcmp(c, "cpu") && lim->cpu_m > 0) {
			snprintf(v, sizeof(v), "%lld", (long long)(lim->cpu_m * 100));
			if (write_file(d.data, "cpu.cfs_period_us", "100000") < 0 ||
			    write_file(d.data, "cpu.cfs_quota_us", v) < 0)
				note(skipped, "cpu");
		} else if (!strcmp(c, "pids") && lim->pids > 0) {
			snprintf(v, sizeof(v), "%lld", (long long)lim->pids);
			if (write_file(d.data, "pids.max", v) < 0)
				note(skipped, "pids");
		}
	}
out:
	cm_buf_close(&d);
	return rc;
}

int kl_cgroup_create(const char *fsroot, enum kl_cgroup_mode mode, const char *parent,
		     const char *name, const struct kl_cgroup_limits *lim, struct cm_buf *skipped)
{
	if (mode == KL_CGROUP_V2)
		return create_v2(fsroot, parent, name, lim, skipped);
	if (mode == KL_CGROUP_V1)
		return create_v1(fsroot, parent, name, lim, skipped);
	return -ENOTSUP;
}

int kl_cgroup_join(const char *fsroot, enum kl_cgroup_mode mode, const char *parent,
		   const char *name)
{
	struct cm_buf d = CM_BUF_INIT;
	int rc = -ENOTSUP;

	if (mode == KL_CGROUP_V2) {
		rc = cg_dir(&d, fsroot, "", parent, name);
		if (rc == 0)
			rc = write_file(d.data, "cgroup.procs", "0");
	} else if (mode == KL_CGROUP_V1) {
		rc = 0;
		for (size_t i = 0; i < sizeof(v1_ctrls) / sizeof(v1_ctrls[0]) && rc == 0; i++) {
			if ((rc = cg_dir(&d, fsroot, v1_ctrls[i], parent, name)) == 0 && path_ok(d.data))
				rc = write_file(d.data, "cgroup.procs", "0");
		}
	}
	cm_buf_close(&d);
	return rc;
}

/* The folder whose cgroup.procs lists every process: unified, or v1's memory controller. */
static int procs_dir(struct cm_buf *d, const char *fsroot, enum kl_cgroup_mode mode,
		     const char *parent, const char *name)
{
	if (mode == KL_CGROUP_V2)
		return cg_dir(d, fsroot, "", parent, name);
	if (mode == KL_CGROUP_V1)
		return cg_dir(d, fsroot, "memory", parent, name);
	return -ENOTSUP;
}

int kl_cgroup_kill(const char *fsroot, enum kl_cgroup_mode mode, const char *parent,
		   const char *name)
{
	struct cm_buf d = CM_BUF_INIT;
	FILE *f;
	int rc, n = 0;
	long pid;

	if ((rc = procs_dir(&d, fsroot, mode, parent, name)) < 0)
		goto out;
	if ((rc = cm_buf_puts(&d, "/cgroup.procs")) < 0)
		goto out;
	if (!(f = fopen(d.data, "r"))) {
		rc = -errno;
		goto out;
	}
	while (fscanf(f, "%ld", &pid) == 1) {
		if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
			n++;
	}
	fclose(f);
	rc = n;
out:
	cm_buf_close(&d);
	return rc;
}

int kl_cgroup_remove(const char *fsroot, enum kl_cgroup_mode mode, const char *parent,
		     const char *name)
{
	struct cm_buf d = CM_BUF_INIT;
	int rc = 0;

	if (mode == KL_CGROUP_V2) {
		if ((rc = cg_dir(&d, fsroot, "", parent, name)) == 0 && rmdir(d.data) < 0)
			rc = -errno;
	} else if (mode == KL_CGROUP_V1) {
		for (size_t i = 0; i < sizeof(v1_ctrls) / sizeof(v1_ctrls[0]); i++) {
			if (cg_dir(&d, fsroot, v1_ctrls[i], parent, name) == 0 && rmdir(d.data) < 0 &&
			    errno != ENOENT && rc == 0)
				rc = -errno;
		}
	} else {
		rc = -ENOTSUP;
	}
	cm_buf_close(&d);
	return rc;
}
