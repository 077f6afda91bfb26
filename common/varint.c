/* varint.c: base-128 varints, one writer and one bounds-checked reader for every binary format. */
#include "common/varint.h"

#include <errno.h>

int cm_varint_put(struct cm_buf *b, uint64_t v)
{
	char tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (char)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (char)v;
	return cm_buf_append(b, tmp, n);
}

int cm_varint_put_signed(struct cm_buf *b, int64_t v)
{
	return cm_varint_put(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

int cm_varint_get(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	const unsigned char *q = *p;
	uint64_t x = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		unsigned char c;

		if (q >= end)
			return -EINVAL;
		c = *q++;
		if (shift == 63 && c > 1) /* the tenth byte holds one bit */
			return -EINVAL;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			*p = q;
			return 0;
		}
	}
	return -EINVAL;
}

int cm_varint_get_signed(const unsigned char **p, const unsigned char *end, int64_t *v)
{
	uint64_t u;
	int rc = cm_varint_get(p, end, &u);

	if (rc == 0)
		*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return rc;
}
