/* test_ctl_endpointslice.c: a Service's EndpointSlices from its pods: conditions, grouping by port, names, placeholder, hostnames. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "controller/endpointslice.h"
#include "tests/lib/check_run.h"

static cJSON *parse(const char *s)
{
	cJSON *j;
	ck_assert_int_eq(cm_json_parse(s, strlen(s), &j, NULL), 0);
	return j;
}

/* A pod: ready or not, terminating or not, with container ports (JSON). */
static struct cm_pod *pod(const char *name, const char *ip, int ready, int deleting, const char *ports)
{
	char buf[1024];
	cJSON *j;
	void *v;

	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\",\"uid\":\"u-%s\"%s},"
		 "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"ports\":%s}]},"
		 "\"status\":{\"phase\":\"Running\",\"podIP\":\"%s\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"%s\"}]}}",
		 name, name, deleting ? ",\"deletionTimestamp\":\"2024-01-01T00:00:00Z\"" : "", ports, ip,
		 ready ? "True" : "False");
	j = parse(buf);
	ck_assert_int_eq(cm_pod_decode(j, &v), 0);
	cJSON_Delete(j);
	return v;
}

/* A ready pod with spec.hostname and spec.subdomain. */
static struct cm_pod *host_pod(const char *name, const char *ip, const char *host, const char *sub)
{
	char buf[1024];
	cJSON *j;
	void *v;

	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\",\"uid\":\"u-%s\"},"
		 "\"spec\":{\"nodeName\":\"n1\",\"hostname\":\"%s\",\"subdomain\":\"%s\",\"containers\":[{\"name\":\"c\"}]},"
		 "\"status\":{\"phase\":\"Running\",\"podIP\":\"%s\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
		 name, name, host, sub, ip);
	j = parse(buf);
	ck_assert_int_eq(cm_pod_decode(j, &v), 0);
	cJSON_Delete(j);
	return v;
}

static cJSON *desired(const char *svc, struct cm_pod **pods, size_t n)
{
	cJSON *s = parse(svc), *out = ctl_endpointslices_desired(s, (const struct cm_pod *const *)pods, n);

	ck_assert_ptr_nonnull(out);
	cJSON_Delete(s);
	for (size_t i = 0; i < n; i++)
		cm_pod_free(pods[i]);
	return out;
}

static char *text(const cJSON *j, const char *path)
{
	return cJSON_PrintUnformatted(cm_json_get(j, path));
}

#define SVC(extra)                                                                                               \
	"{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"svc-uid\",\"labels\":{\"tier\":\"f\"}},"  \
	"\"spec\":{\"selector\":{\"app\":\"a\"}" extra "}}"
#define NUM_PORTS ",\"ports\":[{\"port\":80,\"targetPort\":8080}]"
#define NAMED_PORTS ",\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":\"web\"}]"
#define EP(ip, name, r, s, t)                                                                                    \
	"{\"addresses\":[\"" ip "\"],\"conditions\":{\"ready\":" r ",\"serving\":" s ",\"terminating\":" t "},"     \
	"\"nodeName\":\"n1\",\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":\"" name "\","     \
	"\"uid\":\"u-" name "\"}}"

START_TEST(one_slice_with_conditions_sorted_by_ip)
{
	struct cm_pod *p[] = {pod("b", "10.0.0.2", 1, 0, "[]"), pod("a", "10.0.0.1", 1, 0, "[]"),
			      pod("c", "10.0.0.3", 0, 0, "[]"), pod("d", "10.0.0.4", 1, 1, "[]"), pod("e", "", 1, 0, "[]")};
	cJSON *out = desired(SVC(NUM_PORTS), p, 5), *s = cJSON_GetArrayItem(out, 0);
	char *eps = text(s, "endpoints"), *ports = text(s, "ports"), *labels = text(s, "metadata.labels");
	const char *name = cm_json_get_str(s, "metadata.name");

	ck_assert_int_eq(cJSON_GetArraySize(out), 1);
	ck_assert_str_eq(eps, "[" EP("10.0.0.1", "a", "true", "true", "false") "," EP("10.0.0.2", "b", "true", "true", "false")
			      "," EP("10.0.0.3", "c", "false", "false", "false") ","
			      EP("10.0.0.4", "d", "false", "true", "true") "]");
	ck_assert_str_eq(ports, "[{\"name\":\"\",\"port\":8080,\"protocol\":\"TCP\"}]");
	ck_assert_str_eq(labels, "{\"tier\":\"f\",\"kubernetes.io/service-name\":\"web\","
				 "\"endpointslice.kubernetes.io/managed-by\":\"endpointslice-controller.k8s.io\"}");
	ck_assert_int_eq(strlen(name), strlen("web-") + 5);
	ck_assert_int_eq(strncmp(name, "web-", 4), 0);
	ck_assert_str_eq(cm_json_get_str(s, "addressType"), "IPv4");
	ck_assert_str_eq(cm_json_get_str(s, "metadata.ownerReferences.0.kind"), "Service");
	ck_assert_str_eq(cm_json_get_str(s, "metadata.ownerReferences.0.uid"), "svc-uid");
	ck_assert(ctl_endpointslice_managed(s, "web"));
	ck_assert(!ctl_endpointslice_managed(s, "other"));
	free(eps);
	free(ports);
	free(labels);
	cJSON_Delete(out);
}
END_TEST

START_TEST(publish_not_ready_addresses_makes_all_ready)
{
	struct cm_pod *p[] = {pod("c", "10.0.0.3", 0, 0, "[]")};
	cJSON *out = desired(SVC(NUM_PORTS ",\"publishNotReadyAddresses\":true"), p, 1);

	ck_assert(cJSON_IsTrue(cm_json_get(out, "0.endpoints.0.conditions.ready")));
	ck_assert(cJSON_IsFalse(cm_json_get(out, "0.endpoints.0.conditions.serving")));
	cJSON_Delete(out);
}
END_TEST

START_TEST(named_ports_split_slices_and_names_are_stable)
{
	struct cm_pod *p[] = {pod("a", "10.0.0.1", 1, 0, "[{\"name\":\"web\",\"containerPort\":8080}]"),
			      pod("b", "10.0.0.2", 1, 0, "[{\"name\":\"web\",\"containerPort\":9090}]"),
			      pod("c", "10.0.0.3", 1, 0, "[{\"name\":\"other\",\"containerPort\":1}]")};
	struct cm_pod *q[] = {pod("a", "10.0.0.1", 0, 0, "[{\"name\":\"web\",\"containerPort\":8080}]")};
	cJSON *out = desired(SVC(NAMED_PORTS), p, 3), *again = desired(SVC(NAMED_PORTS), q, 1);

	ck_assert_int_eq(cJSON_GetArraySize(out), 2);
	ck_assert_int_eq(cm_json_int64_or(out, "0.ports.0.port", 0), 8080);
	ck_assert_str_eq(cm_json_get_str(out, "0.ports.0.name"), "http");
	ck_assert_int_eq(cm_json_int64_or(out, "1.ports.0.port", 0), 9090);
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(out, "0.endpoints")), 1);
	ck_assert_str_ne(cm_json_get_str(out, "0.metadata.name"), cm_json_get_str(out, "1.metadata.name"));
	/* the same ports name the same slice, whatever its endpoints */
	ck_assert_str_eq(cm_json_get_str(out, "0.metadata.name"), cm_json_get_str(again, "0.metadata.name"));
	ck_assert(!ctl_endpointslice_same(cJSON_GetArrayItem(out, 0), cJSON_GetArrayItem(again, 0)));
	ck_assert(ctl_endpointslice_same(cJSON_GetArrayItem(out, 1), cJSON_GetArrayItem(out, 1)));
	cJSON_Delete(out);
	cJSON_Delete(again);
}
END_TEST

START_TEST(hostname_when_subdomain_names_the_service)
{
	struct cm_pod *p[] = {host_pod("a", "10.0.0.1", "web-0", "web"), host_pod("b", "10.0.0.2", "web-1", "db"),
			      host_pod("c", "10.0.0.3", "", "web")};
	cJSON *out = desired(SVC(NUM_PORTS), p, 3);
	char *eps = text(cJSON_GetArrayItem(out, 0), "endpoints");

	/* for a Service with a cluster IP too, as Kubernetes does */
	ck_assert_str_eq(eps, "[{\"addresses\":[\"10.0.0.1\"],\"conditions\":{\"ready\":true,\"serving\":true,"
			      "\"terminating\":false},\"hostname\":\"web-0\",\"nodeName\":\"n1\",\"targetRef\":{\"kind\":"
			      "\"Pod\",\"namespace\":\"default\",\"name\":\"a\",\"uid\":\"u-a\"}},"
			      EP("10.0.0.2", "b", "true", "true", "false") "," EP("10.0.0.3", "c", "true", "true", "false") "]");
	free(eps);
	cJSON_Delete(out);
}
END_TEST

START_TEST(no_pod_gives_a_placeholder)
{
	struct cm_pod *p[] = {pod("x", "fd00::1", 1, 0, "[]")};
	cJSON *out = desired(SVC(NUM_PORTS ",\"clusterIP\":\"None\""), p, 1);
	cJSON *stored = parse("{\"metadata\":{\"labels\":{}},\"addressType\":\"IPv4\",\"endpoints\":null}");

	ck_assert_int_eq(cJSON_GetArraySize(out), 1);
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(out, "0.endpoints")), 0);
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(out, "0.ports")), 0);
	ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(cm_json_get(out, "0.metadata.labels"),
							       "service.kubernetes.io/headless"));
	/* labels differ: not the same */
	ck_assert(!ctl_endpointslice_same(stored, cJSON_GetArrayItem(out, 0)));
	cJSON_Delete(stored);
	cJSON_Delete(out);
}
END_TEST

START_TEST(large_services_are_cut_in_slices_of_100)
{
	struct cm_pod *p[250];
	char ip[32], name[16];
	cJSON *out;

	for (int i = 0; i < 250; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 200, i % 200 + 1);
		snprintf(name, sizeof(name), "p%d", i);
		p[i] = pod(name, ip, 1, 0, "[]");
	}
	out = desired(SVC(NUM_PORTS), p, 250);
	ck_assert_int_eq(cJSON_GetArraySize(out), 3);
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(out, "0.endpoints")), 100);
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(out, "2.endpoints")), 50);
	ck_assert_str_ne(cm_json_get_str(out, "0.metadata.name"), cm_json_get_str(out, "1.metadata.name"));
	cJSON_Delete(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl_endpointslice");
	TCase *tc = tcase_create("desired");
	tcase_add_test(tc, one_slice_with_conditions_sorted_by_ip);
	tcase_add_test(tc, publish_not_ready_addresses_makes_all_ready);
	tcase_add_test(tc, named_ports_split_slices_and_names_are_stable);
	tcase_add_test(tc, hostname_when_subdomain_names_the_service);
	tcase_add_test(tc, no_pod_gives_a_placeholder);
	tcase_add_test(tc, large_services_are_cut_in_slices_of_100);
	suite_add_tcase(s, tc);
	return check_run(s);
}
