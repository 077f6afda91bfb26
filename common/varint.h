/* varint.h: base-128 varints (protobuf's encoding) and their zigzag form for signed values. */
#ifndef CM_VARINT_H
#define CM_VARINT_H

#include <stdint.h>

#include "common/buf.h"

/* Appends v in 1 to 10 bytes. 0 or -ENOMEM. */
int cm_varint_put(struct cm_buf *b, uint64_t v);
/* Appends v zigzag-encoded, so small negative numbers stay short. 0 or -ENOMEM. */
int cm_varint_put_signed(struct cm_buf *b, int64_t v);

/*
 * Reads one varint at *p (not past end) and advances *p. 0, or -EINVAL for a
 * truncated varint or one that does not fit 64 bits (*p is then unspecified).
 */
int cm_varint_get(const unsigned char **p, const unsigned char *end, uint64_t *v);
/* The same for a zigzag-encoded signed value. */
int cm_varint_get_signed(const unsigned char **p, const unsigned char *end, int64_t *v);

#endif
