/* test_api_storage_codec.c: the etcd v3 JSON bodies the apiserver sends, and its reading of the answers. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apiserver/storage.h"
#include "apiserver/storage_codec.h"
#include "common/err.h"
#include "common/json.h"
#include "tests/lib/check_run.h"

static cJSON *parsed(struct cm_buf *b)
{
	cJSON *j = cJSON_Parse(b->data);

	ck_assert_ptr_nonnull(j);
	return j;
}

START_TEST(range_request)
{
	struct cm_buf b = CM_BUF_INIT;
	cJSON *j;

	ck_assert_int_eq(api_codec_range_request("/registry/pods/", "/registry/pods0", NULL, 10, 42, false, &b), 0);
	j = parsed(&b);
	ck_assert_str_eq(cm_json_get_str(j, "key"), "L3JlZ2lzdHJ5L3BvZHMv"); /* base64 of the key */
	ck_assert_str_eq(cm_json_get_str(j, "limit"), "10");
	ck_assert_str_eq(cm_json_get_str(j, "revision"), "42");
	ck_assert_ptr_null(cm_json_get(j, "count_only"));
	cJSON_Delete(j);
	cm_buf_close(&b);
}
END_TEST

START_TEST(prefix_end)
{
	struct cm_buf b = CM_BUF_INIT;

	ck_assert_int_eq(api_storage_prefix_end("/registry/pods/", &b), 0);
	ck_assert_str_eq(b.data, "/registry/pods0");
	cm_buf_close(&b);
}
END_TEST

START_TEST(txn_create_with_allocations)
{
	struct cm_buf b = CM_BUF_INIT;
	struct api_txn_put extra[] = {{"/ip/10.96.0.5", "svc", 3}};
	const char *del[] = {"/ip/10.96.0.9"};
	cJSON *j;

	ck_assert_int_eq(api_codec_txn_request("/k", "{}", 2, 0, 0, false, extra, 1, del, 1, &b), 0);
	j = parsed(&b);
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(j, "compare")), 2);
	ck_assert_str_eq(cm_json_get_str(j, "compare.0.target"), "CREATE");
	ck_assert_str_eq(cm_json_get_str(j, "compare.0.create_revision"), "0");
	ck_assert_str_eq(cm_json_get_str(j, "compare.1.target"), "CREATE");
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(j, "success")), 3);
	ck_assert_ptr_nonnull(cm_json_get(j, "success.0.request_put"));
	ck_assert_ptr_null(cm_json_get(j, "success.0.request_put.lease"));
	ck_assert_ptr_nonnull(cm_json_get(j, "success.1.request_put"));
	ck_assert_ptr_nonnull(cm_json_get(j, "success.2.request_delete_range"));
	ck_assert_ptr_nonnull(cm_json_get(j, "failure.0.request_range"));
	cJSON_Delete(j);
	cm_buf_close(&b);
}
END_TEST

START_TEST(txn_update_and_delete)
{
	struct cm_buf b = CM_BUF_INIT;
	cJSON *j;

	ck_assert_int_eq(api_codec_txn_request("/k", "{}", 2, 77, 17, false, NULL, 0, NULL, 0, &b), 0);
	j = parsed(&b);
	ck_assert_str_eq(cm_json_get_str(j, "compare.0.target"), "MOD");
	ck_assert_str_eq(cm_json_get_str(j, "compare.0.mod_revision"), "17");
	ck_assert_str_eq(cm_json_get_str(j, "success.0.request_put.lease"), "77");
	cJSON_Delete(j);
	cm_buf_reset(&b);
	/* an unconditional delete compares nothing */
	ck_assert_int_eq(api_codec_txn_request("/k", NULL, 0, 0, 0, true, NULL, 0, NULL, 0, &b), 0);
	j = parsed(&b);
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(j, "compare")), 0);
	ck_assert_ptr_nonnull(cm_json_get(j, "success.0.request_delete_range"));
	cJSON_Delete(j);
	cm_buf_close(&b);
}
END_TEST

START_TEST(parse_range)
{
	static const char body[] = "{\"header\":{\"revision\":\"9\"},\"kvs\":[{\"key\":\"L2E=\",\"create_revision\":\"3\","
				   "\"mod_revision\":\"8\",\"version\":\"2\",\"value\":\"e30=\"}],\"more\":true,\"count\":\"5\"}";
	struct api_kv_result r;

	ck_assert_int_eq(api_codec_parse_response(200, body, strlen(body), false, &r), 0);
	ck_assert_int_eq(r.revision, 9);
	ck_assert_int_eq(r.n, 1);
	ck_assert_str_eq(r.kvs[0].key, "/a");
	ck_assert_str_eq(r.kvs[0].value, "{}");
	ck_assert_int_eq(r.kvs[0].mod_rev, 8);
	ck_assert_int_eq(r.kvs[0].create_rev, 3);
	ck_assert(r.more);
	ck_assert_int_eq(r.count, 5);
	api_codec_result_close(&r);
}
END_TEST

START_TEST(parse_txn)
{
	static const char ok[] = "{\"header\":{\"revision\":\"12\"},\"succeeded\":true,\"responses\":[{\"response_put\":{}}]}";
	static const char failed[] = "{\"header\":{\"revision\":\"12\"},\"responses\":[{\"response_range\":{\"kvs\":"
				     "[{\"key\":\"L2E=\",\"mod_revision\":\"11\",\"value\":\"e30=\"}],\"count\":\"1\"}}]}";
	static const char absent[] = "{\"header\":{\"revision\":\"12\"},\"responses\":[{\"response_range\":{}}]}";
	struct api_kv_result r;

	ck_assert_int_eq(api_codec_parse_response(200, ok, strlen(ok), true, &r), 0);
	ck_assert_int_eq(r.revision, 12);
	api_codec_result_close(&r);
	ck_assert_int_eq(api_codec_parse_response(200, failed, strlen(failed), true, &r), -CM_ECONFLICT);
	ck_assert_int_eq(r.n, 1);
	ck_assert_int_eq(r.kvs[0].mod_rev, 11);
	api_codec_result_close(&r);
	ck_assert_int_eq(api_codec_parse_response(200, absent, strlen(absent), true, &r), -CM_ECONFLICT);
	ck_assert_int_eq(r.n, 0);
	api_codec_result_close(&r);
}
END_TEST

START_TEST(parse_errors)
{
	static const char compacted[] = "{\"error\":\"etcdserver: mvcc: required revision has been compacted\",\"code\":11}";
	static const char future[] = "{\"error\":\"etcdserver: mvcc: required revision is a future revision\",\"code\":11}";
	static const char noleader[] = "{\"error\":\"etcdserver: no leader\",\"code\":14}";
	/* etcd 3.4's answers to a write over --max-request-bytes, and over the gRPC limit above it */
	static const char too_large[] = "{\"error\":\"etcdserver: request is too large\",\"message\":"
					"\"etcdserver: request is too large\",\"code\":3}";
	static const char over_grpc[] = "{\"error\":\"grpc: received message larger than max (2200009 vs. 2097152)\","
					"\"message\":\"grpc: received message larger than max (2200009 vs. 2097152)\",\"code\":8}";
	static const char busy[] = "{\"error\":\"etcdserver: too many requests\",\"code\":8}";
	struct api_kv_result r;

	ck_assert_int_eq(api_codec_parse_response(400, compacted, strlen(compacted), false, &r), -CM_ECOMPACTED);
	ck_assert_int_eq(api_codec_parse_response(400, future, strlen(future), false, &r), -CM_EFUTUREREV);
	ck_assert_int_eq(api_codec_parse_response(503, noleader, strlen(noleader), false, &r), -CM_ENOQUORUM);
	ck_assert_int_eq(api_codec_parse_response(400, too_large, strlen(too_large), true, &r), -CM_ESTORETOOLARGE);
	ck_assert_int_eq(api_codec_parse_response(429, over_grpc, strlen(over_grpc), true, &r), -CM_ESTORETOOLARGE);
	ck_assert_int_eq(api_codec_parse_response(429, busy, strlen(busy), true, &r), -EIO);
	ck_assert_int_eq(api_codec_parse_response(200, "nope", 4, false, &r), -EPROTO);
	ck_assert_int_eq(api_codec_parse_response(502, "<html>", 6, false, &r), -CM_ENOQUORUM);
}
END_TEST

START_TEST(parse_watch)
{
	static const char events[] =
		"{\"result\":{\"header\":{\"revision\":\"7\"},\"events\":[{\"kv\":{\"key\":\"L2E=\",\"create_revision\":\"6\","
		"\"mod_revision\":\"6\",\"value\":\"e30=\"}},{\"type\":\"DELETE\",\"kv\":{\"key\":\"L2E=\",\"mod_revision\":\"7\"},"
		"\"prev_kv\":{\"key\":\"L2E=\",\"mod_revision\":\"6\",\"value\":\"e30=\"}}]}}";
	static const char compacted[] = "{\"result\":{\"header\":{\"revision\":\"9\"},\"compact_revision\":\"5\",\"canceled\":true}}";
	static const char created[] = "{\"result\":{\"header\":{\"revision\":\"9\"},\"created\":true}}";
	struct api_codec_watch_msg m;

	ck_assert_int_eq(api_codec_parse_watch(events, strlen(events), &m), 0);
	ck_assert_int_eq(m.n, 2);
	ck_assert_int_eq(m.events[0].type, 0);
	ck_assert(!m.events[0].has_prev);
	ck_assert_int_eq(m.events[1].type, 1);
	ck_assert(m.events[1].has_prev);
	ck_assert_str_eq(m.events[1].prev.value, "{}");
	api_codec_watch_msg_close(&m);
	ck_assert_int_eq(api_codec_parse_watch(compacted, strlen(compacted), &m), 0);
	ck_assert_int_eq(m.compact_revision, 5);
	ck_assert(m.canceled);
	api_codec_watch_msg_close(&m);
	ck_assert_int_eq(api_codec_parse_watch(created, strlen(created), &m), 0);
	ck_assert(m.created);
	ck_assert_int_eq(m.n, 0);
	api_codec_watch_msg_close(&m);
	ck_assert_int_eq(api_codec_parse_watch("{bad", 4, &m), -EPROTO);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_storage_codec");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, range_request);
	tcase_add_test(tc, prefix_end);
	tcase_add_test(tc, txn_create_with_allocations);
	tcase_add_test(tc, txn_update_and_delete);
	tcase_add_test(tc, parse_range);
	tcase_add_test(tc, parse_txn);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, parse_watch);
	suite_add_tcase(s, tc);
	return check_run(s);
}
