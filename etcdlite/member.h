/* member.h: one etcdlite member: Raft, WAL, snapshots and the MVCC store on one libuv loop. */
#ifndef EL_MEMBER_H
#define EL_MEMBER_H

#include <uv.h>

#include "common/metrics.h"
#include "etcdlite/config.h"

struct el_member;

/*
 * Recovers the member from cfg->data_dir (snapshot + WAL) or creates it,
 * opens its client and peer listeners on loop and starts Raft. cfg is copied
 * (its strings must outlive the member). Returns 0 and *out, or a negative
 * error with the reason in err: -CM_ECORRUPT (a damaged WAL: file and offset
 * named), -EADDRINUSE, -EINVAL, -ENOMEM, or a filesystem errno.
 */
int el_member_start(uv_loop_t *loop, const struct el_config *cfg, struct el_member **out,
		    struct cm_buf *err);
/*
 * Stops serving, syncs what is buffered, closes every handle and frees the
 * member, then calls done (from the loop).
 */
void el_member_stop(struct el_member *m, void (*done)(void *ud), void *ud);
/* The bound client port (for a listen URL with port 0). */
int el_member_client_port(const struct el_member *m);

#endif
