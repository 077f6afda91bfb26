/* snapfile.h: durable, atomically replaced snapshot files of an etcdlite member. */
#ifndef EL_SNAPFILE_H
#define EL_SNAPFILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A snapshot is an opaque byte string (the MVCC store's serialisation) taken
 * at a Raft (index, term). Each is one file in a directory, named
 *   <term %016x>-<index %016x>.snap
 * holding a 48-byte header, then the payload:
 *   magic "ELSNAP01" (8), index u64, term u64, payload length u64,
 *   payload crc32c u32, flags u32 (0), reserved u32 (0), header crc32c u32
 *   (over the 44 bytes before it); integers little endian.
 * A save writes "<name>.tmp", fsyncs it, renames it to <name> and fsyncs the
 * directory, so a crash leaves either the whole new file or a .tmp file that
 * loading ignores and deletes. Only the newest EL_SNAPFILE_KEEP snapshots are
 * kept.
 *
 * Threading: these functions block on the disk (call them from a worker
 * thread, not the loop); they keep no state, so they are safe on any thread,
 * but two saves into one directory at once are not supported.
 */

#define EL_SNAPFILE_KEEP 2

/*
 * Saves data[len] as the snapshot at (index, term) in dir (which must exist),
 * durably, then deletes all but the newest EL_SNAPFILE_KEEP snapshots
 * (by index). The caller keeps data. Returns 0, -EINVAL (index 0 or data NULL
 * with len > 0), -ENOMEM, or a negative errno from the filesystem; on failure
 * no .snap file was changed (a .tmp file may be left: the next load cleans it).
 */
int el_snapfile_save(const char *dir, uint64_t index, uint64_t term, const void *data,
		     size_t len);

/*
 * Loads the newest valid snapshot in dir (highest index). A snapshot that
 * fails its checks (header, length, CRC) is skipped with a cm_warn line and
 * the next older one is tried; leftover .tmp files are deleted. On success
 * *index, *term are set and *data is a malloc'd copy of the payload (the
 * caller frees it; non-NULL even when *len is 0).
 * Returns 0, -ENOENT (no valid snapshot: a member with no snapshot yet),
 * -ENOMEM, or a negative errno from the filesystem; outputs unchanged on failure.
 */
int el_snapfile_load_latest(const char *dir, uint64_t *index, uint64_t *term, void **data,
			    size_t *len);

#endif
