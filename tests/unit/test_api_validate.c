/* test_api_validate.c: names, label keys and values, annotations, object metadata, generateName. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/validate.h"
#include "tests/lib/check_run.h"

/* Runs fn-style checks through a list and compares the aggregate message with want ("" for none). */
static struct api_ferrs L;

static void setup(void)
{
	api_ferrs_init(&L);
}

static void teardown(void)
{
	api_ferrs_close(&L);
}

static void EXPECT(const char *want)
{
	struct cm_buf b = CM_BUF_INIT;
	ck_assert_int_eq(api_ferrs_status(&L), 0);
	ck_assert_int_eq(api_ferrs_format(&L, &b), 0);
	ck_assert_str_eq(b.data ? b.data : "", want);
	cm_buf_close(&b);
	api_ferrs_close(&L);
	api_ferrs_init(&L);
}

#define SUBDOMAIN_MSG                                                                                           \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must " \
	"start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "         \
	"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

START_TEST(subdomain_names)
{
	const char *ok[] = {"web", "web-1", "a.b.c", "0", "x123", "my.app-2"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		api_validate_name(&L, "metadata.name", ok[i], API_NAME_DNS1123_SUBDOMAIN, false);
		ck_assert(api_name_ok(ok[i], API_NAME_DNS1123_SUBDOMAIN));
		EXPECT("");
	}
	api_validate_name(&L, "metadata.name", "Bad_Name", API_NAME_DNS1123_SUBDOMAIN, false);
	EXPECT("metadata.name: Invalid value: \"Bad_Name\": " SUBDOMAIN_MSG);
	const char *bad[] = {"", "-a", "a-", "a..b", ".a", "a.", "A", "a_b", "a/b", "a b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!api_name_ok(bad[i], API_NAME_DNS1123_SUBDOMAIN), "%s", bad[i]);
	char longname[300];
	memset(longname, 'a', 254);
	longname[254] = '\0';
	api_validate_name(&L, "metadata.name", longname, API_NAME_DNS1123_SUBDOMAIN, false);
	ck_assert_int_eq(L.n, 1);
	ck_assert_str_eq(L.v[0].detail, "must be no more than 253 characters");
	api_ferrs_close(&L);
	api_ferrs_init(&L);
	longname[253] = '\0';
	ck_assert(api_name_ok(longname, API_NAME_DNS1123_SUBDOMAIN)); /* no per-label limit in a subdomain */
}
END_TEST

START_TEST(label_names)
{
	ck_assert(api_name_ok("kube-system", API_NAME_DNS1123_LABEL));
	ck_assert(api_name_ok("1abc", API_NAME_DNS1123_LABEL));
	ck_assert(!api_name_ok("1abc", API_NAME_DNS1035_LABEL));
	ck_assert(api_name_ok("my-svc", API_NAME_DNS1035_LABEL));
	api_validate_name(&L, "metadata.name", "a.b", API_NAME_DNS1123_LABEL, false);
	EXPECT("metadata.name: Invalid value: \"a.b\": must not contain dots");
	api_validate_name(&L, "metadata.name", "Ns", API_NAME_DNS1123_LABEL, false);
	EXPECT("metadata.name: Invalid value: \"Ns\": a lowercase RFC 1123 label must consist of lower case "
	       "alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. "
	       "'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
	api_validate_name(&L, "metadata.name", "1svc", API_NAME_DNS1035_LABEL, false);
	EXPECT("metadata.name: Invalid value: \"1svc\": a DNS-1035 label must consist of lower case alphanumeric "
	       "characters or '-', start with an alphabetic character, and end with an alphanumeric character "
	       "(e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
	char n64[65];
	memset(n64, 'a', 64);
	n64[64] = '\0';
	api_validate_name(&L, "metadata.name", n64, API_NAME_DNS1123_LABEL, false);
	ck_assert_int_eq(L.n, 1);
	ck_assert_str_eq(L.v[0].detail, "must be no more than 63 characters");
}
END_TEST

START_TEST(label_keys_and_values)
{
	const char *ok[] = {"app", "app.kubernetes.io/name", "A_b.c-D", "example.com/x"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		api_validate_qualified_name(&L, "metadata.labels", ok[i]);
		EXPECT("");
	}
	api_validate_qualified_name(&L, "metadata.labels", "-app");
	EXPECT("metadata.labels: Invalid value: \"-app\": name part must consist of alphanumeric characters, '-', "
	       "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
	       "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
	api_validate_qualified_name(&L, "k", "a/b/c");
	ck_assert_int_eq(L.n, 1);
	ck_assert_ptr_nonnull(strstr(L.v[0].detail, "a qualified name must consist of"));
	ck_assert_ptr_nonnull(strstr(L.v[0].detail, "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
	api_ferrs_close(&L);
	api_ferrs_init(&L);
	api_validate_qualified_name(&L, "k", "/x");
	EXPECT("k: Invalid value: \"/x\": prefix part must be non-empty");
	api_validate_qualified_name(&L, "k", "Bad_Prefix/x");
	ck_assert_int_eq(L.n, 1);
	ck_assert_ptr_nonnull(strstr(L.v[0].detail, "prefix part a lowercase RFC 1123 subdomain"));
	api_ferrs_close(&L);
	api_ferrs_init(&L);
	api_validate_qualified_name(&L, "k", "p/");
	ck_assert_int_eq(L.n, 2); /* empty, and so not matching the pattern either */
	ck_assert_str_eq(L.v[0].detail, "name part must be non-empty");
	api_ferrs_close(&L);
	api_ferrs_init(&L);
	api_validate_label_value(&L, "metadata.labels[app]", "");
	api_validate_label_value(&L, "metadata.labels[app]", "My_value.1");
	EXPECT("");
	api_validate_label_value(&L, "metadata.labels[app]", "bad value");
	EXPECT("metadata.labels[app]: Invalid value: \"bad value\": a valid label must be an empty string or consist "
	       "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
	       "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
	       "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
}
END_TEST

START_TEST(labels_and_annotations)
{
	cJSON *labels = cJSON_Parse("{\"app\":\"web\",\"bad key\":\"x\",\"tier\":\"-x\",\"n\":1}");
	api_validate_labels(&L, "metadata.labels", labels);
	ck_assert_int_eq(L.n, 3);
	ck_assert_str_eq(L.v[0].field, "metadata.labels");
	ck_assert_str_eq(L.v[0].value, "\"bad key\"");
	ck_assert_str_eq(L.v[1].field, "metadata.labels[tier]");
	ck_assert_str_eq(L.v[2].field, "metadata.labels[n]");
	cJSON_Delete(labels);
	api_ferrs_close(&L);
	api_ferrs_init(&L);
	cJSON *ann = cJSON_Parse("{\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\",\"Capital\":\"ok\"}");
	api_validate_annotations(&L, "metadata.annotations", ann);
	EXPECT("");
	char *big = malloc(API_ANNOTATIONS_MAX + 1);
	memset(big, 'x', API_ANNOTATIONS_MAX);
	big[API_ANNOTATIONS_MAX] = '\0';
	cJSON_AddStringToObject(ann, "big", big);
	free(big);
	api_validate_annotations(&L, "metadata.annotations", ann);
	EXPECT("metadata.annotations: Too long: must have at most 262144 bytes");
	cJSON_AddStringToObject(ann, "a b", "x");
	api_validate_annotations(&L, "metadata.annotations", ann);
	ck_assert_int_eq(L.n, 2);
	ck_assert_str_eq(L.v[0].value, "\"a b\"");
	cJSON_Delete(ann);
}
END_TEST

START_TEST(object_meta)
{
	cJSON *m = cJSON_Parse("{\"name\":\"web\",\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}}");
	api_validate_object_meta(&L, m, true, API_NAME_DNS1123_SUBDOMAIN);
	EXPECT("");
	api_validate_object_meta(&L, m, false, API_NAME_DNS1123_SUBDOMAIN);
	EXPECT("metadata.namespace: Forbidden: not allowed on this type");
	cJSON_Delete(m);
	m = cJSON_Parse("{}");
	api_validate_object_meta(&L, m, true, API_NAME_DNS1123_SUBDOMAIN);
	EXPECT("[metadata.name: Required value: name or generateName is required, metadata.namespace: Required value]");
	cJSON_Delete(m);
	m = cJSON_Parse("{\"generateName\":\"web-\",\"namespace\":\"Bad.NS\"}");
	api_validate_object_meta(&L, m, true, API_NAME_DNS1123_SUBDOMAIN);
	ck_assert_int_eq(L.n, 1);
	ck_assert_str_eq(L.v[0].field, "metadata.namespace");
	cJSON_Delete(m);
	api_ferrs_close(&L);
	api_ferrs_init(&L);
	m = cJSON_Parse("{\"generateName\":\"Web-\"}");
	api_validate_object_meta(&L, m, false, API_NAME_DNS1123_SUBDOMAIN);
	ck_assert_int_eq(L.n, 1);
	ck_assert_str_eq(L.v[0].field, "metadata.generateName");
	ck_assert_str_eq(L.v[0].value, "\"Web-\"");
	cJSON_Delete(m);
}
END_TEST

START_TEST(generate_name)
{
	char *a = NULL, *b = NULL;
	ck_assert_int_eq(api_generate_name("web-", 0, &a), 0);
	ck_assert_str_eq(a, "web-bbbbb");
	ck_assert_int_eq(api_generate_name("web-", 123456789, &b), 0);
	ck_assert_int_eq(strlen(b), 9);
	ck_assert_str_ne(a, b);
	ck_assert(api_name_ok(b, API_NAME_DNS1123_SUBDOMAIN));
	for (const char *c = b + 4; *c; c++)
		ck_assert_ptr_nonnull(strchr("bcdfghjklmnpqrstvwxz2456789", *c));
	free(a), free(b);
	char base[100];
	memset(base, 'x', 99);
	base[99] = '\0';
	ck_assert_int_eq(api_generate_name(base, 42, &a), 0);
	ck_assert_int_eq(strlen(a), 63);
	free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_validate");
	TCase *tc = tcase_create("validate");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, subdomain_names);
	tcase_add_test(tc, label_names);
	tcase_add_test(tc, label_keys_and_values);
	tcase_add_test(tc, labels_and_annotations);
	tcase_add_test(tc, object_meta);
	tcase_add_test(tc, generate_name);
	suite_add_tcase(s, tc);
	return check_run(s);
}
