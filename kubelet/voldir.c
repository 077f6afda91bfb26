/* voldir.c: a volume's files swapped in at once: a timestamped folder, the "..data" symlink flipped to it, NAME -> ..data/NAME. */
#include "kubelet/voldir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fileio.h"

#define DATA "..data"
#define DATA_TMP "..data_tmp"
#define LINK_TMP "..link_tmp"

int kl_payload_add(struct kl_payload *p, const char *path, const char *data, size_t len, mode_t mode)
{
	struct kl_payload_file *f = NULL;
	char *d;

	if (!path || !*path || *path == '/' || strstr(path, ".."))
		return -EINVAL;
	for (size_t i = 0; i < p->n && !f; i++)
		if (!strcmp(p->v[i].path, path))
			f = &p->v[i];
	if (!(d = malloc(len + 1)))
		return -ENOMEM;
	if (len)
		memcpy(d, data, len); /* an empty value may come as NULL */
	d[len] = '\0';
	if (!f) {
		if (p->n == p->cap) {
			size_t cap = p->cap ? 2 * p->cap : 8;
			struct kl_payload_file *v = realloc(p->v, cap * sizeof(*v));

			if (!v) {
				free(d);
				return -ENOMEM;
			}
			p->v = v;
			p->cap = cap;
		}
		f = &p->v[p->n];
		if (!(f->path = strdup(path))) {
			free(d);
			return -ENOMEM;
		}
		p->n++;
	} else {
		free(f->data);
	}
	f->data = d;
	f->len = len;
	f->mode = mode & 0777;
	return 0;
}

void kl_payload_close(struct kl_payload *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].path);
		free(p->v[i].data);
	}
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

/* Regular files under path (recursively), or -errno. */
static long count_files(struct cm_buf *path)
{
	DIR *d = opendir(path->data);
	struct dirent *e;
	size_t len = path->len;
	long n = 0;

	if (!d)
		return -errno;
	while (n >= 0 && (e = readdir(d))) {
		struct stat st;
		long sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (cm_buf_printf(path, "/%s", e->d_name) < 0) {
			n = -ENOMEM;
			break;
		}
		if (lstat(path->data, &st) < 0)
			n = -errno;
		else if (S_ISREG(st.st_mode))
			n++;
		else if (S_ISDIR(st.st_mode))
			n = (sub = count_files(path)) < 0 ? sub : n + sub;
		else
			n = -EEXIST; /* a link or a device: not what the writer makes */
		path->len = len;
		path->data[len] = '\0';
	}
	closedir(d);
	return n;
}

/* Whether the folder ts (under dir) holds p exactly: the same files, bytes and modes, and no others. */
static bool holds(const char *dir, const char *ts, const struct kl_payload *p)
{
	struct cm_buf path = CM_BUF_INIT, got = CM_BUF_INIT;
	bool same = cm_buf_printf(&path, "%s/%s", dir, ts) == 0 && count_files(&path) == (long)p->n;

	for (size_t i = 0; i < p->n && same; i++) {
		struct stat st;

		cm_buf_reset(&path);
		cm_buf_reset(&got);
		same = cm_buf_printf(&path, "%s/%s/%s", dir, ts, p->v[i].path) == 0 && lstat(path.data, &st) == 0 &&
		       S_ISREG(st.st_mode) && (st.st_mode & 0777) == p->v[i].mode && (size_t)st.st_size == p->v[i].len &&
		       cm_file_read(path.data, p->v[i].len, &got) == 0 && got.len == p->v[i].len &&
		       (!got.len || !memcmp(got.data, p->v[i].data, got.len));
	}
	cm_buf_close(&path);
	cm_buf_close(&got);
	return same;
}

/* Writes p into a new folder under dir; its name ("..2026_...") into *ts. */
static int write_folder(const char *dir, const struct kl_payload *p, struct cm_buf *ts)
{
	struct cm_buf path = CM_BUF_INIT;
	char stamp[64];
	time_t now = time(NULL);
	struct tm tm;
	int rc = 0;

	strftime(stamp, sizeof(stamp), "..%Y_%m_%d_%H_%M_%S.XXXXXX", gmtime_r(&now, &tm));
	if (cm_buf_printf(&path, "%s/%s", dir, stamp) < 0)
		return -ENOMEM;
	if (!mkdtemp(path.data) || chmod(path.data, 0755) < 0) {
		rc = -errno;
		goto out;
	}
	if ((rc = cm_buf_puts(ts, strrchr(path.data, '/') + 1)) < 0)
		goto fail;
	for (size_t i = 0; i < p->n && rc == 0; i++) {
		char *slash;

		cm_buf_reset(&path);
		if ((rc = cm_buf_printf(&path, "%s/%s/%s", dir, ts->data, p->v[i].path)) < 0)
			break;
		slash = strrchr(path.data, '/');
		*slash = '\0';
		rc = cm_mkdir_p(path.data, 0755); /* the path's own folders: "a/b/c" */
		*slash = '/';
		if (rc == 0)
			rc = cm_file_write_atomic(path.data, p->v[i].data, p->v[i].len, p->v[i].mode);
	}
fail:
	if (rc < 0) {
		cm_buf_reset(&path);
		if (cm_buf_printf(&path, "%s/%s", dir, ts->data) == 0)
			cm_remove_tree(path.data);
	}
out:
	cm_buf_close(&path);
	return rc;
}

/* Makes the symlink dir/name -> target, replacing whatever is there by one rename (a folder is removed first). */
static int link_at(const char *dir, const char *name, const char *tmp, const char *target)
{
	struct cm_buf path = CM_BUF_INIT, t = CM_BUF_INIT;
	char cur[PATH_MAX];
	struct stat st;
	ssize_t n;
	int rc = -ENOMEM;

	if (cm_buf_printf(&path, "%s/%s", dir, name) < 0 || cm_buf_printf(&t, "%s/%s", dir, tmp) < 0)
		goto out;
	rc = 0;
	if (lstat(path.data, &st) == 0) {
		if (S_ISLNK(st.st_mode) && (n = readlink(path.data, cur, sizeof(cur) - 1)) >= 0 &&
		    (cur[n] = '\0', !strcmp(cur, target)))
			goto out;
		if (S_ISDIR(st.st_mode))
			cm_remove_tree(path.data); /* a folder written by a kubelet before this layout: cannot be renamed over */
	}
	unlink(t.data);
	if (symlink(target, t.data) < 0 || rename(t.data, path.data) < 0) {
		rc = -errno;
		unlink(t.data);
	}
out:
	cm_buf_close(&path);
	cm_buf_close(&t);
	return rc;
}

/* Whether name is the first component of one of p's paths. */
static bool top_level(const struct kl_payload *p, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < p->n; i++)
		if (!strncmp(p->v[i].path, name, len) && (p->v[i].path[len] == '/' || !p->v[i].path[len]))
			return true;
	return false;
}

/* The user-visible names: one symlink per top-level name of p; other names (and folders but ts) removed. */
static int relink(const char *dir, const struct kl_payload *p, const char *ts)
{
	struct cm_buf name = CM_BUF_INIT, target = CM_BUF_INIT, path = CM_BUF_INIT;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	for (size_t i = 0; i < p->n && rc == 0; i++) {
		size_t len = strcspn(p->v[i].path, "/");

		cm_buf_reset(&name);
		cm_buf_reset(&target);
		if (cm_buf_append(&name, p->v[i].path, len) < 0 || cm_buf_printf(&target, DATA "/%s", name.data) < 0)
			rc = -ENOMEM;
		else
			rc = link_at(dir, name.data, LINK_TMP, target.data);
	}
	if (!(d = opendir(dir))) {
		rc = rc ? rc : -errno;
		goto out;
	}
	while ((e = readdir(d))) {
		bool ours = !strncmp(e->d_name, "..", 2);

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, DATA) ||
		    !strcmp(e->d_name, ts) || (!ours && top_level(p, e->d_name)))
			continue;
		cm_buf_reset(&path);
		if (cm_buf_printf(&path, "%s/%s", dir, e->d_name) == 0)
			cm_remove_tree(path.data); /* a name gone from the source, or the previous (or a half-made) folder */
	}
	closedir(d);
out:
	cm_buf_close(&name);
	cm_buf_close(&target);
	cm_buf_close(&path);
	return rc;
}

int kl_voldir_write(const char *dir, const struct kl_payload *p, bool *changed)
{
	struct cm_buf data = CM_BUF_INIT, ts = CM_BUF_INIT;
	char cur[NAME_MAX + 1];
	ssize_t n;
	int rc;

	*changed = false;
	if (cm_buf_printf(&data, "%s/" DATA, dir) < 0)
		return -ENOMEM;
	n = readlink(data.data, cur, sizeof(cur) - 1);
	if (n > 2 && (cur[n] = '\0', strncmp(cur, "..", 2) == 0 && !strchr(cur, '/')) && holds(dir, cur, p)) {
		rc = cm_buf_puts(&ts, cur); /* unchanged; a link a crash left out is made below */
	} else if ((rc = write_folder(dir, p, &ts)) == 0) {
		/* the one step a reader can see: ..data names the old folder, then the new */
		if ((rc = link_at(dir, DATA, DATA_TMP, ts.data)) < 0) {
			cm_buf_reset(&data);
			if (cm_buf_printf(&data, "%s/%s", dir, ts.data) == 0)
				cm_remove_tree(data.data);
		} else {
			*changed = true;
		}
	}
	if (rc == 0)
		rc = relink(dir, p, ts.data);
	cm_buf_close(&data);
	cm_buf_close(&ts);
	return rc;
}
