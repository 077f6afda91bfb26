/* codec.h: binary encoding of Raft messages and entries for the peer transport and the WAL. */
#ifndef RAFT_CODEC_H
#define RAFT_CODEC_H

/*
 * Format: little-endian fixed-width integers. A batch is a magic/version
 * header "RFT1", a u32 message count, then each message: its fixed fields,
 * u32 entry count, the entries, u32 snapshot data length and the bytes.
 * An entry is u64 term, u64 index, u8 type, u32 len, then len bytes.
 * Decoding checks every length against what remains, so hostile input
 * yields -EINVAL, never a crash or an over-read.
 */

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "etcdlite/raft/raft.h"

/* Most messages the decoder accepts in one batch. */
#define RAFT_CODEC_MAX_MSGS 100000u

/*
 * Appends the encoding of msgs[0..n) to out, snapshot data included
 * (snap_data/snap_len). Returns 0 or -ENOMEM (out as it was).
 */
int raft_codec_encode(const struct raft_msg *msgs, size_t n, struct cm_buf *out);

/*
 * Decodes a batch. Returns 0 with *msgs (an array of *n messages; every
 * entry and snapshot byte copied, so data may be freed at once; release with
 * raft_codec_free) or -EINVAL (truncated, trailing bytes, bad magic, unknown
 * type, absurd counts) or -ENOMEM; on failure *msgs and *n are untouched.
 */
int raft_codec_decode(const uint8_t *data, size_t len, struct raft_msg **msgs,
		      size_t *n);
/* Frees what raft_codec_decode returned; (NULL, 0) does nothing. */
void raft_codec_free(struct raft_msg *msgs, size_t n);

/* Appends one entry's encoding to out (for the WAL). 0 or -ENOMEM. */
int raft_codec_put_entry(struct cm_buf *out, const struct raft_entry *e);
/*
 * Decodes one entry from the front of data. Returns 0 with *e (e->data
 * malloc'ed, the caller frees it) and *used bytes consumed, or -EINVAL
 * (truncated, bad type) or -ENOMEM; on failure *e is untouched.
 */
int raft_codec_get_entry(const uint8_t *data, size_t len, struct raft_entry *e,
			 size_t *used);

#endif
