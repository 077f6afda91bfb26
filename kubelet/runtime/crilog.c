/* crilog.c: writes and reads CRI log records. */
#include "kubelet/runtime/crilog.h"

#include <errno.h>
#include <string.h>
#include <time.h>

int kl_crilog_format(struct cm_buf *out, int64_t unix_ns, const char *stream, bool partial,
		     const char *line, size_t len)
{
	time_t secs = (time_t)(unix_ns / 1000000000);
	long ns = (long)(unix_ns % 1000000000);
	struct tm tm;
	size_t old = out->len;

	if (!gmtime_r(&secs, &tm))
		return -EINVAL;
	if (cm_buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ %s %c ", tm.tm_year + 1900,
			  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns, stream,
			  partial ? 'P' : 'F') < 0 ||
	    cm_buf_append(out, line, len) < 0 || cm_buf_putc(out, '\n') < 0) {
		out->len = old;
		if (out->data)
			out->data[old] = '\0';
		return -ENOMEM;
	}
	return 0;
}

/* The next space-separated field of [*p, end); -EINVAL when there is none. */
static int field(const char **p, const char *end, const char **f, size_t *flen)
{
	const char *sp = memchr(*p, ' ', (size_t)(end - *p));

	if (!sp || sp == *p)
		return -EINVAL;
	*f = *p;
	*flen = (size_t)(sp - *p);
	*p = sp + 1;
	return 0;
}

int kl_crilog_parse(const char *line, size_t len, struct kl_crilog_rec *out)
{
	const char *p = line, *end = line + len, *tag;
	size_t tag_len;
	struct kl_crilog_rec r;

	if (field(&p, end, &r.time, &r.time_len) < 0 || field(&p, end, &r.stream, &r.stream_len) < 0)
		return -EINVAL;
	/* the tag may end the line when the message is empty: "... stdout F" has no trailing space only if written so */
	if (p < end && (end - p == 1 || p[1] == ' ')) {
		tag = p;
		tag_len = 1;
		p += (end - p == 1) ? 1 : 2;
	} else {
		return -EINVAL;
	}
	if (tag_len != 1 || (*tag != 'F' && *tag != 'P'))
		return -EINVAL;
	r.partial = *tag == 'P';
	r.msg = p;
	r.msg_len = (size_t)(end - p);
	*out = r;
	return 0;
}

int kl_crilog_render(const char *text, size_t len, bool timestamps, long tail_lines,
		     struct cm_buf *out)
{
	const char *p = text, *end = text + len, *start = text;
	bool in_partial = false;
	long lines = 0;

	/* count full lines backwards to find where the tail starts */
	if (tail_lines >= 0) {
		const char *q = end;
		start = end;
		while (q > text && lines <= tail_lines) {
			const char *e = q, *b;
			struct kl_crilog_rec r;

			if (e > text && e[-1] == '\n')
				e--;
			b = e;
			while (b > text && b[-1] != '\n')
				b--;
			if (kl_crilog_parse(b, (size_t)(e - b), &r) == 0 && !r.partial) {
				if (lines == tail_lines)
					break;
				lines++;
			}
			start = b;
			q = b;
		}
		/* a P record just before start belongs to the first kept line */
		while (start > text) {
			const char *e = start - 1, *b = e;
			struct kl_crilog_rec r;

			while (b > text && b[-1] != '\n')
				b--;
			if (kl_crilog_parse(b, (size_t)(e - b), &r) < 0 || !r.partial || tail_lines == 0)
				break;
			start = b;
		}
		if (tail_lines == 0)
			start = end;
	}
	for (p = start; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		struct kl_crilog_rec r;

		if (kl_crilog_parse(p, (size_t)(e - p), &r) == 0) {
			if (timestamps && !in_partial &&
			    (cm_buf_append(out, r.time, r.time_len) < 0 || cm_buf_putc(out, ' ') < 0))
				return -ENOMEM;
			if (cm_buf_append(out, r.msg, r.msg_len) < 0)
				return -ENOMEM;
			in_partial = r.partial;
			if (!r.partial && cm_buf_putc(out, '\n') < 0)
				return -ENOMEM;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}
