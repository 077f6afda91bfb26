/* wal_record.c: WAL record framing and the recovery scan that tells a torn tail from corruption. */
#include "etcdlite/wal_record.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/crc32c.h"
#include "common/err.h"
#include "etcdlite/wal.h"

static uint32_t record_crc(uint8_t type, const uint8_t *payload, uint32_t len)
{
	return cm_crc32c(cm_crc32c(0, &type, 1), payload, len);
}

void el_wal_frame(uint8_t *out, uint8_t type, const void *payload, uint32_t len)
{
	el_wal_put_u32(out, len);
	out[4] = type;
	if (len)
		memcpy(out + EL_WAL_HDR_SIZE, payload, len);
	el_wal_put_u32(out + 5, record_crc(type, out + EL_WAL_HDR_SIZE, len));
}

void el_wal_fill_crcs(uint8_t *buf, size_t len)
{
	size_t off = 0;

	/* Done here, on the sync thread, so appends on the loop stay a memcpy. */
	while (off + EL_WAL_HDR_SIZE <= len) {
		uint32_t n = el_wal_get_u32(buf + off);
		uint8_t *p = buf + off + EL_WAL_HDR_SIZE;

		el_wal_put_u32(buf + off + 5, record_crc(buf[off + 4], p, n));
		off += EL_WAL_HDR_SIZE + (size_t)n;
	}
}

static int corrupt(char *errbuf, size_t errlen, const char *name, size_t off, const char *fmt,
		   ...) __attribute__((format(printf, 5, 6)));

static int corrupt(char *errbuf, size_t errlen, const char *name, size_t off, const char *fmt,
		   ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "wal: %s: corrupt record at offset %zu: %s", name, off,
			 why);
	return -CM_ECORRUPT;
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static int size_ok(uint8_t type, uint32_t len)
{
	switch (type) {
	case EL_WAL_REC_META:
		return len == EL_WAL_META_SIZE;
	case EL_WAL_REC_ENTRY:
		return len >= EL_WAL_ENTRY_MIN;
	case EL_WAL_REC_HARDSTATE:
		return len == EL_WAL_HARDSTATE_SIZE;
	case EL_WAL_REC_SNAPSHOT:
		return len == EL_WAL_SNAPSHOT_SIZE;
	default:
		return 0;
	}
}

/* A whole, checksummed record of a known type starts at off. */
static int valid_at(const uint8_t *buf, size_t size, size_t off)
{
	if (size - off < EL_WAL_HDR_SIZE)
		return 0;
	uint32_t len = el_wal_get_u32(buf + off);
	uint8_t type = buf[off + 4];
	if (!size_ok(type, len) || len > size - off - EL_WAL_HDR_SIZE)
		return 0;
	return el_wal_get_u32(buf + off + 5) ==
	       record_crc(type, buf + off + EL_WAL_HDR_SIZE, len);
}

/*
 * A length running past the end is what a cut-short append looks like, but so
 * is a damaged length field in the middle. The difference: after a real tail
 * there is no further valid record. Searching for one is slow only on this
 * rare path.
 */
static int valid_record_after(const uint8_t *buf, size_t size, size_t from)
{
	for (size_t off = from; off + EL_WAL_HDR_SIZE <= size; off++)
		if (valid_at(buf, size, off))
			return 1;
	return 0;
}

int el_wal_scan(const char *name, const uint8_t *buf, size_t size, int is_last,
		el_wal_rec_cb cb, void *arg, size_t *good_len, char *errbuf, size_t errlen)
{
	size_t off = 0;

	while (off < size) {
		size_t rem = size - off;
		if (rem < EL_WAL_HDR_SIZE) {
			if (is_last)
				break;
			return corrupt(errbuf, errlen, name, off, "short header (%zu bytes)", rem);
		}
		uint32_t len = el_wal_get_u32(buf + off);
		uint8_t type = buf[off + 4];
		uint32_t crc = el_wal_get_u32(buf + off + 5);
		const uint8_t *payload = buf + off + EL_WAL_HDR_SIZE;

		if (len == 0 && type == 0 && crc == 0) {
			/* Zeros: a preallocated or never-written tail. */
			if (is_last && all_zero(buf + off, rem))
				break;
			return corrupt(errbuf, errlen, name, off, "zero header before data");
		}
		if (len > rem - EL_WAL_HDR_SIZE) {
			if (is_last && len <= EL_WAL_MAX_PAYLOAD &&
			    !valid_record_after(buf, size, off + 1))
				break;
			return corrupt(errbuf, errlen, name, off,
				       "length %u runs past the end (%zu bytes left)", len,
				       rem - EL_WAL_HDR_SIZE);
		}
		size_t end = off + EL_WAL_HDR_SIZE + len;
		if (crc != record_crc(type, payload, len)) {
			if (is_last && all_zero(buf + end, size - end))
				break;
			return corrupt(errbuf, errlen, name, off, "crc mismatch");
		}
		if (!size_ok(type, len))
			return corrupt(errbuf, errlen, name, off, "bad type %u or length %u",
				       (unsigned)type, len);
		if (off == 0 && type != EL_WAL_REC_META)
			return corrupt(errbuf, errlen, name, off, "segment does not start with meta");
		if (off != 0 && type == EL_WAL_REC_META)
			return corrupt(errbuf, errlen, name, off, "meta record inside a segment");

		struct el_wal_rec rec = {.type = type, .len = len, .payload = payload, .off = off};
		int rc = cb(arg, &rec);
		if (rc < 0)
			return rc;
		off = end;
	}
	*good_len = off;
	return 0;
}
