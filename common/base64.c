/* base64.c: standard base64 (RFC 4648) encoding and a lenient-padding decoder. */
#include "common/base64.h"

#include <errno.h>
#include <stdint.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int cm_base64_encode(const void *data, size_t len, struct cm_buf *out)
{
	const unsigned char *p = data;
	size_t olen, i;
	char *o;
	int rc;

	if (len > (SIZE_MAX - 2) / 4 * 3)
		return -ENOMEM;
	olen = (len + 2) / 3 * 4;
	rc = cm_buf_reserve(out, olen);
	if (rc)
		return rc;
	o = out->data + out->len;
	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = '=';
	}
	out->len += olen;
	out->data[out->len] = '\0';
	return 0;
}

/* The 6-bit value of c, or -1 if c is outside the alphabet. */
static int sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int cm_base64_decode(const char *s, size_t len, struct cm_buf *out)
{
	size_t n = len, i, olen;
	unsigned char *o;
	uint32_t acc = 0;
	int bits = 0, rc;

	/* Strip up to two '=' of padding; if present they must complete a quad. */
	if (n && s[n - 1] == '=') {
		n--;
		if (n && s[n - 1] == '=')
			n--;
		if (len % 4)
			return -EINVAL;
	}
	/* One leftover character carries only 6 bits: never a whole byte. */
	if (n % 4 == 1)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (sextet((unsigned char)s[i]) < 0)
			return -EINVAL;
	olen = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	rc = cm_buf_reserve(out, olen);
	if (rc)
		return rc;
	o = (unsigned char *)out->data + out->len;
	for (i = 0; i < n; i++) {
		acc = acc << 6 | (uint32_t)sextet((unsigned char)s[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	out->len += olen;
	out->data[out->len] = '\0';
	return 0;
}
