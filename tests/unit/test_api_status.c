/* test_api_status.c: Status objects and their Kubernetes wording; field error lists; the error mapping. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/status.h"
#include "common/err.h"
#include "tests/lib/check_run.h"

/* Asserts that st (consumed) equals the JSON text want, member order included. */
static void EXPECT(cJSON *st, const char *want)
{
	ck_assert_ptr_nonnull(st);
	char *got = cJSON_PrintUnformatted(st);
	cJSON *w = cJSON_Parse(want);
	ck_assert_ptr_nonnull(w);
	char *wants = cJSON_PrintUnformatted(w);
	ck_assert_str_eq(got, wants);
	free(got);
	free(wants);
	cJSON_Delete(w);
	cJSON_Delete(st);
}

static const char *msg(const cJSON *st)
{
	return cJSON_GetObjectItem(st, "message")->valuestring;
}

START_TEST(not_found)
{
	EXPECT(api_status_not_found("", "pods", "web"),
	       "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	       "\"message\":\"pods \\\"web\\\" not found\",\"reason\":\"NotFound\","
	       "\"details\":{\"name\":\"web\",\"kind\":\"pods\"},\"code\":404}");
	EXPECT(api_status_not_found("apps", "deployments", "web"),
	       "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	       "\"message\":\"deployments.apps \\\"web\\\" not found\",\"reason\":\"NotFound\","
	       "\"details\":{\"name\":\"web\",\"group\":\"apps\",\"kind\":\"deployments\"},\"code\":404}");
	EXPECT(api_status_not_found(NULL, NULL, NULL),
	       "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	       "\"message\":\"the server could not find the requested resource\",\"reason\":\"NotFound\","
	       "\"details\":{},\"code\":404}");
}
END_TEST

START_TEST(already_exists_and_conflict)
{
	cJSON *s = api_status_already_exists(NULL, "pods", "web");
	ck_assert_str_eq(msg(s), "pods \"web\" already exists");
	ck_assert_int_eq(api_status_code(s), 409);
	ck_assert_str_eq(cJSON_GetObjectItem(s, "reason")->valuestring, "AlreadyExists");
	cJSON_Delete(s);
	s = api_status_conflict("", "pods", "web", NULL);
	ck_assert_str_eq(msg(s), "Operation cannot be fulfilled on pods \"web\": the object has been modified; "
				 "please apply your changes to the latest version and try again");
	ck_assert_str_eq(cJSON_GetObjectItem(s, "reason")->valuestring, "Conflict");
	ck_assert_int_eq(api_status_code(s), 409);
	cJSON_Delete(s);
	s = api_status_conflict("apps", "deployments", "d", "precondition failed");
	ck_assert_str_eq(msg(s), "Operation cannot be fulfilled on deployments.apps \"d\": precondition failed");
	cJSON_Delete(s);
}
END_TEST

START_TEST(invalid)
{
	struct api_ferrs l;
	api_ferrs_init(&l);
	api_ferr_invalid(&l, "metadata.name", "Bad_Name",
			 "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters");
	EXPECT(api_status_invalid("", "Pod", "Bad_Name", &l),
	       "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	       "\"message\":\"Pod \\\"Bad_Name\\\" is invalid: metadata.name: Invalid value: \\\"Bad_Name\\\": a "
	       "lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters\","
	       "\"reason\":\"Invalid\",\"details\":{\"name\":\"Bad_Name\",\"kind\":\"Pod\",\"causes\":["
	       "{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid value: \\\"Bad_Name\\\": a lowercase RFC "
	       "1123 subdomain must consist of lower case alphanumeric characters\",\"field\":\"metadata.name\"}]},"
	       "\"code\":422}");
	api_ferr_required(&l, "spec.containers", NULL);
	api_ferr_required(&l, "spec.containers", NULL); /* repeated messages print once */
	cJSON *s = api_status_invalid("apps", "Deployment", "d", &l);
	ck_assert_str_eq(msg(s), "Deployment.apps \"d\" is invalid: [metadata.name: Invalid value: \"Bad_Name\": a "
				 "lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
				 "spec.containers: Required value]");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "details"), "causes")), 3);
	cJSON_Delete(s);
	api_ferrs_close(&l);
}
END_TEST

static void FERR(void (*add)(struct api_ferrs *), const char *want)
{
	struct api_ferrs l;
	struct cm_buf b = CM_BUF_INIT;
	api_ferrs_init(&l);
	add(&l);
	ck_assert_int_eq(api_ferrs_status(&l), 0);
	ck_assert_int_eq(api_ferrs_format(&l, &b), 0);
	ck_assert_str_eq(b.data, want);
	cm_buf_close(&b);
	api_ferrs_close(&l);
}

static void add_ns(struct api_ferrs *l)
{
	static const char *const v[] = {"Always", "OnFailure", "Never", NULL};
	api_ferr_not_supported(l, "spec.restartPolicy", "Sometimes", v);
}
static void add_dup(struct api_ferrs *l) { api_ferr_duplicate(l, "spec.containers[1].name", "web"); }
static void add_long(struct api_ferrs *l) { api_ferr_too_long(l, "metadata.annotations", 262144); }
static void add_forbidden(struct api_ferrs *l) { api_ferr_forbidden(l, "spec", "pod updates may not change fields"); }
static void add_int(struct api_ferrs *l) { api_ferr_invalid_int(l, "spec.replicas", -1, "must be greater than or equal to 0"); }
static void add_many(struct api_ferrs *l) { api_ferr_too_many(l, "spec.x", 5, 3); }
static void add_quote(struct api_ferrs *l) { api_ferr_invalid(l, "f", "a\"b\\c\n\x01", "bad"); }

START_TEST(field_error_wording)
{
	FERR(add_ns, "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
		     "\"OnFailure\", \"Never\"");
	FERR(add_dup, "spec.containers[1].name: Duplicate value: \"web\"");
	FERR(add_long, "metadata.annotations: Too long: must have at most 262144 bytes");
	FERR(add_forbidden, "spec: Forbidden: pod updates may not change fields");
	FERR(add_int, "spec.replicas: Invalid value: -1: must be greater than or equal to 0");
	FERR(add_many, "spec.x: Too many: 5: must have at most 3 items");
	FERR(add_quote, "f: Invalid value: \"a\\\"b\\\\c\\n\\x01\": bad");
}
END_TEST

START_TEST(other_reasons)
{
	struct {
		cJSON *s;
		int code;
		const char *reason, *message;
	} c[] = {
		{api_status_bad_request("bad"), 400, "BadRequest", "bad"},
		{api_status_method_not_allowed(NULL, NULL, NULL), 405, "MethodNotAllowed",
		 "the server does not allow this method on the requested resource"},
		{api_status_method_not_allowed("", "pods", "create"), 405, "MethodNotAllowed",
		 "create is not supported on resources of kind \"pods\""},
		{api_status_gone("gone"), 410, "Gone", "gone"},
		{api_status_expired("too old resource version: 5 (10)"), 410, "Expired",
		 "too old resource version: 5 (10)"},
		{api_status_forbidden("", "pods", "web", "no"), 403, "Forbidden", "pods \"web\" is forbidden: no"},
		{api_status_forbidden("", "pods", NULL, "no"), 403, "Forbidden", "pods is forbidden: no"},
		{api_status_unauthorized(NULL), 401, "Unauthorized", "Unauthorized"},
		{api_status_too_large(3145728), 413, "RequestEntityTooLarge",
		 "Request entity too large: limit is 3145728"},
		{api_status_unsupported_media_type("application/json-patch+json"), 415, "UnsupportedMediaType",
		 "the body of the request was in an unknown format - accepted media types include: "
		 "application/json-patch+json"},
		{api_status_too_many_requests("slow down", 2), 429, "TooManyRequests", "slow down"},
		{api_status_internal("boom"), 500, "InternalError", "Internal error occurred: boom"},
		{api_status_unavailable("no leader"), 503, "ServiceUnavailable", "no leader"},
		{api_status_timeout("x", 1), 504, "Timeout", "Timeout: x"},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_ptr_nonnull(c[i].s);
		ck_assert_int_eq(api_status_code(c[i].s), c[i].code);
		ck_assert_str_eq(cJSON_GetObjectItem(c[i].s, "reason")->valuestring, c[i].reason);
		ck_assert_str_eq(msg(c[i].s), c[i].message);
		ck_assert_str_eq(cJSON_GetObjectItem(c[i].s, "status")->valuestring, "Failure");
		ck_assert_str_eq(cJSON_GetObjectItem(c[i].s, "kind")->valuestring, "Status");
		cJSON_Delete(c[i].s);
	}
	cJSON *s = api_status_too_many_requests("x", 3);
	ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "details"), "retryAfterSeconds")->valueint, 3);
	cJSON_Delete(s);
	s = api_status_internal("boom");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "details"),
									   "causes"), 0), "message")->valuestring, "boom");
	cJSON_Delete(s);
}
END_TEST

START_TEST(success)
{
	EXPECT(api_status_success("", "pods", "web", "u-1"),
	       "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\","
	       "\"details\":{\"name\":\"web\",\"kind\":\"pods\",\"uid\":\"u-1\"},\"code\":200}");
}
END_TEST

START_TEST(from_err)
{
	struct {
		int err, code;
		const char *reason;
	} c[] = {
		{-ENOENT, 404, "NotFound"},         {-EEXIST, 409, "AlreadyExists"},
		{-CM_ECONFLICT, 409, "Conflict"},   {-CM_ECOMPACTED, 410, "Expired"},
		{-CM_EFUTUREREV, 504, "Timeout"},   {-EINVAL, 400, "BadRequest"},
		{-CM_EBADREQUEST, 400, "BadRequest"}, {-CM_ETOOLARGE, 413, "RequestEntityTooLarge"},
		{-EACCES, 403, "Forbidden"},        {-CM_ENOTLEADER, 503, "ServiceUnavailable"},
		{-CM_ENOQUORUM, 503, "ServiceUnavailable"}, {-ETIMEDOUT, 504, "Timeout"},
		{-ENOMEM, 500, "InternalError"},    {-EIO, 500, "InternalError"},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		cJSON *s = api_status_from_err(c[i].err, "", "pods", "web", NULL);
		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(api_status_code(s), c[i].code);
		ck_assert_str_eq(cJSON_GetObjectItem(s, "reason")->valuestring, c[i].reason);
		cJSON_Delete(s);
	}
	/* etcd's refusal of a large object: kube-apiserver's 500 with etcd's words and no reason */
	cJSON *s = api_status_from_err(-CM_ESTORETOOLARGE, "", "configmaps", "big", NULL);
	ck_assert_int_eq(api_status_code(s), 500);
	ck_assert_str_eq(msg(s), "etcdserver: request is too large");
	ck_assert_ptr_null(cJSON_GetObjectItem(s, "reason"));
	ck_assert_ptr_null(cJSON_GetObjectItem(s, "details"));
	cJSON_Delete(s);
	s = api_status_from_err(-ENOENT, "", "pods", "web", NULL);
	ck_assert_str_eq(msg(s), "pods \"web\" not found");
	cJSON_Delete(s);
	s = api_status_from_err(-CM_EBADREQUEST, "", "pods", NULL, "field label not supported: x");
	ck_assert_str_eq(msg(s), "field label not supported: x");
	cJSON_Delete(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_status");
	TCase *tc = tcase_create("status");
	tcase_add_test(tc, not_found);
	tcase_add_test(tc, already_exists_and_conflict);
	tcase_add_test(tc, invalid);
	tcase_add_test(tc, field_error_wording);
	tcase_add_test(tc, other_reasons);
	tcase_add_test(tc, success);
	tcase_add_test(tc, from_err);
	suite_add_tcase(s, tc);
	return check_run(s);
}
