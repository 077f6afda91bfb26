/* base64.c: standard base64 (RFC 4648) encoding, a lenient-padding decoder and Go's strict one. */
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

/* Skips '\r' and '\n' from s[i], as Go's decoder does between any two characters. */
static size_t skip_newlines(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/*
 * Go's decoder reads groups of four characters. Where it stops on bad input
 * decides the offset in its message, so this follows its order: a character
 * outside the alphabet is named where it stands; a group cut short by the end
 * of input is named at its first character; a lone or misplaced '=' where it
 * stands; a missing second '=' at the end of input; anything after the padding
 * where it starts.
 */
int cm_base64_decode_std(const char *s, size_t len, struct cm_buf *out, size_t *bad_at)
{
	size_t si = 0, n = 0;
	unsigned char *o;
	size_t bad = SIZE_MAX; /* the offset Go's message names */
	int rc;

	if (len > SIZE_MAX / 3 - 4)
		return -ENOMEM;
	rc = cm_buf_reserve(out, len / 4 * 3 + 3);
	if (rc)
		return rc;
	o = (unsigned char *)out->data + out->len;
	while (si < len && bad == SIZE_MAX) {
		uint32_t q[4] = {0, 0, 0, 0};
		size_t j = 0, dlen = 4;
		int padded = 0;

		while (j < 4 && bad == SIZE_MAX) {
			unsigned char c;
			int v;

			if (si == len) {
				if (j == 0)
					dlen = 0; /* only newlines were left */
				else
					bad = (si - j);
				break;
			}
			c = (unsigned char)s[si++];
			v = sextet(c);
			if (v >= 0) {
				q[j++] = (uint32_t)v;
				continue;
			}
			if (c == '\n' || c == '\r')
				continue;
			if (c != '=' || j < 2) {
				bad = (si - 1);
				break;
			}
			if (j == 2) { /* "==" is due: the first one is read */
				si = skip_newlines(s, len, si);
				if (si == len) {
					bad = len;
					break;
				}
				if (s[si] != '=') {
					bad = (si - 1);
					break;
				}
				si++;
			}
			si = skip_newlines(s, len, si);
			if (si < len)
				bad = si;
			dlen = j;
			padded = 1;
			break;
		}
		if (bad != SIZE_MAX)
			break;
		if (dlen > 1) {
			uint32_t v = q[0] << 18 | q[1] << 12 | q[2] << 6 | q[3];

			o[n++] = (unsigned char)(v >> 16);
			if (dlen > 2)
				o[n++] = (unsigned char)(v >> 8);
			if (dlen > 3)
				o[n++] = (unsigned char)v;
		}
		if (padded || dlen == 0)
			break;
	}
	if (bad != SIZE_MAX) {
		if (out->data)
			out->data[out->len] = '\0';
		*bad_at = bad;
		return -EINVAL;
	}
	out->len += n;
	out->data[out->len] = '\0';
	return 0;
}
