/* tar_writer.c: the in-memory tar builder the tar reader and layer tests use. */
#include "tests/lib/tar_writer.h"

#include <stdio.h>
#include <string.h>

void tw_member(struct cm_buf *t, const char *name, char type, unsigned mode, const char *link, const void *data,
	       size_t len)
{
	unsigned char h[512];
	unsigned sum = 0;
	static const char zero[512];

	memset(h, 0, sizeof(h));
	strncpy((char *)h, name, 100);
	snprintf((char *)h + 100, 8, "%07o", mode);
	snprintf((char *)h + 108, 8, "%07o", 0u);
	snprintf((char *)h + 116, 8, "%07o", 0u);
	snprintf((char *)h + 124, 12, "%011zo", len);
	snprintf((char *)h + 136, 12, "%011o", 1700000000u);
	h[156] = (unsigned char)type;
	if (link)
		strncpy((char *)h + 157, link, 100);
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	cm_buf_append(t, h, sizeof(h));
	if (len)
		cm_buf_append(t, data, len);
	cm_buf_append(t, zero, (512 - len % 512) % 512);
}

void tw_file(struct cm_buf *t, const char *name, const char *data)
{
	tw_member(t, name, '0', 0644, NULL, data, strlen(data));
}

void tw_dir(struct cm_buf *t, const char *name)
{
	tw_member(t, name, '5', 0755, NULL, NULL, 0);
}

void tw_symlink(struct cm_buf *t, const char *name, const char *target)
{
	tw_member(t, name, '2', 0777, target, NULL, 0);
}

void tw_hardlink(struct cm_buf *t, const char *name, const char *target)
{
	tw_member(t, name, '1', 0644, target, NULL, 0);
}

void tw_pax(struct cm_buf *t, const char *key, const char *value)
{
	struct cm_buf rec = CM_BUF_INIT;
	size_t body = strlen(key) + strlen(value) + 3, len = body + 1;
	char num[32];

	/* the length counts its own digits */
	while ((size_t)snprintf(num, sizeof(num), "%zu", len) + body != len)
		len = (size_t)snprintf(num, sizeof(num), "%zu", len) + body;
	cm_buf_printf(&rec, "%zu %s=%s\n", len, key, value);
	tw_member(t, "PaxHeader", 'x', 0644, NULL, rec.data, rec.len);
	cm_buf_close(&rec);
}

void tw_end(struct cm_buf *t)
{
	static const char zero[1024];

	cm_buf_append(t, zero, sizeof(zero));
}

ssize_t tw_read(void *ud, void *buf, size_t n)
{
	struct tw_src *s = ud;

	if (n > s->len - s->off)
		n = s->len - s->off;
	if (s->chunk && n > s->chunk)
		n = s->chunk;
	memcpy(buf, s->data + s->off, n);
	s->off += n;
	return (ssize_t)n;
}
