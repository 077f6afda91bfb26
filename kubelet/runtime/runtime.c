/* runtime.c: what every runtime backend shares. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet/runtime/runtime.h"

void kl_runtime_free(struct kl_runtime *rt)
{
	if (rt)
		rt->ops->free(rt);
}

void kl_runtime_shutdown(struct kl_runtime *rt)
{
	if (rt && rt->ops->shutdown)
		rt->ops->shutdown(rt);
}

void kl_sandbox_close(struct kl_sandbox *sb)
{
	free(sb->dir);
	free(sb->netns_path);
	free(sb->ip);
	memset(sb, 0, sizeof(*sb));
}

static bool one_segment(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

int kl_runtime_log_file(const char *pods_root, const char *pod_uid, const char *name, int attempt,
			struct cm_buf *out)
{
	if (!one_segment(pod_uid) || !one_segment(name) || attempt < 0)
		return -EINVAL;
	return cm_buf_printf(out, "%s/%s/logs/%s/%d.log", pods_root, pod_uid, name, attempt) < 0 ? -ENOMEM : 0;
}

/* "<N>.log" with N a decimal attempt number: N, else -1. */
static long attempt_of(const char *file)
{
	char *end;
	long n;

	if (file[0] < '0' || file[0] > '9')
		return -1;
	n = strtol(file, &end, 10);
	return strcmp(end, ".log") || n > INT_MAX ? -1 : n;
}

int kl_runtime_log_before(const char *pods_root, const char *pod_uid, const char *name, int attempt,
			  struct cm_buf *out)
{
	struct cm_buf dir = CM_BUF_INIT;
	struct dirent *e;
	long best = -1;
	DIR *d;

	if (!one_segment(pod_uid) || !one_segment(name))
		return -EINVAL;
	if (cm_buf_printf(&dir, "%s/%s/logs/%s", pods_root, pod_uid, name) < 0)
		return -ENOMEM;
	/* the kubelet unlinks the one before the previous as each attempt starts: a few files at most */
	if ((d = opendir(dir.data))) {
		while ((e = readdir(d))) {
			long n = attempt_of(e->d_name);

			if (n < attempt && n > best)
				best = n;
		}
		closedir(d);
	}
	cm_buf_close(&dir);
	if (best < 0)
		return -ENOENT;
	return kl_runtime_log_file(pods_root, pod_uid, name, (int)best, out);
}
