/* buf.c: the growable byte buffer. */
#include "common/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cm_buf_init(struct cm_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void cm_buf_close(struct cm_buf *b)
{
	free(b->data);
	cm_buf_init(b);
}

void cm_buf_reset(struct cm_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int cm_buf_reserve(struct cm_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	need = b->len + n + 1; /* room for the terminating NUL */
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	/* A fresh buffer must read as "" even before anything is appended. */
	p[b->len] = '\0';
	b->data = p;
	b->cap = cap;
	return 0;
}

int cm_buf_append(struct cm_buf *b, const void *data, size_t len)
{
	int rc = cm_buf_reserve(b, len);

	if (rc)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int cm_buf_puts(struct cm_buf *b, const char *s)
{
	return cm_buf_append(b, s, strlen(s));
}

int cm_buf_putc(struct cm_buf *b, char c)
{
	return cm_buf_append(b, &c, 1);
}

int cm_buf_vprintf(struct cm_buf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n, rc;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	if (n < 0)
		return -EINVAL;
	rc = cm_buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int cm_buf_printf(struct cm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = cm_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int cm_buf_invalid(struct cm_buf *err, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		cm_buf_vprintf(err, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

void cm_buf_consume(struct cm_buf *b, size_t n)
{
	if (n >= b->len) {
		cm_buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

char *cm_buf_take(struct cm_buf *b)
{
	char *p;

	if (!b->data && cm_buf_reserve(b, 0))
		return NULL;
	if (b->len == 0)
		b->data[0] = '\0';
	p = b->data;
	cm_buf_init(b);
	return p;
}
