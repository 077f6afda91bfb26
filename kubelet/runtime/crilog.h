/* crilog.h: the CRI container log format ("<RFC3339Nano> stdout F line"), written by the shim, read by the kubelet API. */
#ifndef KL_CRILOG_H
#define KL_CRILOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/*
 * A record is one line of output: the time it was read, the stream, "F" for
 * a full line or "P" for a part of a longer line (the last part is "F"), and
 * the bytes without their newline.
 */
#define KL_CRILOG_MAX_LINE 16384 /* longer lines are split into P records */

/* Appends one record for line[0..len) (no newline in it). 0 or -ENOMEM. */
int kl_crilog_format(struct cm_buf *out, int64_t unix_ns, const char *stream, bool partial,
		     const char *line, size_t len);

/* One parsed record; pointers borrow from the parsed line. */
struct kl_crilog_rec {
	const char *time; /* the timestamp text */
	size_t time_len;
	const char *stream;
	size_t stream_len;
	bool partial;
	const char *msg;
	size_t msg_len;
};
/* Parses one record line (without its newline). 0 or -EINVAL. */
int kl_crilog_parse(const char *line, size_t len, struct kl_crilog_rec *out);

/*
 * Renders records from text[0..len) as the user reads them: messages only,
 * P parts joined, each line with a newline; with timestamps, the time and a
 * space first (as kubectl logs --timestamps). Malformed lines are skipped.
 * Only the last tail_lines lines when tail_lines >= 0. 0 or -ENOMEM.
 */
int kl_crilog_render(const char *text, size_t len, bool timestamps, long tail_lines,
		     struct cm_buf *out);

#endif
