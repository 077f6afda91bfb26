/* shim_spec.c: the container spec the shim reads, as JSON in <dir>/config.json. */
#include "kubelet/runtime/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/json.h"

void kl_shim_spec_close(struct kl_shim_spec *s)
{
	for (char **p = s->argv; p && *p; p++)
		free(*p);
	for (char **p = s->envp; p && *p; p++)
		free(*p);
	free(s->argv);
	free(s->envp);
	for (size_t i = 0; i < s->n_mounts; i++) {
		free((char *)s->mounts[i].host_path);
		free((char *)s->mounts[i].path);
	}
	free(s->mounts);
	free(s->working_dir);
	free(s->rootfs);
	free(s->netns_path);
	free(s->hostname);
	free(s->log_path);
	free(s->cgroup_parent);
	free(s->cgroup_name);
	memset(s, 0, sizeof(*s));
}

static cJSON *strv_json(char *const *v)
{
	cJSON *a = cJSON_CreateArray();

	for (; a && v && *v; v++) {
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(*v))) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

static void add_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
}

int kl_shim_spec_write(const struct kl_shim_spec *s, const char *path)
{
	cJSON *o = cJSON_CreateObject(), *mounts = cJSON_CreateArray();
	struct cm_buf text = CM_BUF_INIT, tmp = CM_BUF_INIT;
	int fd = -1, rc = -ENOMEM;

	if (!o || !mounts)
		goto out;
	cJSON_AddItemToObject(o, "argv", strv_json(s->argv));
	cJSON_AddItemToObject(o, "env", strv_json(s->envp));
	add_str(o, "workingDir", s->working_dir);
	add_str(o, "rootfs", s->rootfs);
	add_str(o, "netns", s->netns_path);
	add_str(o, "hostname", s->hostname);
	add_str(o, "logPath", s->log_path);
	add_str(o, "cgroupParent", s->cgroup_parent);
	add_str(o, "cgroupName", s->cgroup_name);
	cJSON_AddNumberToObject(o, "memory", (double)s->limits.memory);
	cJSON_AddNumberToObject(o, "cpuMilli", (double)s->limits.cpu_m);
	cJSON_AddNumberToObject(o, "pids", (double)s->limits.pids);
	cJSON_AddBoolToObject(o, "noNamespaces", s->no_namespaces);
	if (s->has_user) {
		cJSON_AddNumberToObject(o, "uid", (double)s->uid);
		cJSON_AddNumberToObject(o, "gid", (double)s->gid);
	}
	for (size_t i = 0; i < s->n_mounts; i++) {
		cJSON *m = cJSON_CreateObject();

		if (!m)
			goto out;
		add_str(m, "hostPath", s->mounts[i].host_path);
		add_str(m, "path", s->mounts[i].path);
		cJSON_AddBoolToObject(m, "readOnly", s->mounts[i].read_only);
		cJSON_AddItemToArray(mounts, m);
	}
	cJSON_AddItemToObject(o, "mounts", mounts);
	mounts = NULL;
	if (cm_json_print(o, &text) < 0 || cm_buf_printf(&tmp, "%s.tmp", path) < 0)
		goto out;
	/*
	 * No fsync: the rename is what the shim needs (it never reads half a
	 * file), and a crash that loses the file loses the container with it.
	 * Syncing cost a few ms of the kubelet's loop per container started.
	 */
	if ((fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    (rc = cm_write_all(fd, text.data, text.len)) < 0) {
		rc = rc < 0 ? rc : -errno;
		goto out;
	}
	rc = rename(tmp.data, path) < 0 ? -errno : 0;
out:
	if (fd >= 0)
		close(fd);
	cJSON_Delete(mounts);
	cJSON_Delete(o);
	cm_buf_close(&text);
	cm_buf_close(&tmp);
	return rc;
}

static char *dup_or_null(const cJSON *o, const char *k)
{
	const char *v = cm_json_get_str(o, k);

	return v ? strdup(v) : NULL;
}

static char **strv_read(const cJSON *a)
{
	int n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
	char **v = calloc((size_t)n + 1, sizeof(*v));

	for (int i = 0; v && i < n; i++) {
		const char *s = cJSON_GetStringValue(cJSON_GetArrayItem(a, i));

		v[i] = strdup(s ? s : "");
	}
	return v;
}

int kl_shim_spec_read(const char *path, struct kl_shim_spec *out)
{
	struct cm_buf text = CM_BUF_INIT;
	struct kl_shim_spec s = {0};
	cJSON *o = NULL, *mounts;
	char chunk[4096];
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		cm_buf_append(&text, chunk, (size_t)n);
	close(fd);
	if ((rc = cm_json_parse(text.data ? text.data : "", text.len, &o, NULL)) < 0)
		goto out;
	s.argv = strv_read(cm_json_get(o, "argv"));
	s.envp = strv_read(cm_json_get(o, "env"));
	s.working_dir = dup_or_null(o, "workingDir");
	s.rootfs = dup_or_null(o, "rootfs");
	s.netns_path = dup_or_null(o, "netns");
	s.hostname = dup_or_null(o, "hostname");
	s.log_path = dup_or_null(o, "logPath");
	s.cgroup_parent = dup_or_null(o, "cgroupParent");
	s.cgroup_name = dup_or_null(o, "cgroupName");
	s.limits.memory = cm_json_int64_or(o, "memory", 0);
	s.limits.cpu_m = cm_json_int64_or(o, "cpuMilli", 0);
	s.limits.pids = cm_json_int64_or(o, "pids", 0);
	s.no_namespaces = cJSON_IsTrue(cm_json_get(o, "noNamespaces"));
	if (cm_json_get(o, "uid")) {
		int64_t uid = cm_json_int64_or(o, "uid", -1), gid = cm_json_int64_or(o, "gid", -1);

		if (uid < 0 || uid >= UINT32_MAX || gid < 0 || gid >= UINT32_MAX) {
			kl_shim_spec_close(&s);
			rc = -EINVAL;
			goto out;
		}
		s.has_user = true;
		s.uid = (uint32_t)uid;
		s.gid = (uint32_t)gid;
	}
	mounts = cm_json_get(o, "mounts");
	s.n_mounts = cJSON_IsArray(mounts) ? (size_t)cJSON_GetArraySize(mounts) : 0;
	s.mounts = calloc(s.n_mounts + 1, sizeof(*s.mounts));
	for (size_t i = 0; s.mounts && i < s.n_mounts; i++) {
		cJSON *m = cJSON_GetArrayItem(mounts, (int)i);

		s.mounts[i].host_path = dup_or_null(m, "hostPath");
		s.mounts[i].path = dup_or_null(m, "path");
		s.mounts[i].read_only = cJSON_IsTrue(cm_json_get(m, "readOnly"));
	}
	if (!s.argv || !s.envp || !s.mounts || !s.argv[0] || !s.log_path) {
		kl_shim_spec_close(&s);
		rc = -EINVAL;
		goto out;
	}
	*out = s;
out:
	cJSON_Delete(o);
	cm_buf_close(&text);
	return rc;
}
