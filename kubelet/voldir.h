/* voldir.h: a volume's set of files (ConfigMap, Secret, downward API, projected) swapped in at once, as Kubernetes lays them out. */
#ifndef KL_VOLDIR_H
#define KL_VOLDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One file of a volume: a relative path (folders allowed), its bytes and permission bits. */
struct kl_payload_file {
	char *path;
	char *data;
	size_t len;
	mode_t mode;
};

/* What a volume holds; zero-initialised, then kl_payload_add, then kl_payload_close. */
struct kl_payload {
	struct kl_payload_file *v;
	size_t n, cap;
};

/*
 * Adds a copy of path with len bytes of data and mode; a path added again
 * replaces the earlier one (a projected volume's later source wins).
 * 0, -EINVAL (an absolute path, empty, or one with ".."), -ENOMEM.
 */
int kl_payload_add(struct kl_payload *p, const char *path, const char *data, size_t len, mode_t mode);
/* Frees what p holds; p is empty (and usable) afterwards. */
void kl_payload_close(struct kl_payload *p);

/*
 * Makes dir (which must exist) hold exactly p, as Kubernetes' atomic writer
 * does: the files go into a fresh folder "..YYYY_MM_DD_HH_MM_SS.XXXXXX",
 * the symlink "..data" is pointed at it by one rename, and each top-level
 * name is a symlink "NAME -> ..data/NAME". A reader that opens through
 * "..data" sees the old set or the new one, never a mix. Names no longer in
 * p are removed, and so is the previous folder (a file held open or bound
 * by a subPath mount keeps its old bytes). Nothing is written when dir
 * already holds p (*changed false). Blocking file I/O: a few syscalls per
 * file. 0 or a negative errno (dir then still holds the old set, or the new
 * one missing only some of its top-level links).
 */
int kl_voldir_write(const char *dir, const struct kl_payload *p, bool *changed);

#endif
