/* snapfile.c: snapshot files written atomically (temp, fsync, rename, fsync dir), loaded newest-valid-first. */
#include "etcdlite/snapfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crc32c.h"
#include "common/fileio.h"
#include "common/err.h"
#include "common/log.h"
#include "etcdlite/wal_record.h"

#define SNAP_MAGIC "ELSNAP01"
#define SNAP_HDR_SIZE 48
/* "%016x-%016x.snap.tmp" plus NUL. */
#define SNAP_NAME_LEN 43

struct snap_name {
	uint64_t term;
	uint64_t index;
	char name[SNAP_NAME_LEN];
};

static void snap_name(char *out, uint64_t term, uint64_t index)
{
	snprintf(out, SNAP_NAME_LEN, "%016" PRIx64 "-%016" PRIx64 ".snap", term, index);
}

/* Newest first: by index, then term. */
static int name_cmp(const void *a, const void *b)
{
	const struct snap_name *x = a, *y = b;
	if (x->index != y->index)
		return x->index < y->index ? 1 : -1;
	if (x->term != y->term)
		return x->term < y->term ? 1 : -1;
	return 0;
}

/*
 * Lists the .snap files of dir, newest first; with clean_tmp, deletes the
 * .tmp files a crashed save left. *out is malloc'd (NULL if none).
 */
static int list_snaps(int dirfd, int clean_tmp, struct snap_name **out, size_t *n_out)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	struct snap_name *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		struct snap_name s;
		size_t len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".tmp") == 0) {
			if (clean_tmp && strstr(de->d_name, ".snap.tmp")) {
				cm_warn("snapfile: removing %s left by an interrupted save",
					de->d_name);
				unlinkat(dirfd, de->d_name, 0);
			}
			continue;
		}
		if (sscanf(de->d_name, "%16" SCNx64 "-%16" SCNx64 ".snap", &s.term, &s.index) != 2)
			continue;
		snap_name(s.name, s.term, s.index);
		if (strcmp(s.name, de->d_name) != 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct snap_name *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[n++] = s;
	}
	closedir(d);
	if (rc < 0) {
		free(v);
		return rc;
	}
	if (n)
		qsort(v, n, sizeof(*v), name_cmp);
	*out = v;
	*n_out = n;
	return 0;
}

static void prune(int dirfd)
{
	struct snap_name *v = NULL;
	size_t n = 0;

	if (list_snaps(dirfd, 0, &v, &n) < 0)
		return;
	for (size_t i = EL_SNAPFILE_KEEP; i < n; i++)
		if (unlinkat(dirfd, v[i].name, 0) < 0)
			cm_warn("snapfile: removing old %s failed: %s", v[i].name, strerror(errno));
	free(v);
}

int el_snapfile_save(const char *dir, uint64_t index, uint64_t term, const void *data,
		     size_t len)
{
	char name[SNAP_NAME_LEN], tmp[SNAP_NAME_LEN + 8];
	uint8_t hdr[SNAP_HDR_SIZE];
	int dirfd, fd, rc = 0;

	if (!dir || index == 0 || (!data && len))
		return -EINVAL;
	snap_name(name, term, index);
	snprintf(tmp, sizeof(tmp), "%016" PRIx64 "-%016" PRIx64 ".snap.tmp", term, index);

	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, SNAP_MAGIC, 8);
	el_wal_put_u64(hdr + 8, index);
	el_wal_put_u64(hdr + 16, term);
	el_wal_put_u64(hdr + 24, len);
	el_wal_put_u32(hdr + 32, cm_crc32c(0, data, len));
	el_wal_put_u32(hdr + 44, cm_crc32c(0, hdr, 44));

	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out_dir;
	}
	rc = cm_write_all(fd, hdr, sizeof(hdr));
	if (rc == 0)
		rc = cm_write_all(fd, data, len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		goto out_tmp;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		rc = -errno;
		goto out_tmp;
	}
	/* The rename is durable only once the directory is. */
	if (fsync(dirfd) < 0) {
		rc = -errno;
		goto out_dir;
	}
	prune(dirfd);
	goto out_dir;

out_tmp:
	unlinkat(dirfd, tmp, 0);
	cm_error("snapfile: %s/%s: save failed: %s", dir, name, strerror(-rc));
out_dir:
	close(dirfd);
	return rc;
}

/* Reads and checks one snapshot file. -CM_ECORRUPT if it fails a check. */
static int load_one(int dirfd, const struct snap_name *s, void **data, size_t *len,
		    const char **why)
{
	int fd = openat(dirfd, s->name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	uint8_t hdr[SNAP_HDR_SIZE];
	uint8_t *buf = NULL;
	struct stat st;
	int rc = 0;
	ssize_t n;

	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	*why = "short or bad header";
	if ((size_t)n < sizeof(hdr) || memcmp(hdr, SNAP_MAGIC, 8) != 0 ||
	    el_wal_get_u32(hdr + 44) != cm_crc32c(0, hdr, 44)) {
		rc = -CM_ECORRUPT;
		goto out;
	}
	uint64_t plen = el_wal_get_u64(hdr + 24);
	*why = "header does not match the file name or size";
	if (el_wal_get_u64(hdr + 8) != s->index || el_wal_get_u64(hdr + 16) != s->term ||
	    (uint64_t)st.st_size != SNAP_HDR_SIZE + plen) {
		rc = -CM_ECORRUPT;
		goto out;
	}
	buf = malloc(plen ? (size_t)plen : 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	size_t got = 0;
	if ((rc = cm_pread_all(fd, buf, (size_t)plen, SNAP_HDR_SIZE, &got)))
		goto out;
	*why = "payload crc mismatch";
	if (got != plen || el_wal_get_u32(hdr + 32) != cm_crc32c(0, buf, got)) {
		rc = -CM_ECORRUPT;
		goto out;
	}
	*data = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

int el_snapfile_load_latest(const char *dir, uint64_t *index, uint64_t *term, void **data,
			    size_t *len)
{
	struct snap_name *v = NULL;
	size_t n = 0;
	int dirfd, rc;

	if (!dir || !index || !term || !data || !len)
		return -EINVAL;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	rc = list_snaps(dirfd, 1, &v, &n);
	if (rc < 0)
		goto out;
	rc = -ENOENT;
	for (size_t i = 0; i < n; i++) {
		const char *why = "";
		void *d = NULL;
		size_t l = 0;
		int r = load_one(dirfd, &v[i], &d, &l, &why);
		if (r == 0) {
			*index = v[i].index;
			*term = v[i].term;
			*data = d;
			*len = l;
			rc = 0;
			break;
		}
		if (r == -ENOMEM) {
			rc = r;
			break;
		}
		/* A damaged newest snapshot should not keep a member down; an
		 * older one is enough if the WAL was released only up to it. */
		if (r == -CM_ECORRUPT)
			cm_warn("snapfile: %s/%s: skipped: %s", dir, v[i].name, why);
		else
			cm_warn("snapfile: %s/%s: skipped: %s", dir, v[i].name, strerror(-r));
	}
out:
	free(v);
	close(dirfd);
	return rc;
}
