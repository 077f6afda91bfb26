/* wal_record.h: WAL record framing (internal to wal*.c): encoding and the recovery scan of a segment. */
#ifndef EL_WAL_RECORD_H
#define EL_WAL_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* [length u32][type u8][crc32c u32], then length bytes of payload. */
#define EL_WAL_HDR_SIZE 9
/* Payload sizes of the fixed-size records (ENTRY is at least its 16). */
#define EL_WAL_META_SIZE 32
#define EL_WAL_ENTRY_MIN 16
#define EL_WAL_HARDSTATE_SIZE 24
#define EL_WAL_SNAPSHOT_SIZE 16
/* Larger payloads are treated as damage (an entry is far smaller). */
#define EL_WAL_MAX_PAYLOAD (256u * 1024 * 1024)

static inline void el_wal_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void el_wal_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t el_wal_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t el_wal_get_u64(const uint8_t *p)
{
	return (uint64_t)el_wal_get_u32(p) | (uint64_t)el_wal_get_u32(p + 4) << 32;
}

/* One well-formed record found by the scan; payload points into the scanned bytes. */
struct el_wal_rec {
	uint8_t type;
	uint32_t len;
	const uint8_t *payload;
	size_t off; /* byte offset of the record header in the file */
};

/*
 * Called for each valid record in file order. Returns 0 to go on, or a
 * negative error (which stops the scan and is returned; on -CM_ECORRUPT the
 * callback has written the message).
 */
typedef int (*el_wal_rec_cb)(void *arg, const struct el_wal_rec *rec);

/*
 * Scans the bytes of one segment (name is used in messages). Every record
 * must frame and checksum correctly, have a known type and the right payload
 * size, and the first must be META. If is_last, damage that can only be a
 * write cut short by a crash (see wal.h) ends the scan: *good_len is then the
 * length to truncate to. Otherwise damage is -CM_ECORRUPT with a message
 * "wal: <name>: corrupt record at offset N: <why>" in errbuf.
 * Returns 0 (with *good_len <= size), -CM_ECORRUPT, or the callback's error.
 */
int el_wal_scan(const char *name, const uint8_t *buf, size_t size, int is_last,
		el_wal_rec_cb cb, void *arg, size_t *good_len, char *errbuf, size_t errlen);

/* Frames type+payload into out[EL_WAL_HDR_SIZE + len] with its CRC filled. */
void el_wal_frame(uint8_t *out, uint8_t type, const void *payload, uint32_t len);

/* Fills the CRCs of the records framed (CRC 0) in buf[len]; len is whole records. */
void el_wal_fill_crcs(uint8_t *buf, size_t len);

#endif
