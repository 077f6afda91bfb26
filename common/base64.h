/* base64.h: standard base64 (RFC 4648, padded), as etcd's JSON API carries keys and values. */
#ifndef CM_BASE64_H
#define CM_BASE64_H

#include <stddef.h>

#include "common/buf.h"

/* Appends the encoding of data to out. Returns 0 or -ENOMEM. */
int cm_base64_encode(const void *data, size_t len, struct cm_buf *out);
/*
 * Appends the decoded bytes of s[0..len) to out. Accepts missing padding, as
 * etcd's gateway does. Returns 0, -EINVAL on a character outside the alphabet
 * or a bad length (out unchanged), or -ENOMEM.
 */
int cm_base64_decode(const char *s, size_t len, struct cm_buf *out);
/*
 * Appends the decoded bytes of s[0..len) to out, by the rules of Go's
 * base64.StdEncoding (what etcd's JSON gateway decodes []byte fields with):
 * padding required, '\r' and '\n' skipped anywhere, bits left over in the last
 * group ignored, nothing after the padding. Returns 0; -EINVAL with *bad_at set
 * to the offset Go names in "illegal base64 data at input byte N" (out
 * unchanged); or -ENOMEM.
 */
int cm_base64_decode_std(const char *s, size_t len, struct cm_buf *out, size_t *bad_at);

#endif
