/* archive.h: what an image archive holds: docker save (legacy and OCI-in-docker-save) or an OCI image layout. */
#ifndef KL_IMAGE_ARCHIVE_H
#define KL_IMAGE_ARCHIVE_H

#include <stddef.h>

#include "common/buf.h"

/* One image of an archive; paths are relative to the archive's root directory. */
struct kl_archive_image {
	char **names;   /* NULL-terminated repo tags as written (may be empty) */
	char *config;   /* the image config JSON's path */
	char **layers;  /* NULL-terminated layer paths, lowest first */
	char *id;       /* "sha256:<hex>" of the config, or "" when the path does not tell */
};

struct kl_archive {
	int rootfd; /* the layout's directory (the tar extracted, or the directory given) */
	struct kl_archive_image *images;
	size_t n;
};

/*
 * Opens path: a directory (an OCI layout or an extracted docker save) or a
 * tar of one (gzip-compressed or not), which is extracted under workdir/archive
 * (workdir is the caller's, and removing it is too). Reads manifest.json
 * when present (docker save, either layout), else index.json (OCI: nested
 * indexes followed to this machine's linux platform). 0 and *out (close
 * with kl_archive_close), -EINVAL with the reason in err, -ENOTSUP, -ENOMEM
 * or -errno.
 */
int kl_archive_open(const char *path, const char *workdir, struct kl_archive *out, struct cm_buf *err);
void kl_archive_close(struct kl_archive *a);

/* The whole file at path under rootfd (resolved inside it), at most max bytes. 0, -EFBIG, -errno. */
int kl_archive_read_file(int rootfd, const char *path, size_t max, struct cm_buf *out);

#endif
