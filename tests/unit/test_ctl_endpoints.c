/* test_ctl_endpoints.c: a Service's Endpoints subsets from its pods: readiness, named ports, grouping, order, hostnames. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "controller/endpoints.h"
#include "tests/lib/check_run.h"

static cJSON *parse(const char *s)
{
	cJSON *j;
	ck_assert_int_eq(cm_json_parse(s, strlen(s), &j, NULL), 0);
	return j;
}

static struct cm_pod *pod(const char *name, const char *ip, int ready, const char *ports)
{
	char buf[1024];
	cJSON *j;
	void *v;

	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\",\"uid\":\"u-%s\"},"
		 "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"ports\":%s}]},"
		 "\"status\":{\"phase\":\"Running\",\"podIP\":\"%s\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"%s\"}]}}",
		 name, name, ports, ip, ready ? "True" : "False");
	j = parse(buf);
	ck_assert_int_eq(cm_pod_decode(j, &v), 0);
	cJSON_Delete(j);
	return v;
}

/* A ready or not pod of namespace ns with spec.hostname and spec.subdomain ("" for none). */
static struct cm_pod *host_pod(const char *name, const char *ns, const char *ip, int ready, const char *host,
			       const char *sub)
{
	char buf[1024];
	cJSON *j;
	void *v;

	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"uid\":\"u-%s\"},"
		 "\"spec\":{\"nodeName\":\"n1\",\"hostname\":\"%s\",\"subdomain\":\"%s\",\"containers\":[{\"name\":\"c\"}]},"
		 "\"status\":{\"phase\":\"Running\",\"podIP\":\"%s\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"%s\"}]}}",
		 name, ns, name, host, sub, ip, ready ? "True" : "False");
	j = parse(buf);
	ck_assert_int_eq(cm_pod_decode(j, &v), 0);
	cJSON_Delete(j);
	return v;
}

static char *subsets(const char *svc, struct cm_pod **pods, size_t n)
{
	cJSON *s = parse(svc), *out = ctl_endpoints_subsets(s, (const struct cm_pod *const *)pods, n);
	char *txt;

	ck_assert_ptr_nonnull(out);
	txt = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	cJSON_Delete(s);
	for (size_t i = 0; i < n; i++)
		cm_pod_free(pods[i]);
	return txt;
}

#define NAMED_SVC "{\"spec\":{\"selector\":{\"app\":\"a\"},\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":\"web\"}]}}"
#define NUM_SVC "{\"spec\":{\"selector\":{\"app\":\"a\"},\"ports\":[{\"port\":80,\"targetPort\":8080}]}}"
#define WEB8080 "[{\"name\":\"web\",\"containerPort\":8080}]"
#define ADDR(ip, name) "{\"ip\":\"" ip "\",\"nodeName\":\"n1\",\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":\"" name "\",\"uid\":\"u-" name "\"}}"

START_TEST(ready_and_not_ready_sorted_by_ip)
{
	struct cm_pod *p[] = {pod("b", "10.0.0.2", 1, "[]"), pod("a", "10.0.0.1", 1, "[]"), pod("c", "10.0.0.3", 0, "[]")};
	char *got = subsets(NUM_SVC, p, 3);

	ck_assert_str_eq(got, "[{\"ports\":[{\"port\":8080,\"protocol\":\"TCP\"}],\"addresses\":[" ADDR("10.0.0.1", "a") ","
			      ADDR("10.0.0.2", "b") "],\"notReadyAddresses\":[" ADDR("10.0.0.3", "c") "]}]");
	free(got);
}
END_TEST

START_TEST(named_target_port_resolved_per_pod)
{
	struct cm_pod *p[] = {pod("a", "10.0.0.1", 1, WEB8080), pod("b", "10.0.0.2", 1, "[{\"name\":\"web\",\"containerPort\":9090}]"),
			      pod("c", "10.0.0.3", 1, "[{\"name\":\"other\",\"containerPort\":1}]")};
	char *got = subsets(NAMED_SVC, p, 3);

	/* two subsets by resolved port; the pod without the name is in none */
	ck_assert_str_eq(got, "[{\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}],\"addresses\":[" ADDR("10.0.0.1", "a")
			      "]},{\"ports\":[{\"name\":\"http\",\"port\":9090,\"protocol\":\"TCP\"}],\"addresses\":["
			      ADDR("10.0.0.2", "b") "]}]");
	free(got);
}
END_TEST

START_TEST(pods_without_ip_or_terminating_left_out)
{
	cJSON *j = parse("{\"metadata\":{\"name\":\"d\",\"deletionTimestamp\":\"2024-01-01T00:00:00Z\"},"
			 "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.4\"}}");
	void *dying;
	ck_assert_int_eq(cm_pod_decode(j, &dying), 0);
	cJSON_Delete(j);
	struct cm_pod *p[] = {pod("a", "", 1, "[]"), dying};
	char *got = subsets(NUM_SVC, p, 2);

	ck_assert_str_eq(got, "[]");
	free(got);
}
END_TEST

START_TEST(no_pods_no_subsets)
{
	char *got = subsets(NUM_SVC, NULL, 0);

	ck_assert_str_eq(got, "[]");
	free(got);
}
END_TEST

START_TEST(target_port_defaults_to_port)
{
	struct cm_pod *p[] = {pod("a", "10.0.0.1", 1, "[]")};
	char *got = subsets("{\"spec\":{\"ports\":[{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]}}", p, 1);

	ck_assert_str_eq(got, "[{\"ports\":[{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}],\"addresses\":[" ADDR("10.0.0.1", "a") "]}]");
	free(got);
}
END_TEST

#define HEADLESS_DB                                                                                        \
	"{\"metadata\":{\"name\":\"db\",\"namespace\":\"default\"},\"spec\":{\"clusterIP\":\"None\",\"selector\":{\"app\":\"a\"}," \
	"\"ports\":[{\"port\":5432}]}}"
#define HADDR(ip, host, name)                                                                             \
	"{\"ip\":\"" ip "\",\"hostname\":\"" host "\",\"nodeName\":\"n1\",\"targetRef\":{\"kind\":\"Pod\","          \
	"\"namespace\":\"default\",\"name\":\"" name "\",\"uid\":\"u-" name "\"}}"

START_TEST(hostname_when_subdomain_names_the_service)
{
	struct cm_pod *p[] = {host_pod("a", "default", "10.0.0.1", 1, "db-0", "db"),
			      host_pod("b", "default", "10.0.0.2", 1, "db-1", "other"),
			      host_pod("c", "default", "10.0.0.3", 1, "", "db"),
			      host_pod("d", "default", "10.0.0.4", 0, "db-3", "db")};
	char *got = subsets(HEADLESS_DB, p, 4);

	/* another subdomain, or no hostname: no hostname; not ready addresses carry it too */
	ck_assert_str_eq(got, "[{\"ports\":[{\"port\":5432,\"protocol\":\"TCP\"}],\"addresses\":["
			      HADDR("10.0.0.1", "db-0", "a") "," ADDR("10.0.0.2", "b") "," ADDR("10.0.0.3", "c")
			      "],\"notReadyAddresses\":[" HADDR("10.0.0.4", "db-3", "d") "]}]");
	free(got);
}
END_TEST

START_TEST(hostname_rule_any_service_type_same_namespace)
{
	cJSON *cluster_ip = parse("{\"metadata\":{\"name\":\"db\",\"namespace\":\"default\"},"
				  "\"spec\":{\"clusterIP\":\"10.96.0.9\",\"ports\":[{\"port\":5432}]}}");
	cJSON *unnamed_ns = parse("{\"metadata\":{\"name\":\"db\"},\"spec\":{}}");
	cJSON *other_ns = parse("{\"metadata\":{\"name\":\"db\",\"namespace\":\"shop\"},\"spec\":{}}");
	struct cm_pod *p = host_pod("a", "default", "10.0.0.1", 1, "db-0", "db");
	struct cm_pod *shop = host_pod("s", "shop", "10.0.0.2", 1, "db-0", "db");

	/* Kubernetes sets it whatever the Service's type; only DNS cares that it is headless */
	ck_assert_str_eq(ctl_endpoint_hostname(cluster_ip, p), "db-0");
	ck_assert_str_eq(ctl_endpoint_hostname(unnamed_ns, p), "db-0");
	ck_assert_ptr_null(ctl_endpoint_hostname(other_ns, p));
	ck_assert_str_eq(ctl_endpoint_hostname(other_ns, shop), "db-0");
	ck_assert_ptr_null(ctl_endpoint_hostname(cluster_ip, shop));
	cm_pod_free(p);
	cm_pod_free(shop);
	cJSON_Delete(cluster_ip);
	cJSON_Delete(unnamed_ns);
	cJSON_Delete(other_ns);
}
END_TEST

START_TEST(selector_map_matching)
{
	cJSON *sel = parse("{\"app\":\"a\",\"tier\":\"web\"}"), *l1 = parse("{\"app\":\"a\",\"tier\":\"web\",\"x\":\"y\"}"),
	      *l2 = parse("{\"app\":\"a\"}");

	ck_assert(ctl_labels_match_map(sel, l1));
	ck_assert(!ctl_labels_match_map(sel, l2));
	ck_assert(!ctl_labels_match_map(sel, NULL));
	cJSON_Delete(sel);
	cJSON_Delete(l1);
	cJSON_Delete(l2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl_endpoints");
	TCase *tc = tcase_create("subsets");
	tcase_add_test(tc, ready_and_not_ready_sorted_by_ip);
	tcase_add_test(tc, named_target_port_resolved_per_pod);
	tcase_add_test(tc, pods_without_ip_or_terminating_left_out);
	tcase_add_test(tc, no_pods_no_subsets);
	tcase_add_test(tc, target_port_defaults_to_port);
	tcase_add_test(tc, hostname_when_subdomain_names_the_service);
	tcase_add_test(tc, hostname_rule_any_service_type_same_namespace);
	tcase_add_test(tc, selector_map_matching);
	suite_add_tcase(s, tc);
	return check_run(s);
}
