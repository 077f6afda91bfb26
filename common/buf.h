/* buf.h: a growable byte buffer, the one way strings are built in minik8s. */
#ifndef CM_BUF_H
#define CM_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * data is always NUL-terminated once anything was appended (the NUL is not
 * counted in len), so a buffer of text can be passed where a C string is
 * wanted. The buffer owns data until cm_buf_take() hands it over.
 */
struct cm_buf {
	char *data;
	size_t len;
	size_t cap;
};

#define CM_BUF_INIT {NULL, 0, 0}

void cm_buf_init(struct cm_buf *b);
/* Frees the storage; the buffer is empty and reusable afterwards. */
void cm_buf_close(struct cm_buf *b);
/* Empties the buffer, keeping its storage. */
void cm_buf_reset(struct cm_buf *b);
/* Makes room for n more bytes. Returns 0 or -ENOMEM (buffer unchanged). */
int cm_buf_reserve(struct cm_buf *b, size_t n);
/* Appends. Each returns 0 or -ENOMEM, leaving the buffer as it was on failure. */
int cm_buf_append(struct cm_buf *b, const void *data, size_t len);
int cm_buf_puts(struct cm_buf *b, const char *s);
int cm_buf_putc(struct cm_buf *b, char c);
int cm_buf_printf(struct cm_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int cm_buf_vprintf(struct cm_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/*
 * For parsers and validators: appends the reason to err (when err is not
 * NULL) and returns -EINVAL, so a refusal is one line: return cm_buf_invalid(...).
 */
int cm_buf_invalid(struct cm_buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (n <= len). */
void cm_buf_consume(struct cm_buf *b, size_t n);
/*
 * Hands the storage to the caller (free() it) and leaves the buffer empty.
 * Returns a NUL-terminated string, "" allocated if nothing was appended, or
 * NULL on -ENOMEM.
 */
char *cm_buf_take(struct cm_buf *b);

#endif
