/* ref.c: image reference normalisation and the store's folder names. */
#include "kubelet/image/ref.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static bool valid(const char *r)
{
	const char *c = r;

	if (!*r)
		return false;
	for (; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '+' || *c == '\\')
			return false;
	/* every component non-empty and not starting with '.' (no "..", no hidden store folders) */
	for (c = r; *c;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || c[0] == '.')
			return false;
		c += n;
		if (*c == '/' && !*++c)
			return false;
	}
	return true;
}

int kl_image_ref_normalize(const char *ref, struct cm_buf *out)
{
	static const char *const hub[] = {"docker.io/", "index.docker.io/", "registry-1.docker.io/"};
	const char *r = ref ? ref : "", *last;
	size_t start = out->len;
	int rc;

	if (!valid(r))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(hub) / sizeof(hub[0]); i++) {
		if (!strncmp(r, hub[i], strlen(hub[i]))) {
			r += strlen(hub[i]);
			break;
		}
	}
	/* official images: "library/nginx" is "nginx" (but "library/a/b" stays) */
	if (!strncmp(r, "library/", 8) && !strchr(r + 8, '/'))
		r += 8;
	if (!valid(r))
		return -EINVAL;
	last = strrchr(r, '/');
	last = last ? last + 1 : r;
	rc = cm_buf_puts(out, r);
	if (rc == 0 && !strchr(last, ':') && !strchr(r, '@'))
		rc = cm_buf_puts(out, ":latest");
	if (rc < 0) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}

int kl_image_ref_key(const char *ref, struct cm_buf *out)
{
	struct cm_buf n = CM_BUF_INIT;
	int rc = kl_image_ref_normalize(ref, &n);

	for (size_t i = 0; rc == 0 && i < n.len; i++)
		rc = cm_buf_putc(out, n.data[i] == '/' ? '+' : n.data[i]);
	cm_buf_close(&n);
	return rc;
}

int kl_image_ref_from_key(const char *key, struct cm_buf *out)
{
	int rc = 0;

	for (const char *c = key; rc == 0 && *c; c++)
		rc = cm_buf_putc(out, *c == '+' ? '/' : *c);
	return rc < 0 ? rc : cm_buf_puts(out, "");
}
