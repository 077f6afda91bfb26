/* test_cm_websocket.c: RFC 6455 handshake key and frames, subprotocol choice, the exec exit Status. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/websocket.h"
#include "tests/lib/check_run.h"

static struct cm_buf out;

static void setup(void)
{
	cm_buf_init(&out);
}

static void teardown(void)
{
	cm_buf_close(&out);
}

START_TEST(test_accept_key_rfc6455)
{
	/* RFC 6455 section 1.3's example */
	ck_assert_int_eq(cm_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", &out), 0);
	ck_assert_str_eq(out.data, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ck_assert_int_eq(cm_ws_accept_key("", &out), -EINVAL);
}
END_TEST

START_TEST(test_encode_server_small)
{
	/* RFC 6455 section 5.7: an unmasked "Hello" */
	static const uint8_t want[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
	ck_assert_int_eq(cm_ws_frame_encode(&out, CM_WS_OP_TEXT, "Hello", 5, NULL), 0);
	ck_assert_uint_eq(out.len, sizeof(want));
	ck_assert_mem_eq(out.data, want, sizeof(want));
}
END_TEST

START_TEST(test_encode_client_masked)
{
	/* RFC 6455 section 5.7: a masked "Hello" */
	static const uint8_t mask[] = {0x37, 0xfa, 0x21, 0x3d};
	static const uint8_t want[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	ck_assert_int_eq(cm_ws_frame_encode(&out, CM_WS_OP_TEXT, "Hello", 5, mask), 0);
	ck_assert_uint_eq(out.len, sizeof(want));
	ck_assert_mem_eq(out.data, want, sizeof(want));
}
END_TEST

START_TEST(test_decode_masked)
{
	uint8_t in[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58, 0xff};
	struct cm_ws_frame f;
	ck_assert_int_eq(cm_ws_frame_decode(in, sizeof(in), 1024, &f), 11);
	ck_assert_int_eq(f.fin, 1);
	ck_assert_int_eq(f.opcode, CM_WS_OP_TEXT);
	ck_assert_int_eq(f.masked, 1);
	ck_assert_uint_eq(f.len, 5);
	ck_assert_mem_eq(f.payload, "Hello", 5);
}
END_TEST

START_TEST(test_decode_incomplete)
{
	uint8_t in[] = {0x82, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f};
	struct cm_ws_frame f;
	for (size_t n = 0; n <= sizeof(in); n++)
		ck_assert_int_eq(cm_ws_frame_decode(in, n, 1024, &f), 0);
}
END_TEST

START_TEST(test_roundtrip_lengths)
{
	/* 7-bit, 16-bit and 64-bit length forms, each with a channel byte in front */
	static const size_t lens[] = {0, 1, 125, 126, 65535, 65536, 200000};
	static const uint8_t mask[] = {1, 2, 3, 4};
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		uint8_t *data = malloc(lens[k] + 1);
		ck_assert_ptr_nonnull(data);
		for (size_t i = 0; i < lens[k]; i++)
			data[i] = (uint8_t)(i * 7);
		cm_buf_reset(&out);
		ck_assert_int_eq(cm_ws_frame_encode(&out, CM_WS_OP_BINARY, data, lens[k], k % 2 ? mask : NULL), 0);
		struct cm_ws_frame f;
		ck_assert_int_eq(cm_ws_frame_decode((uint8_t *)out.data, out.len, 1 << 20, &f), (ssize_t)out.len);
		ck_assert_int_eq(f.opcode, CM_WS_OP_BINARY);
		ck_assert_uint_eq(f.len, lens[k]);
		if (lens[k])
			ck_assert_mem_eq(f.payload, data, lens[k]);
		free(data);
	}
}
END_TEST

START_TEST(test_decode_rejects)
{
	struct cm_ws_frame f;
	uint8_t rsv[] = {0xc2, 0x00};     /* RSV1 set */
	uint8_t op[] = {0x83, 0x00};      /* opcode 3 is reserved */
	uint8_t frag[] = {0x09, 0x00};    /* a fragmented ping */
	uint8_t longping[] = {0x89, 126, 0, 126};
	uint8_t big[] = {0x82, 126, 0x10, 0x00};
	ck_assert_int_eq(cm_ws_frame_decode(rsv, sizeof(rsv), 1024, &f), -EPROTO);
	ck_assert_int_eq(cm_ws_frame_decode(op, sizeof(op), 1024, &f), -EPROTO);
	ck_assert_int_eq(cm_ws_frame_decode(frag, sizeof(frag), 1024, &f), -EPROTO);
	ck_assert_int_eq(cm_ws_frame_decode(longping, sizeof(longping), 1024, &f), -EPROTO);
	ck_assert_int_eq(cm_ws_frame_decode(big, sizeof(big), 1024, &f), -E2BIG);
}
END_TEST

START_TEST(test_pick_protocol)
{
	ck_assert_str_eq(cm_ws_pick_protocol("v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io"),
			 CM_WS_PROTO_V5);
	ck_assert_str_eq(cm_ws_pick_protocol("v4.channel.k8s.io,channel.k8s.io"), CM_WS_PROTO_V4);
	ck_assert_ptr_null(cm_ws_pick_protocol("channel.k8s.io, base64.channel.k8s.io"));
	ck_assert_ptr_null(cm_ws_pick_protocol("xv5.channel.k8s.io"));
	ck_assert_ptr_null(cm_ws_pick_protocol(NULL));
}
END_TEST

START_TEST(test_exit_status)
{
	cJSON *j;
	ck_assert_int_eq(cm_ws_exit_status(&out, 0, NULL), 0);
	j = cJSON_Parse(out.data);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "status")->valuestring, "Success");
	cJSON_Delete(j);

	cm_buf_reset(&out);
	ck_assert_int_eq(cm_ws_exit_status(&out, 3, NULL), 0);
	j = cJSON_Parse(out.data);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "status")->valuestring, "Failure");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "reason")->valuestring, "NonZeroExitCode");
	cJSON *cause = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "details"), "causes"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(cause, "reason")->valuestring, "ExitCode");
	ck_assert_str_eq(cJSON_GetObjectItem(cause, "message")->valuestring, "3");
	cJSON_Delete(j);

	cm_buf_reset(&out);
	ck_assert_int_eq(cm_ws_exit_status(&out, -2, "exec: \"nope\": not found"), 0);
	j = cJSON_Parse(out.data);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "message")->valuestring, "exec: \"nope\": not found");
	cJSON_Delete(j);
}
END_TEST

struct seen {
	int ops[8];
	struct cm_buf data[8];
	int n;
};

static int collect(int opcode, const uint8_t *data, size_t len, void *arg)
{
	struct seen *sn = arg;
	ck_assert_int_lt(sn->n, 8);
	sn->ops[sn->n] = opcode;
	cm_buf_init(&sn->data[sn->n]);
	cm_buf_append(&sn->data[sn->n], data, len);
	sn->n++;
	return 0;
}

START_TEST(test_reader_reassembles)
{
	/* a binary message in two fragments with a ping between them, fed a byte at a time */
	static const uint8_t mask[] = {9, 8, 7, 6};
	uint8_t frag1[] = {0x02, 0x83, 9, 8, 7, 6, 1 ^ 9, 'a' ^ 8, 'b' ^ 7};
	struct cm_ws_reader r;
	struct seen sn = {.n = 0};
	cm_ws_reader_init(&r, 0);
	cm_buf_append(&out, frag1, sizeof(frag1));
	ck_assert_int_eq(cm_ws_frame_encode(&out, CM_WS_OP_PING, "p", 1, mask), 0);
	size_t at = out.len;
	ck_assert_int_eq(cm_ws_frame_encode(&out, CM_WS_OP_CONT, "cd", 2, mask), 0);
	out.data[at] &= 0x7f; /* not final yet */
	ck_assert_int_eq(cm_ws_frame_encode(&out, CM_WS_OP_CONT, "e", 1, mask), 0);
	for (size_t i = 0; i < out.len; i++)
		ck_assert_int_eq(cm_ws_reader_feed(&r, out.data + i, 1, collect, &sn), 0);
	ck_assert_int_eq(sn.n, 2);
	ck_assert_int_eq(sn.ops[0], CM_WS_OP_PING);
	ck_assert_int_eq(sn.ops[1], CM_WS_OP_BINARY);
	ck_assert_uint_eq(sn.data[1].len, 6);
	ck_assert_mem_eq(sn.data[1].data, "\x01" "abcde", 6);
	for (int i = 0; i < sn.n; i++)
		cm_buf_close(&sn.data[i]);
	/* a continuation with no message begun */
	cm_buf_reset(&out);
	ck_assert_int_eq(cm_ws_frame_encode(&out, CM_WS_OP_CONT, "x", 1, NULL), 0);
	ck_assert_int_eq(cm_ws_reader_feed(&r, out.data, out.len, collect, &sn), -EPROTO);
	cm_ws_reader_close(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("websocket");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_accept_key_rfc6455);
	tcase_add_test(tc, test_encode_server_small);
	tcase_add_test(tc, test_encode_client_masked);
	tcase_add_test(tc, test_decode_masked);
	tcase_add_test(tc, test_decode_incomplete);
	tcase_add_test(tc, test_roundtrip_lengths);
	tcase_add_test(tc, test_decode_rejects);
	tcase_add_test(tc, test_pick_protocol);
	tcase_add_test(tc, test_exit_status);
	tcase_add_test(tc, test_reader_reassembles);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
