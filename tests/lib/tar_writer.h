/* tar_writer.h: builds tar archives in memory for tests: ustar members, pax and GNU long-name records, raw damage. */
#ifndef TESTS_TAR_WRITER_H
#define TESTS_TAR_WRITER_H

#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"

/*
 * type is the header's typeflag ('0' file, '5' dir, '2' symlink, '1' hard
 * link, 'x' pax, 'L' GNU long name...); the name goes in the 100-byte field
 * (cut), link in linkname; data (len bytes) follows, padded to 512.
 */
void tw_member(struct cm_buf *t, const char *name, char type, unsigned mode, const char *link, const void *data,
	       size_t len);
/* A regular file, a directory, a symlink, a hard link. */
void tw_file(struct cm_buf *t, const char *name, const char *data);
void tw_dir(struct cm_buf *t, const char *name);
void tw_symlink(struct cm_buf *t, const char *name, const char *target);
void tw_hardlink(struct cm_buf *t, const char *name, const char *target);
/* A pax header ('x') with one record key=value, for the member that follows. */
void tw_pax(struct cm_buf *t, const char *key, const char *value);
/* The two zero blocks that end an archive. */
void tw_end(struct cm_buf *t);

/* A cm_tar_read_fn over memory: feeds at most chunk bytes per call (to test short reads). */
struct tw_src {
	const char *data;
	size_t len, off, chunk;
};
ssize_t tw_read(void *ud, void *buf, size_t n);

#endif
