/* test_raft_codec.c: the binary codec of raft message batches and entries, including hostile input. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "etcdlite/raft/codec.h"
#include "tests/lib/check_run.h"

static struct raft_entry ents[3] = {
	{.term = 3, .index = 11, .type = RAFT_ENTRY_NORMAL, .len = 5, .data = (uint8_t *)"hello"},
	{.term = 3, .index = 12, .type = RAFT_ENTRY_NORMAL, .len = 0, .data = NULL},
	{.term = 4, .index = 13, .type = RAFT_ENTRY_NORMAL, .len = 3, .data = (uint8_t *)"xyz"},
};

static void sample(struct raft_msg m[3])
{
	memset(m, 0, 3 * sizeof(*m));
	m[0] = (struct raft_msg){.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 4,
				 .log_term = 3, .index = 10, .commit = 9, .n_entries = 3,
				 .entries = ents};
	m[1] = (struct raft_msg){.type = RAFT_MSG_APPEND_RESP, .reject = true, .from = 2,
				 .to = 1, .term = 4, .index = 10, .reject_hint = 7,
				 .reject_hint_term = 2, .ctx = UINT64_MAX};
	m[2] = (struct raft_msg){.type = RAFT_MSG_SNAPSHOT, .force = true, .from = 1, .to = 3,
				 .term = 4, .snapshot = {100, 3},
				 .snap_data = (const uint8_t *)"SNAPDATA", .snap_len = 8};
}

static void encode(struct cm_buf *b)
{
	struct raft_msg m[3];
	sample(m);
	cm_buf_init(b);
	ck_assert_int_eq(raft_codec_encode(m, 3, b), 0);
}

START_TEST(batch_round_trips)
{
	struct cm_buf b;
	encode(&b);
	struct raft_msg *out;
	size_t n;
	ck_assert_int_eq(raft_codec_decode((uint8_t *)b.data, b.len, &out, &n), 0);
	cm_buf_close(&b);
	ck_assert_uint_eq(n, 3);
	struct raft_msg m[3];
	sample(m);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(out[i].type, m[i].type);
		ck_assert_int_eq(out[i].reject, m[i].reject);
		ck_assert_int_eq(out[i].force, m[i].force);
		ck_assert_uint_eq(out[i].from, m[i].from);
		ck_assert_uint_eq(out[i].to, m[i].to);
		ck_assert_uint_eq(out[i].term, m[i].term);
		ck_assert_uint_eq(out[i].log_term, m[i].log_term);
		ck_assert_uint_eq(out[i].index, m[i].index);
		ck_assert_uint_eq(out[i].commit, m[i].commit);
		ck_assert_uint_eq(out[i].reject_hint, m[i].reject_hint);
		ck_assert_uint_eq(out[i].reject_hint_term, m[i].reject_hint_term);
		ck_assert_uint_eq(out[i].ctx, m[i].ctx);
		ck_assert_uint_eq(out[i].snapshot.index, m[i].snapshot.index);
		ck_assert_uint_eq(out[i].snapshot.term, m[i].snapshot.term);
		ck_assert_uint_eq(out[i].n_entries, m[i].n_entries);
		ck_assert_uint_eq(out[i].snap_len, m[i].snap_len);
	}
	for (size_t i = 0; i < 3; i++) {
		ck_assert_uint_eq(out[0].entries[i].term, ents[i].term);
		ck_assert_uint_eq(out[0].entries[i].index, ents[i].index);
		ck_assert_uint_eq(out[0].entries[i].len, ents[i].len);
		if (ents[i].len)
			ck_assert_mem_eq(out[0].entries[i].data, ents[i].data, ents[i].len);
	}
	ck_assert_mem_eq(out[2].snap_data, "SNAPDATA", 8);
	raft_codec_free(out, n);
}
END_TEST

START_TEST(empty_batch_round_trips)
{
	struct cm_buf b = CM_BUF_INIT;
	ck_assert_int_eq(raft_codec_encode(NULL, 0, &b), 0);
	struct raft_msg *out = NULL;
	size_t n = 9;
	ck_assert_int_eq(raft_codec_decode((uint8_t *)b.data, b.len, &out, &n), 0);
	ck_assert_uint_eq(n, 0);
	raft_codec_free(out, n);
	cm_buf_close(&b);
	raft_codec_free(NULL, 0);
}
END_TEST

START_TEST(every_truncation_is_refused)
{
	struct cm_buf b;
	encode(&b);
	for (size_t len = 0; len < b.len; len++) {
		/* A private copy of exactly len bytes, so ASan sees any over-read. */
		uint8_t *p = malloc(len ? len : 1);
		memcpy(p, b.data, len);
		struct raft_msg *out = (struct raft_msg *)p;
		size_t n = 12345;
		ck_assert_int_eq(raft_codec_decode(p, len, &out, &n), -EINVAL);
		ck_assert_ptr_eq(out, (struct raft_msg *)p); /* untouched */
		ck_assert_uint_eq(n, 12345);
		free(p);
	}
	cm_buf_close(&b);
}
END_TEST

START_TEST(trailing_bytes_are_refused)
{
	struct cm_buf b;
	encode(&b);
	ck_assert_int_eq(cm_buf_putc(&b, 0), 0);
	struct raft_msg *out;
	size_t n;
	ck_assert_int_eq(raft_codec_decode((uint8_t *)b.data, b.len, &out, &n), -EINVAL);
	cm_buf_close(&b);
}
END_TEST

START_TEST(bad_magic_type_and_counts_are_refused)
{
	struct cm_buf b;
	encode(&b);
	struct raft_msg *out;
	size_t n;
	uint8_t *p = (uint8_t *)b.data;
	p[0] = 'X';
	ck_assert_int_eq(raft_codec_decode(p, b.len, &out, &n), -EINVAL);
	p[0] = 'R';
	p[8] = 0; /* first message type */
	ck_assert_int_eq(raft_codec_decode(p, b.len, &out, &n), -EINVAL);
	p[8] = 99;
	ck_assert_int_eq(raft_codec_decode(p, b.len, &out, &n), -EINVAL);
	p[8] = RAFT_MSG_APPEND;
	memset(p + 4, 0xff, 4); /* message count */
	ck_assert_int_eq(raft_codec_decode(p, b.len, &out, &n), -EINVAL);
	cm_buf_close(&b);
	/* A message claiming 2^32-1 entries in a short buffer. */
	struct raft_msg m = {.type = RAFT_MSG_APPEND, .from = 1, .to = 2};
	cm_buf_init(&b);
	ck_assert_int_eq(raft_codec_encode(&m, 1, &b), 0);
	p = (uint8_t *)b.data;
	size_t at = 8 + 2 + 12 * 8; /* header, type+flags, fixed fields */
	memset(p + at, 0xff, 4);
	ck_assert_int_eq(raft_codec_decode(p, b.len, &out, &n), -EINVAL);
	/* A snapshot length beyond the input. */
	memset(p + at, 0, 4);
	memset(p + at + 4, 0x7f, 8);
	ck_assert_int_eq(raft_codec_decode(p, b.len, &out, &n), -EINVAL);
	cm_buf_close(&b);
}
END_TEST

START_TEST(random_garbage_never_crashes)
{
	uint64_t x = 88172645463325252ull;
	struct cm_buf good;
	encode(&good);
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(x % 300);
		uint8_t *p = malloc(len ? len : 1);
		bool mutate = round % 2;
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[i] = mutate && i < good.len ? (uint8_t)good.data[i] : (uint8_t)x;
		}
		if (mutate && len) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[x % len] ^= (uint8_t)(1u << (x % 8));
		}
		struct raft_msg *out;
		size_t n;
		int rc = raft_codec_decode(p, len, &out, &n);
		ck_assert(rc == 0 || rc == -EINVAL);
		if (rc == 0)
			raft_codec_free(out, n);
		free(p);
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	cm_buf_close(&good);
}
END_TEST

START_TEST(entry_round_trips_and_truncation_is_refused)
{
	struct cm_buf b = CM_BUF_INIT;
	ck_assert_int_eq(raft_codec_put_entry(&b, &ents[0]), 0);
	ck_assert_int_eq(raft_codec_put_entry(&b, &ents[1]), 0);
	struct raft_entry e;
	size_t used;
	ck_assert_int_eq(raft_codec_get_entry((uint8_t *)b.data, b.len, &e, &used), 0);
	ck_assert_uint_eq(e.term, 3);
	ck_assert_uint_eq(e.index, 11);
	ck_assert_uint_eq(e.len, 5);
	ck_assert_mem_eq(e.data, "hello", 5);
	free(e.data);
	struct raft_entry e2;
	ck_assert_int_eq(raft_codec_get_entry((uint8_t *)b.data + used, b.len - used, &e2, &used),
			 0);
	ck_assert_uint_eq(e2.index, 12);
	ck_assert_ptr_null(e2.data);
	for (size_t len = 0; len < 21 + 5; len++)
		ck_assert_int_eq(raft_codec_get_entry((uint8_t *)b.data, len, &e, &used), -EINVAL);
	b.data[16] = 7; /* bad type */
	ck_assert_int_eq(raft_codec_get_entry((uint8_t *)b.data, b.len, &e, &used), -EINVAL);
	cm_buf_close(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_codec");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, batch_round_trips);
	tcase_add_test(tc, empty_batch_round_trips);
	tcase_add_test(tc, every_truncation_is_refused);
	tcase_add_test(tc, trailing_bytes_are_refused);
	tcase_add_test(tc, bad_magic_type_and_counts_are_refused);
	tcase_add_test(tc, random_garbage_never_crashes);
	tcase_add_test(tc, entry_round_trips_and_truncation_is_refused);
	suite_add_tcase(s, tc);
	return check_run(s);
}
