/* stream.h: a layer's bytes as a tar reader source: plain, or gzip inflated on the fly. */
#ifndef KL_IMAGE_STREAM_H
#define KL_IMAGE_STREAM_H

#include <sys/types.h>

/*
 * Image layers are tar, tar+gzip (the usual), or tar+zstd; which one is
 * told by the first bytes, not by the media type a manifest claims.
 */
struct kl_stream;

/*
 * A stream over fd, which it takes (closed by kl_stream_free, also on
 * failure). 0 and *out, -ENOTSUP (zstd: not supported), -ENOMEM, or -errno.
 */
int kl_stream_open(int fd, struct kl_stream **out);
/* NULL does nothing. */
void kl_stream_free(struct kl_stream *s);
/*
 * A cm_tar_read_fn: up to n bytes of the (inflated) stream; 0 at its end,
 * -EINVAL for damaged or truncated gzip data, -errno from read.
 */
ssize_t kl_stream_read(void *s, void *buf, size_t n);

#endif
