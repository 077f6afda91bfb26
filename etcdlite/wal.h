/* wal.h: the write-ahead log of an etcdlite member: opaque Raft records, CRC-framed, group-committed. */
#ifndef EL_WAL_H
#define EL_WAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Files. A WAL is a directory of segment files named
 *   <seq %016x>-<first raft index %016x>.wal   e.g. 0000000000000001-0000000000000001.wal
 * (the index is the one the segment was expected to start at when it was made;
 * a later overwrite may put lower indexes in it, so it is a hint, not a bound).
 * Each segment is a sequence of records:
 *   [payload length u32 LE][type u8][crc32c u32 LE over type + payload][payload]
 * Types and payloads (integers little endian):
 *   EL_WAL_REC_META      member id u64, cluster id u64, seq u64, first index u64
 *                        (the first record of every segment)
 *   EL_WAL_REC_ENTRY     raft index u64, term u64, data (the rest)
 *   EL_WAL_REC_HARDSTATE term u64, vote u64, commit u64
 *   EL_WAL_REC_SNAPSHOT  index u64, term u64: entries at or below index may be
 *                        discarded; replay returns only the entries above it.
 * A new segment starts with META, then the hard state and snapshot marker in
 * force when it was made, so older segments can be deleted without losing them.
 *
 * Overwrites: Raft may replace a suffix of its log (a new leader's entries
 * conflict). Appending an ENTRY whose index is <= the last index appended means
 * every entry at or above that index is replaced; replay honours this (the last
 * writer wins and higher indexes are truncated).
 *
 * Recovery: a torn last record of the last segment (short header, short
 * payload, bad CRC in the very last record, or trailing zeros) is cut: the file
 * is truncated to the last good record and a cm_warn line says so. Any bad
 * record followed by valid data, or in a segment that is not the last, refuses
 * the open with -CM_ECORRUPT and a message naming the file and byte offset.
 */

#define EL_WAL_REC_META 1
#define EL_WAL_REC_ENTRY 2
#define EL_WAL_REC_HARDSTATE 3
#define EL_WAL_REC_SNAPSHOT 4

/* Default segment size at which the WAL starts a new segment. */
#define EL_WAL_SEGMENT_SIZE (64u * 1024 * 1024)

/* Name of the test-hook sidecar file inside the WAL directory (see below). */
#define EL_WAL_SYNCED_FILE ".synced"

struct el_wal;

struct el_wal_hardstate {
	uint64_t term;
	uint64_t vote;
	uint64_t commit;
};

struct el_wal_snapmark {
	uint64_t index;
	uint64_t term;
};

/* One log entry. data is len bytes; in a replay the replay owns it. */
struct el_wal_entry {
	uint64_t index;
	uint64_t term;
	size_t len;
	uint8_t *data;
};

/*
 * What el_wal_open recovered. The caller allocates it; el_wal_open fills it
 * and el_wal_replay_close frees what it holds. A fresh WAL replays as all
 * zeros with no entries.
 */
struct el_wal_replay {
	uint64_t member_id;             /* as stored in the WAL (or as created) */
	uint64_t cluster_id;
	struct el_wal_hardstate hs;     /* the latest one written, zeros if none */
	struct el_wal_snapmark snap;    /* the latest marker, zeros if none */
	struct el_wal_entry *entries;   /* entries with index > snap.index, in */
	size_t n_entries;               /* index order, overwrites resolved */
};

/* Frees the entries of r; r is empty (and reusable) afterwards. NULL-safe. */
void el_wal_replay_close(struct el_wal_replay *r);

struct el_wal_options {
	/* Written into every segment when the WAL is created; an existing WAL
	 * keeps its own ids (returned in the replay). */
	uint64_t member_id;
	uint64_t cluster_id;
	/* Rotation threshold in bytes; 0 means EL_WAL_SEGMENT_SIZE. */
	size_t segment_size;
};

/*
 * Opens the WAL in dir (created if missing; its parent must exist),
 * recovering what is there: torn tails are cut, the latest hard state and
 * snapshot marker and the entries after the marker are put in *replay. opts may be NULL (ids 0, default segment size).
 * On success *walp is a new WAL the caller frees with el_wal_close, and
 * *replay is filled (free with el_wal_replay_close).
 * Errors: -CM_ECORRUPT (bad data before the tail; errbuf, when not NULL, gets
 * a NUL-terminated message naming file and byte offset, also logged with
 * cm_error), -ENOMEM, or a negative errno from the filesystem (errbuf gets a
 * message too). On failure nothing is allocated and *walp, *replay are unchanged.
 */
int el_wal_open(const char *dir, const struct el_wal_options *opts, struct el_wal **walp,
		struct el_wal_replay *replay, char *errbuf, size_t errlen);

/*
 * Closes the files and frees w; records buffered but not synced are dropped
 * (call el_wal_sync first to keep them). Must not be called while a sync is
 * in flight (between el_wal_begin_sync and el_wal_end_sync). NULL-safe.
 */
void el_wal_close(struct el_wal *w);

/*
 * Buffering (loop thread). These copy their arguments into the in-memory
 * buffer (a memcpy, no I/O); nothing is durable until a sync that began after
 * them has ended successfully. They may run while el_wal_do_sync runs on
 * another thread: they fill a different buffer.
 * Each returns 0, -ENOMEM (the buffer is unchanged: no partial batch),
 * -EINVAL (bad argument), or the sticky error of a failed sync (after a write
 * or fsync failure the WAL refuses everything: what reached the disk is
 * unknown, so the member must restart and recover).
 */
/* Appends n entries (their data copied). An entry with index <= the last
 * appended index replaces that entry and every later one. */
int el_wal_append_entries(struct el_wal *w, const struct el_wal_entry *ents, size_t n);
/* Records the Raft hard state; the latest one written wins on replay. */
int el_wal_set_hardstate(struct el_wal *w, const struct el_wal_hardstate *hs);
/* Records that a snapshot at (index, term) exists (saved durably by the
 * caller first): replay drops entries at or below index, and el_wal_release_to
 * may delete segments up to it once this marker is synced. */
int el_wal_mark_snapshot(struct el_wal *w, uint64_t index, uint64_t term);

/* Bytes buffered since the last el_wal_begin_sync (0: nothing to sync). */
size_t el_wal_pending(const struct el_wal *w);

/*
 * Group commit: a two-buffer handoff, no locks.
 *
 *  el_wal_begin_sync  (loop thread) hands the buffered records to the sync
 *                     side and gives appends a fresh buffer. Returns 0, or
 *                     -EBUSY if a sync is already in flight, or the sticky error.
 *  el_wal_do_sync     (any ONE thread, e.g. a uv_queue_work worker) computes
 *                     the CRCs, rotates the segment if it is full, write()s the
 *                     handed-off records in one call and fdatasync()s; then
 *                     deletes the segments a pending el_wal_release_to allows.
 *                     Returns 0 or a negative errno (also kept for end_sync).
 *                     With nothing handed off it does no I/O.
 *  el_wal_end_sync    (loop thread, e.g. the after_work callback) completes the
 *                     handoff and returns do_sync's result: 0 means every record
 *                     buffered before begin_sync is durable. A failure is sticky.
 *
 * Between begin_sync and end_sync the loop thread may call the buffering
 * functions, el_wal_pending, el_wal_release_to, el_wal_last_index,
 * el_wal_synced_index and el_wal_synced_offset, but not begin_sync (-EBUSY),
 * el_wal_sync or el_wal_close. Everything except do_sync is loop-thread only. do_sync touches only
 * sync-side state; the ordering that uv_queue_work (or pthread_create/join)
 * gives between the three steps is all the synchronisation needed.
 */
int el_wal_begin_sync(struct el_wal *w);
int el_wal_do_sync(struct el_wal *w);
int el_wal_end_sync(struct el_wal *w);

/* begin + do + end on the calling thread (tests, shutdown, simple callers).
 * Returns 0, -EBUSY if a threaded sync is in flight, or the sync's error. */
int el_wal_sync(struct el_wal *w);

/*
 * Asks that whole segments holding only entries at or below index be deleted
 * (never the current segment; never above the latest snapshot marker already
 * synced, so the limit is min(index, synced marker)). Loop thread; the unlinks
 * happen in the next el_wal_do_sync (or el_wal_sync), off the loop, after its
 * fdatasync. Returns 0 or the sticky error.
 */
int el_wal_release_to(struct el_wal *w, uint64_t index);

/*
 * Power-loss test hook. After each successful sync the WAL knows the fsynced
 * length of its current segment: el_wal_synced_offset returns it (as of the
 * last el_wal_end_sync; loop thread) and, if name is not NULL, copies the
 * segment's file name (not the path) into name[namelen]. When the environment
 * variable ETCDLITE_TEST_SYNC_HOOK=1 is set at el_wal_open, each sync also
 * rewrites <dir>/.synced with one line "<segment file name> <offset>\n"
 * (not fsynced itself: it is meant for a harness that SIGKILLs a member, then
 * truncates that segment to offset and deletes later segments, to simulate
 * losing the page cache, before restarting it).
 */
uint64_t el_wal_synced_offset(const struct el_wal *w, char *name, size_t namelen);

/* Index of the last entry appended (buffered or not; 0 if none, or the
 * snapshot marker's index if that is higher). Loop thread. */
uint64_t el_wal_last_index(const struct el_wal *w);

/*
 * Index of the last entry known durable: el_wal_last_index as it was at the
 * el_wal_begin_sync of the last successful el_wal_end_sync (at open: the last
 * replayed). Entries up to it may be acknowledged. It can go down when an
 * overwrite of a suffix was synced. Loop thread.
 */
uint64_t el_wal_synced_index(const struct el_wal *w);

#endif
