/* test_kl_envvars.c: the Service environment variables a container gets, and explicit env winning over them. */
#include <check.h>
#include <string.h>

#include "common/json.h"
#include "kubelet/envvars.h"
#include "tests/lib/check_run.h"

static cJSON *svcs[8], *strs;
static size_t n_svcs;

static void svc(const char *text)
{
	ck_assert_int_eq(cm_json_parse(text, strlen(text), &svcs[n_svcs], NULL), 0);
	n_svcs++;
}

static void setup(void)
{
	strs = cJSON_CreateArray();
	n_svcs = 0;
	svc("{\"metadata\":{\"name\":\"kubernetes\",\"namespace\":\"default\"},"
	    "\"spec\":{\"clusterIP\":\"10.96.0.1\",\"ports\":[{\"name\":\"https\",\"port\":443,\"protocol\":\"TCP\"}]}}");
	svc("{\"metadata\":{\"name\":\"my-svc\",\"namespace\":\"ns1\"},"
	    "\"spec\":{\"clusterIP\":\"10.96.0.7\",\"ports\":[{\"name\":\"http-alt\",\"port\":8080},"
	    "{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]}}");
	svc("{\"metadata\":{\"name\":\"headless\",\"namespace\":\"ns1\"},"
	    "\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":80}]}}");
	svc("{\"metadata\":{\"name\":\"other\",\"namespace\":\"ns2\"},"
	    "\"spec\":{\"clusterIP\":\"10.96.0.9\",\"ports\":[{\"port\":80}]}}");
}

static void teardown(void)
{
	for (size_t i = 0; i < n_svcs; i++)
		cJSON_Delete(svcs[i]);
	cJSON_Delete(strs);
}

/* The value of name in strs, or NULL; fails on a name given twice. */
static const char *value(const char *name)
{
	const char *found = NULL;

	for (int i = 0; i + 1 < cJSON_GetArraySize(strs); i += 2)
		if (!strcmp(cJSON_GetArrayItem(strs, i)->valuestring, name)) {
			ck_assert_msg(!found, "%s set twice", name);
			found = cJSON_GetArrayItem(strs, i + 1)->valuestring;
		}
	return found;
}

#define HAS(name, val) ck_assert_str_eq(value(name) ? value(name) : "(unset)", val)
#define HAS_NOT(name) ck_assert_msg(!value(name), "%s is set", name)

START_TEST(test_links_of_the_pods_namespace)
{
	ck_assert_int_eq(kl_envvars_services((const cJSON *const *)svcs, n_svcs, "ns1", true, strs), 0);
	HAS("MY_SVC_SERVICE_HOST", "10.96.0.7");
	HAS("MY_SVC_SERVICE_PORT", "8080");
	HAS("MY_SVC_SERVICE_PORT_HTTP_ALT", "8080");
	HAS("MY_SVC_SERVICE_PORT_DNS", "53");
	HAS("MY_SVC_PORT", "tcp://10.96.0.7:8080");
	HAS("MY_SVC_PORT_8080_TCP", "tcp://10.96.0.7:8080");
	HAS("MY_SVC_PORT_8080_TCP_PROTO", "tcp");
	HAS("MY_SVC_PORT_8080_TCP_PORT", "8080");
	HAS("MY_SVC_PORT_8080_TCP_ADDR", "10.96.0.7");
	HAS("MY_SVC_PORT_53_UDP", "udp://10.96.0.7:53");
	HAS("MY_SVC_PORT_53_UDP_PROTO", "udp");
	HAS_NOT("HEADLESS_SERVICE_HOST");
	HAS_NOT("OTHER_SERVICE_HOST");
	HAS("KUBERNETES_SERVICE_HOST", "10.96.0.1");
	HAS("KUBERNETES_SERVICE_PORT", "443");
	HAS("KUBERNETES_SERVICE_PORT_HTTPS", "443");
	HAS("KUBERNETES_PORT", "tcp://10.96.0.1:443");
	HAS("KUBERNETES_PORT_443_TCP", "tcp://10.96.0.1:443");
	HAS("KUBERNETES_PORT_443_TCP_ADDR", "10.96.0.1");
	ck_assert_int_eq(cJSON_GetArraySize(strs), 2 * (13 + 8));
}
END_TEST

START_TEST(test_without_links_only_the_master_service)
{
	ck_assert_int_eq(kl_envvars_services((const cJSON *const *)svcs, n_svcs, "ns1", false, strs), 0);
	HAS_NOT("MY_SVC_SERVICE_HOST");
	HAS("KUBERNETES_SERVICE_HOST", "10.96.0.1");
	HAS("KUBERNETES_PORT_443_TCP_PROTO", "tcp");
}
END_TEST

START_TEST(test_no_master_service_no_kubernetes_vars)
{
	ck_assert_int_eq(kl_envvars_services((const cJSON *const *)svcs + 1, n_svcs - 1, "ns1", true, strs), 0);
	HAS_NOT("KUBERNETES_SERVICE_HOST");
	HAS("MY_SVC_SERVICE_HOST", "10.96.0.7");
}
END_TEST

START_TEST(test_master_service_once_in_default)
{
	ck_assert_int_eq(kl_envvars_services((const cJSON *const *)svcs, n_svcs, "default", true, strs), 0);
	HAS("KUBERNETES_SERVICE_HOST", "10.96.0.1"); /* fails if given twice */
}
END_TEST

START_TEST(test_ipv6_address_in_brackets)
{
	svc("{\"metadata\":{\"name\":\"v6\",\"namespace\":\"ns1\"},"
	    "\"spec\":{\"clusterIP\":\"fd00::7\",\"ports\":[{\"port\":80}]}}");
	ck_assert_int_eq(kl_envvars_services((const cJSON *const *)svcs, n_svcs, "ns1", true, strs), 0);
	HAS("V6_SERVICE_HOST", "fd00::7");
	HAS("V6_PORT", "tcp://[fd00::7]:80");
	HAS("V6_PORT_80_TCP_ADDR", "fd00::7");
}
END_TEST

START_TEST(test_explicit_env_wins)
{
	ck_assert_int_eq(kl_envvars_services((const cJSON *const *)svcs, n_svcs, "ns1", true, strs), 0);
	cJSON_AddItemToArray(strs, cJSON_CreateString("MY_SVC_SERVICE_HOST"));
	cJSON_AddItemToArray(strs, cJSON_CreateString("mine"));
	kl_envvars_dedupe(strs);
	HAS("MY_SVC_SERVICE_HOST", "mine");
	HAS("MY_SVC_SERVICE_PORT", "8080");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kl_envvars");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_links_of_the_pods_namespace);
	tcase_add_test(tc, test_without_links_only_the_master_service);
	tcase_add_test(tc, test_no_master_service_no_kubernetes_vars);
	tcase_add_test(tc, test_master_service_once_in_default);
	tcase_add_test(tc, test_ipv6_address_in_brackets);
	tcase_add_test(tc, test_explicit_env_wins);
	suite_add_tcase(s, tc);
	return check_run(s);
}
