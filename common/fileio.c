/* fileio.c: write and pread loops that finish what the kernel did in pieces. */
#include "common/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cm_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int cm_pread_all(int fd, void *buf, size_t len, off_t off, size_t *got)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, p + done, len - done, off + (off_t)done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return 0;
}

int cm_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	struct cm_buf tmp = CM_BUF_INIT;
	int fd, rc;

	if (cm_buf_printf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	rc = fd < 0 ? -errno : cm_write_all(fd, data, len);
	if (rc == 0 && fchmod(fd, mode) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	if (rc == 0 && rename(tmp.data, path) < 0)
		rc = -errno;
	if (rc < 0 && fd >= 0)
		unlink(tmp.data);
	cm_buf_close(&tmp);
	return rc;
}

int cm_mkdir_p(const char *path, mode_t mode)
{
	char *p = strdup(path);
	int rc = 0;

	if (!p)
		return -ENOMEM;
	/* each parent in turn: the first byte is skipped so "/" is never made */
	for (char *s = p[0] ? strchr(p + 1, '/') : NULL; s && rc == 0; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			rc = -errno;
		*s = '/';
	}
	if (rc == 0 && p[0] && mkdir(p, mode) < 0 && errno != EEXIST)
		rc = -errno;
	free(p);
	return rc;
}

int cm_file_read(const char *path, size_t max, struct cm_buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
	struct cm_buf b = CM_BUF_INIT;
	struct stat st;
	size_t got = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if ((size_t)st.st_size > max)
		rc = -EFBIG;
	else if ((rc = cm_buf_reserve(&b, (size_t)st.st_size + 1)) == 0 &&
		 (rc = cm_pread_all(fd, b.data, (size_t)st.st_size, 0, &got)) == 0)
		rc = cm_buf_append(out, b.data, got);
	close(fd);
	cm_buf_close(&b);
	return rc;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

int cm_remove_tree(const char *path)
{
	/* depth first, so a folder is empty when its turn comes */
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 ? -errno : 0;
}
