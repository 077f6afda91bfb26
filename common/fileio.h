/* fileio.h: whole reads and writes on file descriptors, retried on EINTR and short transfers. */
#ifndef CM_FILEIO_H
#define CM_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"

/* Writes all len bytes. Returns 0 or a negative errno (then some may have been written). */
int cm_write_all(int fd, const void *buf, size_t len);
/*
 * Reads up to len bytes from offset off into buf; *got is what was read, less
 * than len only at the end of the file. Returns 0 or a negative errno.
 */
int cm_pread_all(int fd, void *buf, size_t len, off_t off, size_t *got);
/*
 * Appends the whole file at path to out (NUL-terminated by the buffer).
 * Returns 0, -EFBIG when it is larger than max bytes, or a negative errno of
 * the open or read; out is unchanged on failure.
 */
int cm_file_read(const char *path, size_t max, struct cm_buf *out);

/*
 * Replaces the file at path with len bytes of data and mode (chmod'd, not
 * masked by the umask), through a temporary file beside it and a rename: a
 * reader sees the old content or the new, never a part. No fsync. 0 or a
 * negative errno (the temporary file is removed then).
 */
int cm_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Makes path and every missing parent with mode (like mkdir -p). 0 or a negative errno. */
int cm_mkdir_p(const char *path, mode_t mode);

/*
 * Removes path and everything under it (rm -rf): symlinks are removed, not
 * followed, and other file systems mounted below are not entered (their
 * mount points stay). What cannot be removed is left. Safe on any thread.
 * 0, or the negative errno of the walk (-ENOENT: nothing at path).
 */
int cm_remove_tree(const char *path);

#endif
