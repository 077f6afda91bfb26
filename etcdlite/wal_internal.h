/* wal_internal.h: the WAL's state shared by wal.c (appends, group commit) and wal_open.c (recovery). */
#ifndef EL_WAL_INTERNAL_H
#define EL_WAL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "etcdlite/wal.h"

/* "%016x-%016x.wal" plus NUL. */
#define EL_WAL_NAME_LEN 38

struct el_wal_seg {
	uint64_t seq;
	uint64_t first_index; /* from the name: a hint */
	uint64_t max_index;   /* highest entry index written in it (0: none) */
	char name[EL_WAL_NAME_LEN];
};

/*
 * The fields are split by who may touch them, which is what lets
 * el_wal_do_sync run on a worker thread with no locks (see wal.h):
 * loop side: only the thread calling the buffering functions and
 * begin/end_sync; sync side: only el_wal_do_sync (and open/close);
 * handoff: written by begin_sync, read by do_sync; result: written by
 * do_sync, read by end_sync.
 */
struct el_wal {
	int dirfd;
	size_t seg_size;
	uint64_t member_id;
	uint64_t cluster_id;

	/* loop side */
	struct cm_buf bufs[2];
	int active;                  /* bufs[active] takes appends */
	int in_flight;               /* between begin_sync and end_sync */
	int err;                     /* sticky failure, 0 if none */
	uint64_t last_index;         /* last entry appended */
	uint64_t buf_max_index;      /* highest entry index in bufs[active] */
	struct el_wal_hardstate hs;  /* as appended */
	struct el_wal_snapmark snap; /* as appended */
	uint64_t release_req;
	uint64_t synced_off;         /* copy of sync_off at end_sync */
	uint64_t synced_index;       /* last entry index durable at end_sync */
	char synced_name[EL_WAL_NAME_LEN];

	/* handoff */
	struct cm_buf *hand;
	uint64_t hand_max_index;
	uint64_t hand_last_index;
	struct el_wal_hardstate hand_hs;
	struct el_wal_snapmark hand_snap;
	uint64_t hand_release;

	/* sync side */
	int fd;                      /* current (last) segment, open for writing */
	uint64_t file_off;           /* its length */
	struct el_wal_seg *segs;     /* oldest first; the last is current */
	size_t nsegs;
	size_t segs_cap;
	struct el_wal_hardstate disk_hs;  /* as of everything written */
	struct el_wal_snapmark disk_snap;
	uint64_t disk_last_index;
	uint64_t release_target;
	int hook_fd;                 /* <dir>/.synced, -1 unless the hook is on */

	/* result */
	int sync_result;
	uint64_t sync_off;
	char sync_name[EL_WAL_NAME_LEN];
};

/* Formats a segment name into out[EL_WAL_NAME_LEN]. */
void el_wal_seg_name(char *out, uint64_t seq, uint64_t first_index);

/* Appends a segment to w->segs. Returns 0 or -ENOMEM. */
int el_wal_segs_push(struct el_wal *w, uint64_t seq, uint64_t first_index);

/*
 * Creates segment (seq, first_index) in w's directory: META, hard state and
 * snapshot marker from w->disk_*, written and fdatasynced, the directory
 * fsynced. On success w->fd/file_off/segs describe it (the old fd, if any, is
 * closed). Returns 0 or a negative errno; w is unchanged on failure.
 */
int el_wal_seg_create(struct el_wal *w, uint64_t seq, uint64_t first_index);

/* Rewrites <dir>/.synced with the current segment and its length (sync side). */
void el_wal_write_hook(struct el_wal *w);



#endif
