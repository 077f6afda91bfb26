/* test_kl_satoken.c: the TokenRequest the kubelet sends for a projected token, its deps key, and when it is renewed. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "common/json.h"
#include "common/timeutil.h"
#include "kubelet/worker.h"
#include "tests/lib/check_run.h"

static struct kl_pod_worker w;
static struct cm_buf path, body;
static cJSON *sent;

static cJSON *parse(const char *text)
{
	cJSON *j = NULL;

	ck_assert_int_eq(cm_json_parse(text, strlen(text), &j, NULL), 0);
	return j;
}

static void setup(void)
{
	memset(&w, 0, sizeof(w));
	w.ns = "ns1";
	w.name = "web";
	w.uid = "u-1";
	w.pod = parse("{\"spec\":{\"serviceAccountName\":\"builder\"}}");
	sent = NULL;
}

static void teardown(void)
{
	cJSON_Delete(w.pod);
	cJSON_Delete(sent);
	cm_buf_close(&path);
	cm_buf_close(&body);
}

START_TEST(test_request_names_the_service_account_and_binds_the_pod)
{
	cJSON *src = parse("{\"audience\":\"vault\",\"expirationSeconds\":7200}");

	ck_assert_int_eq(kl_token_request(&w, src, &path, &body), 0);
	ck_assert_str_eq(path.data, "/api/v1/namespaces/ns1/serviceaccounts/builder/token");
	sent = parse(body.data);
	ck_assert_str_eq(cm_json_str_or(sent, "kind", ""), "TokenRequest");
	ck_assert_int_eq(cm_json_int64_or(sent, "spec.expirationSeconds", 0), 7200);
	ck_assert_str_eq(cJSON_GetArrayItem(cm_json_get(sent, "spec.audiences"), 0)->valuestring, "vault");
	ck_assert_str_eq(cm_json_str_or(sent, "spec.boundObjectRef.kind", ""), "Pod");
	ck_assert_str_eq(cm_json_str_or(sent, "spec.boundObjectRef.name", ""), "web");
	ck_assert_str_eq(cm_json_str_or(sent, "spec.boundObjectRef.uid", ""), "u-1");
	cJSON_Delete(src);
}
END_TEST

START_TEST(test_default_service_account_and_lifetime)
{
	cJSON *src = parse("{}");

	cJSON_Delete(w.pod);
	w.pod = parse("{\"spec\":{}}");
	ck_assert_int_eq(kl_token_request(&w, src, &path, &body), 0);
	ck_assert_str_eq(path.data, "/api/v1/namespaces/ns1/serviceaccounts/default/token");
	sent = parse(body.data);
	ck_assert_int_eq(cm_json_int64_or(sent, "spec.expirationSeconds", 0), 3600);
	ck_assert_ptr_null(cm_json_get(sent, "spec.audiences"));
	cJSON_Delete(src);
}
END_TEST

START_TEST(test_key_keeps_inside_the_volume)
{
	cJSON *src = parse("{\"path\":\"token\"}"), *bad = parse("{\"path\":\"../x\"}");

	ck_assert_int_eq(kl_token_key("kube-api-access-1", src, &path), 0);
	ck_assert_str_eq(path.data, "tokens/kube-api-access-1/token");
	ck_assert_int_eq(kl_token_key("v", bad, &body), -EINVAL);
	cJSON_Delete(src);
	cJSON_Delete(bad);
}
END_TEST

/* A token answer expiring in ttl_s seconds. */
static cJSON *answer(int64_t ttl_s)
{
	char ts[CM_RFC3339_LEN], text[256];

	cm_time_format(cm_time_wall_ms() + ttl_s * 1000, 0, ts);
	snprintf(text, sizeof(text), "{\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"%s\"}}", ts);
	return parse(text);
}

START_TEST(test_renewed_at_80_percent_or_daily)
{
	int64_t now = cm_time_wall_ms();

	sent = answer(3600);
	kl_token_stamp(&w, sent);
	ck_assert_int_ge(w.token_refresh_at, now + 2870 * 1000);
	ck_assert_int_le(w.token_refresh_at, now + 2890 * 1000);
	cJSON_Delete(sent);
	sent = answer(48 * 3600); /* a later one does not push the earlier renewal back */
	kl_token_stamp(&w, sent);
	ck_assert_int_le(w.token_refresh_at, now + 2890 * 1000);
	w.token_refresh_at = 0;
	kl_token_stamp(&w, sent);
	ck_assert_int_le(w.token_refresh_at, now + 24LL * 3600 * 1000 + 1000);
	ck_assert_int_ge(w.token_refresh_at, now + 24LL * 3600 * 1000 - 1000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kl_satoken");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_request_names_the_service_account_and_binds_the_pod);
	tcase_add_test(tc, test_default_service_account_and_lifetime);
	tcase_add_test(tc, test_key_keeps_inside_the_volume);
	tcase_add_test(tc, test_renewed_at_80_percent_or_daily);
	suite_add_tcase(s, tc);
	return check_run(s);
}
