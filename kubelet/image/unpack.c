/* unpack.c: applies tar members under a root directory: files, links, devices, whiteouts, modes and owners. */
#include "kubelet/image/unpack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/strmap.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

/* Without openat2: component by component, refusing symlinks on the way. */
static int open_walk(int rootfd, const char *path, int flags, mode_t mode)
{
	int cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC), next;
	const char *s = path;

	while (cur >= 0) {
		size_t n = strcspn(s, "/");
		char comp[NAME_MAX + 1];

		if (n > NAME_MAX) {
			close(cur);
			return -ENAMETOOLONG;
		}
		memcpy(comp, s, n);
		comp[n] = '\0';
		if (!s[n]) {
			next = openat(cur, n ? comp : ".", flags | O_NOFOLLOW | O_CLOEXEC, mode);
			next = next < 0 ? -errno : next;
			close(cur);
			return next;
		}
		next = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(cur);
		cur = next;
		s += n + 1;
	}
	return errno == ELOOP ? -ELOOP : -errno;
}

int kl_open_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
			       .mode = (flags & O_CREAT) ? mode : 0,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	long fd = syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));

	if (fd >= 0)
		return (int)fd;
	if (errno != ENOSYS && errno != EPERM) /* EPERM: a seccomp filter that does not know openat2 */
		return -errno;
	return open_walk(rootfd, path, flags, mode);
}

static int rm_tree(int dfd, const char *name, int depth)
{
	DIR *d;
	struct dirent *de;
	int fd, rc = 0;

	if (unlinkat(dfd, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	if (depth >= KL_UNPACK_MAX_DEPTH)
		return -ELOOP;
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		/* a directory we made without read permission (not as root): open it up first */
		if (errno != EACCES || fchmodat(dfd, name, 0700, 0) < 0 ||
		    (fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return -errno;
	}
	if (geteuid() != 0)
		fchmod(fd, 0700); /* its entries cannot be unlinked without write permission */
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -errno;
	}
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rc = rm_tree(dirfd(d), de->d_name, depth + 1);
		if (rc == -ENOENT)
			rc = 0;
	}
	closedir(d);
	if (rc == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0)
		rc = -errno;
	return rc;
}

int kl_rm_tree_at(int dfd, const char *name)
{
	return rm_tree(dfd, name, 0);
}

/*
 * Opens the directory that holds path (cleaned, not ""), making missing
 * directories (0755) when create. *name points into path at the last
 * component. Returns an O_PATH fd or a negative errno.
 */
static int open_parent(int rootfd, const char *path, bool create, const char **name)
{
	const char *slash = strrchr(path, '/');
	struct cm_buf pre = CM_BUF_INIT;
	int fd, pfd;

	*name = slash ? slash + 1 : path;
	if (!slash)
		return kl_open_in_root(rootfd, "", O_PATH | O_DIRECTORY, 0);
	if (cm_buf_append(&pre, path, (size_t)(slash - path)) < 0)
		return -ENOMEM;
	fd = kl_open_in_root(rootfd, pre.data, O_PATH | O_DIRECTORY, 0);
	if (fd != -ENOENT || !create)
		goto out;
	/* make what is missing one level at a time, each level resolved inside the root again */
	if ((pfd = kl_open_in_root(rootfd, "", O_PATH | O_DIRECTORY, 0)) < 0) {
		fd = pfd;
		goto out;
	}
	for (size_t end = 0, start = 0; end <= pre.len; end++) {
		if (end < pre.len && pre.data[end] != '/')
			continue;
		pre.data[end] = '\0';
		fd = kl_open_in_root(rootfd, pre.data, O_PATH | O_DIRECTORY, 0);
		if (fd == -ENOENT) {
			fd = mkdirat(pfd, pre.data + start, 0755) < 0 && errno != EEXIST ? -errno : 0;
			if (fd == 0)
				fd = kl_open_in_root(rootfd, pre.data, O_PATH | O_DIRECTORY, 0);
		}
		if (end < pre.len)
			pre.data[end] = '/';
		close(pfd);
		if (fd < 0)
			goto out;
		pfd = fd;
		start = end + 1;
	}
out:
	cm_buf_close(&pre);
	return fd;
}

/* Empties directory dfd/name of what this layer did not write (an opaque whiteout). */
static int make_opaque(int rootfd, const char *dir, const struct cm_strmap *seen)
{
	struct cm_buf child = CM_BUF_INIT;
	struct dirent *de;
	int fd = kl_open_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY, 0), rc = 0;
	DIR *d;

	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -errno;
	}
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		cm_buf_reset(&child);
		if (cm_buf_printf(&child, "%s%s%s", dir, *dir ? "/" : "", de->d_name) < 0) {
			rc = -ENOMEM;
			break;
		}
		if (!cm_strmap_get(seen, child.data) && (rc = kl_rm_tree_at(dirfd(d), de->d_name)) == -ENOENT)
			rc = 0;
	}
	closedir(d);
	cm_buf_close(&child);
	return rc;
}

static int copy_data(struct cm_tar_reader *r, int fd)
{
	char buf[65536];
	ssize_t n;
	int rc;

	while ((n = cm_tar_read(r, buf, sizeof(buf))) > 0)
		if ((rc = cm_write_all(fd, buf, (size_t)n)) < 0)
			return rc;
	return (int)n;
}

/* Makes one member at dfd/name (which is free). */
static int make(int rootfd, int dfd, const char *name, const struct cm_tar_entry *e, struct cm_tar_reader *r,
		const struct kl_unpack_opts *o, struct kl_unpack_stats *st, struct cm_buf *link)
{
	bool root = o->chown;
	mode_t mode = e->mode;
	const char *tname;
	int fd = -1, tdir, rc = 0;

	switch (e->type) {
	case CM_TAR_FILE:
		if ((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
			return -errno;
		if ((rc = copy_data(r, fd)) < 0)
			goto out;
		break;
	case CM_TAR_DIR:
		if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
			return -errno;
		if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return -errno;
		if (!root)
			mode |= 0700; /* later members must still be written into it */
		break;
	case CM_TAR_SYMLINK:
		if (symlinkat(e->link, dfd, name) < 0)
			return -errno;
		if (root && fchownat(dfd, name, (uid_t)e->uid, (gid_t)e->gid, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		return 0;
	case CM_TAR_HARDLINK:
		cm_buf_reset(link);
		if ((rc = cm_tar_clean_path(e->link, link)) < 0 || !*link->data)
			return rc < 0 ? rc : -EINVAL;
		if ((tdir = open_parent(rootfd, link->data, false, &tname)) < 0)
			return tdir;
		rc = linkat(tdir, tname, dfd, name, 0) < 0 ? -errno : 0;
		close(tdir);
		return rc;
	case CM_TAR_CHAR:
	case CM_TAR_BLOCK:
		if (!root || mknodat(dfd, name, (e->type == CM_TAR_CHAR ? S_IFCHR : S_IFBLK) | (mode & 0777),
				     makedev(e->dev_major, e->dev_minor)) < 0) {
			if (root && errno != EPERM)
				return -errno;
			st->skipped++; /* containers get their devices from the runtime, not the image */
			return 0;
		}
		goto meta_at;
	case CM_TAR_FIFO:
		if (mkfifoat(dfd, name, mode & 0777) < 0)
			return -errno;
		goto meta_at;
	default:
		st->skipped++;
		return 0;
	}
	/* chown first: it clears set-id bits that chmod then sets */
	if (root && fchown(fd, (uid_t)e->uid, (gid_t)e->gid) < 0) {
		rc = -errno;
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		rc = -errno;
		goto out;
	}
	if (e->type == CM_TAR_FILE) {
		struct timespec ts[2] = {{e->mtime, 0}, {e->mtime, 0}};

		futimens(fd, ts);
	}
out:
	close(fd);
	return rc;
meta_at:
	if (root && fchownat(dfd, name, (uid_t)e->uid, (gid_t)e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return fchmodat(dfd, name, mode, 0) < 0 ? -errno : 0;
}

static int depth_of(const char *p)
{
	int n = *p ? 1 : 0;

	for (; *p; p++)
		n += *p == '/';
	return n;
}

/* Applies one member. */
static int apply(int rootfd, const struct cm_tar_entry *e, struct cm_tar_reader *r, const struct kl_unpack_opts *o,
		 struct kl_unpack_stats *st, struct cm_strmap *seen, struct cm_buf *path, struct cm_buf *link)
{
	const char *name;
	struct stat sb;
	int dfd, rc;

	cm_buf_reset(path);
	if ((rc = cm_tar_clean_path(e->path, path)) < 0)
		return rc;
	if (!*path->data)
		return 0; /* the root itself: its mode stays the store's */
	if (depth_of(path->data) > KL_UNPACK_MAX_DEPTH)
		return -ELOOP;
	name = strrchr(path->data, '/');
	name = name ? name + 1 : path->data;
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	/* a whiteout of what is not there does nothing; it must not make its directory */
	bool wh = o->whiteouts && !strncmp(name, WH_PREFIX, strlen(WH_PREFIX));
	if ((dfd = open_parent(rootfd, path->data, !wh, &name)) < 0)
		return wh && (dfd == -ENOENT || dfd == -ENOTDIR) ? 0 : dfd;
	if (wh) {
		if (!strcmp(name, WH_OPAQUE)) {
			path->data[name == path->data ? 0 : (size_t)(name - path->data) - 1] = '\0';
			rc = make_opaque(rootfd, path->data, seen);
		} else if ((rc = kl_rm_tree_at(dfd, name + strlen(WH_PREFIX))) == -ENOENT) {
			rc = 0;
		}
		goto out;
	}
	if (o->whiteouts && (rc = cm_strmap_put(seen, path->data, (void *)1, NULL)) < 0)
		goto out;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && !(S_ISDIR(sb.st_mode) && e->type == CM_TAR_DIR)) {
		if (e->type == CM_TAR_HARDLINK) {
			/* a link to itself (tar's way to restate a file) keeps the file */
			struct cm_buf t = CM_BUF_INIT;
			bool same = cm_tar_clean_path(e->link, &t) == 0 && !strcmp(t.data, path->data);

			cm_buf_close(&t);
			if (same)
				goto out;
		}
		if ((rc = kl_rm_tree_at(dfd, name)) < 0 && rc != -ENOENT)
			goto out;
	}
	rc = make(rootfd, dfd, name, e, r, o, st, link);
out:
	close(dfd);
	return rc;
}

int kl_unpack_tar(int rootfd, struct cm_tar_reader *r, const struct kl_unpack_opts *o, struct kl_unpack_stats *stats,
		  struct cm_buf *err)
{
	struct kl_unpack_stats local = {0, 0};
	struct cm_strmap seen = CM_STRMAP_INIT;
	struct cm_buf path = CM_BUF_INIT, link = CM_BUF_INIT;
	const struct cm_tar_entry *e;
	int rc;

	while ((rc = cm_tar_next(r, &e, err)) == 0) {
		if ((rc = apply(rootfd, e, r, o, &local, &seen, &path, &link)) < 0) {
			if (err)
				cm_buf_printf(err, "%s: %s", e->path,
					      rc == -EINVAL ? "refused (a \"..\" component or a bad link)" : strerror(-rc));
			break;
		}
		local.entries++;
	}
	if (rc == 1)
		rc = 0;
	if (stats) {
		stats->entries += local.entries;
		stats->skipped += local.skipped;
	}
	cm_strmap_close(&seen);
	cm_buf_close(&path);
	cm_buf_close(&link);
	return rc;
}
