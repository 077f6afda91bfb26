/* test_api_protobuf.c: kubectl's protobuf bodies (as captured from kubectl 1.32) decode to the JSON they mean. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/protobuf.h"
#include "tests/lib/check_run.h"

/* `kubectl create namespace x`, byte for byte */
static const unsigned char ns_x[] = {
	0x6b, 0x38, 0x73, 0x00, 0x0a, 0x0f, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x09, 0x4e, 0x61, 0x6d, 0x65, 0x73,
	0x70, 0x61, 0x63, 0x65, 0x12, 0x19, 0x0a, 0x11, 0x0a, 0x01, 0x78, 0x12, 0x00, 0x1a, 0x00, 0x22, 0x00,
	0x2a, 0x00, 0x32, 0x00, 0x38, 0x00, 0x42, 0x00, 0x12, 0x00, 0x1a, 0x02, 0x0a, 0x00, 0x1a, 0x00, 0x22, 0x00};
/* `kubectl create configmap cm1 --from-literal=a=b` */
static const unsigned char cm1[] = {
	0x6b, 0x38, 0x73, 0x00, 0x0a, 0x0f, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x09, 0x43, 0x6f, 0x6e, 0x66, 0x69,
	0x67, 0x4d, 0x61, 0x70, 0x12, 0x1d, 0x0a, 0x13, 0x0a, 0x03, 0x63, 0x6d, 0x31, 0x12, 0x00, 0x1a, 0x00,
	0x22, 0x00, 0x2a, 0x00, 0x32, 0x00, 0x38, 0x00, 0x42, 0x00, 0x12, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01,
	0x62, 0x1a, 0x00, 0x22, 0x00};

/* Wraps raw (the object's message) in the envelope with apiVersion av and kind; returns its length. */
static size_t envelope(const char *av, const char *kind, const unsigned char *raw, size_t rawlen, unsigned char *out)
{
	size_t n = 0, al = strlen(av), kl = strlen(kind);
	memcpy(out, "k8s", 4);
	n = 4;
	out[n++] = 0x0a;
	out[n++] = (unsigned char)(al + kl + 4);
	out[n++] = 0x0a;
	out[n++] = (unsigned char)al;
	memcpy(out + n, av, al), n += al;
	out[n++] = 0x12;
	out[n++] = (unsigned char)kl;
	memcpy(out + n, kind, kl), n += kl;
	out[n++] = 0x12;
	out[n++] = (unsigned char)rawlen;
	memcpy(out + n, raw, rawlen), n += rawlen;
	return n;
}

/* Decodes body and checks the compact JSON it gives. */
static void DECODES(const void *body, size_t len, const char *want)
{
	cJSON *j = NULL;
	struct cm_buf err = CM_BUF_INIT;
	int rc = api_protobuf_decode(body, len, &j, &err);
	ck_assert_msg(rc == 0, "decode failed: %d %s", rc, err.data ? err.data : "");
	char *got = cJSON_PrintUnformatted(j);
	ck_assert_str_eq(got, want);
	free(got);
	cJSON_Delete(j);
	cm_buf_close(&err);
}

/* Checks that body fails with -EINVAL, leaves out alone, and says why (containing what). */
static void FAILS(const void *body, size_t len, const char *what)
{
	cJSON *j = (cJSON *)0x1;
	struct cm_buf err = CM_BUF_INIT;
	ck_assert_int_eq(api_protobuf_decode(body, len, &j, &err), -EINVAL);
	ck_assert_ptr_eq(j, (cJSON *)0x1);
	ck_assert_ptr_nonnull(err.data);
	ck_assert_msg(strstr(err.data, what), "message %s lacks %s", err.data, what);
	cm_buf_close(&err);
}

START_TEST(kubectl_namespace)
{
	DECODES(ns_x, sizeof(ns_x), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"x\"}}");
}
END_TEST

START_TEST(kubectl_configmap)
{
	DECODES(cm1, sizeof(cm1),
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm1\"},\"data\":{\"a\":\"b\"}}");
}
END_TEST

START_TEST(secret_bytes_are_base64)
{
	static const unsigned char raw[] = {0x0a, 0x03, 0x0a, 0x01, 's', 0x12, 0x07, 0x0a, 0x01, 'k', 0x12, 0x02,
					    0x00, 0xff, 0x1a, 0x06, 'O', 'p', 'a', 'q', 'u', 'e'};
	unsigned char body[128];
	size_t n = envelope("v1", "Secret", raw, sizeof(raw), body);
	DECODES(body, n, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},"
			 "\"data\":{\"k\":\"AP8=\"},\"type\":\"Opaque\"}");
}
END_TEST

START_TEST(deployment_keeps_zero_replicas_and_template)
{
	/* metadata{name d}, spec{replicas 0, template{spec{containers[{name c, image i, resources{}}]}}} */
	static const unsigned char raw[] = {0x0a, 0x03, 0x0a, 0x01, 'd', 0x12, 0x10, 0x08, 0x00, 0x1a, 0x0c, 0x12,
					    0x0a, 0x12, 0x08, 0x0a, 0x01, 'c', 0x12, 0x01, 'i', 0x42, 0x00};
	unsigned char body[128];
	size_t n = envelope("apps/v1", "Deployment", raw, sizeof(raw), body);
	DECODES(body, n, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},"
			 "\"spec\":{\"replicas\":0,\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\","
			 "\"resources\":{}}]}}}}");
}
END_TEST

START_TEST(token_request_keeps_bound_object)
{
	/* metadata{}, spec{boundObjectRef{kind Pod, apiVersion v1, name p}, expirationSeconds 600}, status{} */
	static const unsigned char raw[] = {0x0a, 0x00, 0x12, 0x11, 0x1a, 0x0c, 0x0a, 0x03, 'P', 'o', 'd', 0x12, 0x02,
					    'v', '1', 0x1a, 0x01, 'p', 0x20, 0xd8, 0x04, 0x1a, 0x00};
	unsigned char body[128];
	size_t n = envelope("authentication.k8s.io/v1", "TokenRequest", raw, sizeof(raw), body);
	DECODES(body, n, "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\","
			 "\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"p\"},"
			 "\"expirationSeconds\":600}}");
}
END_TEST

START_TEST(bad_bodies)
{
	FAILS("{\"kind\":\"Namespace\"}", 20, "envelope");
	FAILS(ns_x, sizeof(ns_x) - 10, "malformed");
	static const unsigned char unknown_field[] = {0x0a, 0x03, 0x0a, 0x01, 'c', 0x4a, 0x02, 'z', 'z'};
	unsigned char body[128];
	size_t n = envelope("v1", "ConfigMap", unknown_field, sizeof(unknown_field), body);
	FAILS(body, n, "field 9 of ConfigMap");
	n = envelope("v1", "Pod", unknown_field, sizeof(unknown_field), body);
	FAILS(body, n, "v1 Pod are not supported");
	static const unsigned char wrong_wire[] = {0x0a, 0x03, 0x08, 0x05, 0x00};
	n = envelope("v1", "Namespace", wrong_wire, 5, body);
	FAILS(body, n, "");
}
END_TEST

/* Every truncation and every single-byte change of a real body decodes or fails cleanly (run under ASan). */
START_TEST(damaged_bodies_never_crash)
{
	unsigned char b[sizeof(cm1)];
	for (size_t n = 0; n <= sizeof(cm1); n++) {
		for (int pos = -1; pos < (int)n; pos++) {
			for (int v = 0; v < 256; v += pos < 0 ? 256 : 37) {
				memcpy(b, cm1, n);
				if (pos >= 0)
					b[pos] = (unsigned char)v;
				cJSON *j = NULL;
				struct cm_buf err = CM_BUF_INIT;
				int rc = api_protobuf_decode(b, n, &j, &err);
				ck_assert(rc == 0 || rc == -EINVAL);
				ck_assert(rc == 0 ? j != NULL : j == NULL);
				cJSON_Delete(j);
				cm_buf_close(&err);
			}
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_protobuf");
	TCase *tc = tcase_create("protobuf");
	tcase_add_test(tc, kubectl_namespace);
	tcase_add_test(tc, kubectl_configmap);
	tcase_add_test(tc, secret_bytes_are_base64);
	tcase_add_test(tc, token_request_keeps_bound_object);
	tcase_add_test(tc, deployment_keeps_zero_replicas_and_template);
	tcase_add_test(tc, bad_bodies);
	tcase_add_test(tc, damaged_bodies_never_crash);
	suite_add_tcase(s, tc);
	return check_run(s);
}
