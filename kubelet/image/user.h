/* user.h: an image's User ("name", "uid", "name:group", "uid:gid") resolved against its own /etc/passwd and /etc/group. */
#ifndef KL_IMAGE_USER_H
#define KL_IMAGE_USER_H

#include <stdint.h>

/*
 * As Docker does: a numeric uid is taken as is (its primary group from
 * passwd when listed there, else 0); a name must be in passwd; a group, by
 * number or name, replaces the primary group. passwd and group are the
 * files' text (NULL: empty). 0, -ENOENT (a name not listed), -EINVAL (empty
 * or malformed user, a number out of range).
 */
int kl_image_user_parse(const char *user, const char *passwd, const char *group, uint32_t *uid, uint32_t *gid);

/* The same with rootfs's etc/passwd and etc/group, read without leaving rootfs. */
int kl_image_user_resolve(const char *rootfs, const char *user, uint32_t *uid, uint32_t *gid);

#endif
