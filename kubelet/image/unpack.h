/* unpack.h: applying a tar (an image layer, or an archive's outer tar) onto a directory without leaving it. */
#ifndef KL_IMAGE_UNPACK_H
#define KL_IMAGE_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/tar.h"

/*
 * Every path is cleaned (cm_tar_clean_path: ".." refused, leading "/"
 * dropped) and resolved inside the root directory (openat2 RESOLVE_IN_ROOT:
 * a symlink a layer made, even an absolute one or one through "..", lands in
 * the root, never on the host; where openat2 is missing a symlink in the
 * middle of a path is refused instead). The last component is never
 * followed: files are made with O_EXCL|O_NOFOLLOW, whatever was at the path
 * is removed first (a directory stays when a directory replaces it).
 */
/* Deepest path accepted (and removed): a bound on open directories while removing. */
#define KL_UNPACK_MAX_DEPTH 256

struct kl_unpack_opts {
	bool whiteouts; /* an image layer: ".wh.NAME" deletes NAME, ".wh..wh..opq" empties its directory */
	bool chown;     /* apply the members' uid/gid (as root); device nodes are made only then */
};

struct kl_unpack_stats {
	size_t entries;
	size_t skipped; /* device nodes not made (no privilege) and member types not known */
};

/*
 * Reads the tar r to its end onto the directory rootfd. 0, -EINVAL (a
 * damaged archive or a refused path: err says which), -ENAMETOOLONG, or the
 * errno of a file operation (err names the path). stats (may be NULL) is
 * added to.
 */
int kl_unpack_tar(int rootfd, struct cm_tar_reader *r, const struct kl_unpack_opts *o,
		  struct kl_unpack_stats *stats, struct cm_buf *err);

/*
 * Opens path (relative, as cleaned) resolving every symlink inside rootfd as
 * if rootfd were "/". flags as for openat (O_CLOEXEC is added). Returns the
 * fd or a negative errno.
 */
int kl_open_in_root(int rootfd, const char *path, int flags, mode_t mode);

/*
 * Removes name in dfd and, for a directory, all it holds, never following
 * a symlink. 0, -ENOENT, -ELOOP (nested deeper than KL_UNPACK_MAX_DEPTH), or -errno.
 */
int kl_rm_tree_at(int dfd, const char *name);

#endif
