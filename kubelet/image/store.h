/* store.h: the kubelet's image store under --image-dir: import, list, remove, and the lookup the runtime makes. */
#ifndef KL_IMAGE_STORE_H
#define KL_IMAGE_STORE_H

#include <stdint.h>

#include "common/buf.h"

/*
 * Layout: <dir>/<key>/rootfs/ holds the image's files and <dir>/<key>/image.json
 * {"name", "id", "importedMs", "layers", "config": {Entrypoint, Cmd, Env,
 * WorkingDir, User}}, where key is the normalised name with '/' as '+'
 * (kubelet/image/ref.h: "nginx" is nginx:latest). An image's other tags are
 * symlinks <dir>/<key2> -> <key>. Names starting with '.' are the store's
 * scratch (.import-*, .remove-*). Folders made by hand, <dir>/<image>/rootfs
 * without image.json, still run (looked up last, as before the store had an
 * import): their containers need a command.
 */

/* What the runtime needs to run an image; every string owned, freed by kl_image_close. */
struct kl_image {
	char *rootfs;
	char **entrypoint; /* NULL-terminated; empty when the image has none */
	char **cmd;
	char **env;        /* "NAME=value" */
	char *working_dir; /* NULL: none */
	char *user;        /* NULL: none (root) */
};
void kl_image_close(struct kl_image *im);

/*
 * Finds ref in the store: its folder by normalised name, then the hand-made
 * layouts <dir>/<ref with '/' and ':' as '_'>/rootfs and <dir>/<last path
 * component without tag>/rootfs. 0 and *out, -ENOENT, -EINVAL (image.json
 * damaged), -ENOMEM.
 */
int kl_image_store_lookup(const char *dir, const char *ref, struct kl_image *out);

/*
 * Imports the images of path (kl_archive_open: a docker save archive or an
 * OCI layout, a directory or a tar) into dir (made if missing): each image's
 * layers applied in order into a fresh rootfs in a scratch folder, which is
 * then renamed over its name (a re-import replaces, atomically for a reader).
 * tag (may be NULL) names the image too; an archive that names none needs
 * it. A line per image goes to report ("NAME ID LAYERS FILES"). 0, or
 * -EINVAL / -ENOTSUP / -errno with the reason in err; nothing is left behind
 * on failure.
 */
int kl_image_store_import(const char *dir, const char *path, const char *tag, struct cm_buf *report,
			  struct cm_buf *err);

/*
 * Removes ref: an alias only unlinks that name; an image's folder goes with
 * every alias to it. Running containers keep the files they have open, not
 * the paths. 0, -ENOENT, -EINVAL, -errno.
 */
int kl_image_store_remove(const char *dir, const char *ref);

/* Called per name in the store; alias_of is NULL for an image's own folder. */
typedef void (*kl_image_list_cb)(const char *name, const char *id, const char *alias_of, int64_t imported_ms,
				 void *ud);
/* Lists the store (names sorted). 0, -ENOENT (no store), -ENOMEM. */
int kl_image_store_list(const char *dir, kl_image_list_cb cb, void *ud);

#endif
