/* docker_logs.h: Docker's multiplexed log stream (8-byte frame headers, timestamps on) to CRI log records. */
#ifndef KL_DOCKER_LOGS_H
#define KL_DOCKER_LOGS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/*
 * GET /containers/{id}/logs?stdout=1&stderr=1&timestamps=1 of a container
 * without a TTY answers frames: a header (stream: 1 stdout, 2 stderr; three
 * zero bytes; the payload's length, 4 bytes big-endian) then the payload, one
 * log message "<RFC3339Nano> <text>\n" (no newline: a part of a longer line).
 * Frames arrive cut anywhere, so the demuxer keeps what it has not used.
 */
struct kl_docker_demux {
	struct cm_buf pending; /* bytes of an incomplete frame */
	int64_t skip_until_ns; /* messages at or before this time were written already */
	int64_t last_ns;       /* the time of the last message written */
};

/* Starts a demuxer that drops messages not newer than skip_until_ns (0: none). */
void kl_docker_demux_init(struct kl_docker_demux *d, int64_t skip_until_ns);
/* Frees what d holds. */
void kl_docker_demux_close(struct kl_docker_demux *d);
/*
 * Feeds data[0..len) and appends one CRI record per complete message to out
 * ("<time> stdout F text\n"; "P" for a part). 0, -ENOMEM, or -EINVAL for a
 * header that is no frame's (a TTY stream, or garbage): the rest is dropped.
 */
int kl_docker_demux_feed(struct kl_docker_demux *d, const char *data, size_t len, struct cm_buf *out);

/* Parses an RFC3339 time with up to 9 fraction digits into unix nanoseconds. 0 or -EINVAL. */
int kl_docker_time_ns(const char *s, size_t len, int64_t *ns);

#endif
