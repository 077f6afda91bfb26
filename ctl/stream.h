/* stream.h: following a streamed answer line by line (watches, logs -f) from a command-line tool. */
#ifndef MC_STREAM_H
#define MC_STREAM_H

#include "ctl/client.h"

/* Called per line of a 2xx body; returns 0 to go on, non-zero to stop the stream. */
typedef int (*mc_line_cb)(const char *line, size_t len, void *ud);

/*
 * GET path and hand each line of the answer to cb until the server ends the
 * body or cb returns non-zero. Runs a private libuv loop until then. *status
 * is the HTTP status (0 if none came); a non-2xx body is appended to errbody
 * (may be NULL). Returns 0 when an answer arrived (whatever the status; also
 * when cb stopped it) or a negative transport error (nothing printed:
 * watchers retry).
 */
int mc_stream(struct mc_ctx *c, const char *path, const char *accept, mc_line_cb cb, void *ud, long *status,
	      struct cm_buf *errbody);

#endif
