/* ref.h: image references as the store names them (Docker's normalisation) and the folders they map to. */
#ifndef KL_IMAGE_REF_H
#define KL_IMAGE_REF_H

#include "common/buf.h"

/*
 * Appends ref normalised as Docker does for a lookup: "docker.io/",
 * "index.docker.io/" and then "library/" dropped ("docker.io/library/nginx"
 * and "nginx" are one image), ":latest" added when there is neither a tag nor
 * a digest. 0, -EINVAL (empty, a space or control character, '+', an empty
 * component, or a component starting with '.'), or -ENOMEM.
 */
int kl_image_ref_normalize(const char *ref, struct cm_buf *out);

/*
 * Appends the store's folder name for ref (normalised here): '/' becomes '+',
 * a character no reference holds, so two names never share a folder and a
 * folder never is a path. 0, -EINVAL, -ENOMEM.
 */
int kl_image_ref_key(const char *ref, struct cm_buf *out);

/* Appends the reference a folder name stands for ('+' back to '/'). 0 or -ENOMEM. */
int kl_image_ref_from_key(const char *key, struct cm_buf *out);

#endif
