/* user.c: resolves an image's User against the passwd and group files inside its root filesystem. */
#include "kubelet/image/user.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "kubelet/image/archive.h"

/* A decimal id of at most 2^32-2 (-1 is "no id" to the kernel). */
static int parse_id(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static bool all_digits(const char *s, size_t n)
{
	return n && strspn(s, "0123456789") >= n;
}

/*
 * Finds the line of text whose field key_field equals key (n bytes) and
 * returns its field want_field as a number. 0, -ENOENT, -EINVAL.
 */
static int find(const char *text, const char *key, size_t n, int key_field, int want_field, uint32_t *out)
{
	for (const char *l = text; l && *l;) {
		const char *end = strchr(l, '\n'), *f[8] = {0};
		size_t len = end ? (size_t)(end - l) : strlen(l), flen[8] = {0};
		int nf = 0;

		for (const char *p = l; nf < 8 && p <= l + len;) {
			const char *c = memchr(p, ':', (size_t)(l + len - p));

			f[nf] = p;
			flen[nf++] = c ? (size_t)(c - p) : (size_t)(l + len - p);
			if (!c)
				break;
			p = c + 1;
		}
		if (nf > key_field && nf > want_field && flen[key_field] == n && !memcmp(f[key_field], key, n))
			return parse_id(f[want_field], flen[want_field], out);
		l = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

int kl_image_user_parse(const char *user, const char *passwd, const char *group, uint32_t *uid, uint32_t *gid)
{
	const char *colon = user ? strchr(user, ':') : NULL, *g = colon ? colon + 1 : NULL;
	size_t un = user ? (colon ? (size_t)(colon - user) : strlen(user)) : 0;
	uint32_t u = 0, gi = 0;
	int rc;

	if (!un || (g && !*g) || (user && strchr(user, '\n')))
		return -EINVAL;
	if (all_digits(user, un)) {
		if ((rc = parse_id(user, un, &u)) < 0)
			return rc;
		/* the primary group of a listed uid; 0 when it is not listed */
		char num[16];
		memcpy(num, user, un);
		num[un] = '\0';
		if (find(passwd, num, un, 2, 3, &gi) < 0)
			gi = 0;
	} else {
		if ((rc = find(passwd, user, un, 0, 2, &u)) < 0 || (rc = find(passwd, user, un, 0, 3, &gi)) < 0)
			return rc;
	}
	if (g) {
		if (all_digits(g, strlen(g)))
			rc = parse_id(g, strlen(g), &gi);
		else
			rc = find(group, g, strlen(g), 0, 2, &gi);
		if (rc < 0)
			return rc;
	}
	*uid = u;
	*gid = gi;
	return 0;
}

int kl_image_user_resolve(const char *rootfs, const char *user, uint32_t *uid, uint32_t *gid)
{
	struct cm_buf passwd = CM_BUF_INIT, group = CM_BUF_INIT;
	int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	/* missing files are empty files: numeric users still resolve */
	kl_archive_read_file(fd, "etc/passwd", 1 << 20, &passwd);
	kl_archive_read_file(fd, "etc/group", 1 << 20, &group);
	close(fd);
	rc = kl_image_user_parse(user, passwd.data, group.data, uid, gid);
	cm_buf_close(&passwd);
	cm_buf_close(&group);
	return rc;
}
