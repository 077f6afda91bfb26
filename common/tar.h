/* tar.h: a streaming reader of tar archives (ustar, pax extended headers, GNU long names), bounds checked. */
#ifndef CM_TAR_H
#define CM_TAR_H

#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"

/*
 * The reader pulls bytes through a source callback (a file, a gzip stream,
 * memory), so an archive never has to fit in memory or be seekable. It
 * trusts nothing it reads: every header's checksum is checked, numbers are
 * parsed with their field's width (octal or GNU base-256), extended headers
 * are capped, and an archive that ends early is an error, not a crash.
 * Paths come back as written; cm_tar_clean_path() is how a caller that
 * writes files makes them safe.
 */

/* Reads up to n bytes into buf: returns the count (0 at the end) or a negative errno. */
typedef ssize_t (*cm_tar_read_fn)(void *ud, void *buf, size_t n);

enum cm_tar_type {
	CM_TAR_FILE,
	CM_TAR_DIR,
	CM_TAR_SYMLINK,
	CM_TAR_HARDLINK,
	CM_TAR_CHAR,
	CM_TAR_BLOCK,
	CM_TAR_FIFO,
	CM_TAR_OTHER, /* a type this reader does not know (its data is skipped) */
};

/* One member; strings are the reader's, valid until the next cm_tar_next(). */
struct cm_tar_entry {
	const char *path;
	const char *link; /* symlink target or hard link's path; "" for others */
	enum cm_tar_type type;
	uint32_t mode; /* permission bits and set-id/sticky (07777) */
	int64_t uid, gid;
	int64_t size; /* data bytes of a regular file; 0 for others */
	int64_t mtime;
	uint32_t dev_major, dev_minor;
};

struct cm_tar_reader;

/* Longest path or link the reader accepts (pax or GNU): anything longer is -ENAMETOOLONG. */
#define CM_TAR_MAX_NAME 65536
/* Largest pax extended header it reads. */
#define CM_TAR_MAX_PAX (1 << 20)

/* A reader over read(ud); *out to free with cm_tar_reader_free. 0 or -ENOMEM. */
int cm_tar_reader_new(cm_tar_read_fn read, void *ud, struct cm_tar_reader **out);
/* NULL does nothing. */
void cm_tar_reader_free(struct cm_tar_reader *r);
/*
 * Moves to the next member, skipping what is left of the current one's data.
 * 0 with *e set, 1 at the end of the archive (two zero blocks, or the end of
 * the input at a block boundary), -EINVAL for a damaged or truncated archive
 * (a reason in err when not NULL), -ENAMETOOLONG, -ENOMEM, or the source's
 * errno. After an error the reader only returns that error again.
 */
int cm_tar_next(struct cm_tar_reader *r, const struct cm_tar_entry **e, struct cm_buf *err);
/*
 * Reads up to n bytes of the current member's data. Returns the count (0 at
 * the member's end) or -EINVAL (the archive ends inside it) or the source's
 * errno.
 */
ssize_t cm_tar_read(struct cm_tar_reader *r, void *buf, size_t n);

/*
 * A member path made safe to join under a root: leading "/" and "./", empty
 * and "." components dropped, a trailing "/" removed; "" stands for the root
 * itself. Appends the result to out. 0, -EINVAL when a component is "..", or
 * -ENOMEM.
 */
int cm_tar_clean_path(const char *path, struct cm_buf *out);

#endif
