/* test_api_strategy.c: strategies as pure functions: defaults, validation, allocations with a scripted random source. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apiserver/resources.h"
#include "common/json.h"
#include "tests/lib/check_run.h"

static uint64_t script[16];
static int pos;

static uint64_t scripted(void *ud)
{
	(void)ud;
	return script[pos++ % 16];
}

static struct api_ranges ranges = {0x0a600000u, 12, 0x0af40000u, 16};
static struct api_strategy_env env = {&ranges, scripted, NULL};

static void setup(void)
{
	pos = 0;
	for (int i = 0; i < 16; i++)
		script[i] = (uint64_t)i * 7;
}

static cJSON *J(const char *s)
{
	cJSON *j = cJSON_Parse(s);

	ck_assert_ptr_nonnull(j);
	return j;
}

static int nerrs(const struct api_strategy *st, const cJSON *obj, const cJSON *old)
{
	struct api_ferrs e;
	int n;

	api_ferrs_init(&e);
	st->validate(obj, old, &e);
	n = e.n;
	api_ferrs_close(&e);
	return n;
}

START_TEST(service_allocates_ip_and_node_port)
{
	cJSON *svc = J("{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80}]}}");
	struct api_alloc a = {0};
	struct api_ferrs e;

	script[0] = 1; /* ip offset: base + 2 + 1 */
	script[1] = 80; /* node port 30080 */
	api_ferrs_init(&e);
	ck_assert_int_eq(api_strategy_service.prepare_create(svc, &env), 0);
	ck_assert_int_eq(api_strategy_service.allocate(svc, NULL, &env, &a, &e), 0);
	ck_assert_int_eq(e.n, 0);
	ck_assert_str_eq(cm_json_get_str(svc, "spec.clusterIP"), "10.96.0.3");
	ck_assert_int_eq(cm_json_int64_or(svc, "spec.ports.0.nodePort", 0), 30080);
	ck_assert_int_eq(cm_json_int64_or(svc, "spec.ports.0.targetPort", 0), 80);
	ck_assert_int_eq(a.ntake, 2);
	ck_assert_str_eq(a.take[0], "/registry/ranges/serviceips/10.96.0.3");
	ck_assert_str_eq(a.take[1], "/registry/ranges/servicenodeports/30080");
	ck_assert(!a.user_chosen);
	api_alloc_close(&a);
	api_ferrs_close(&e);
	cJSON_Delete(svc);
}
END_TEST

START_TEST(service_update_keeps_and_releases)
{
	cJSON *old = J("{\"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.3\",\"ports\":[{\"port\":80,\"nodePort\":30080},"
		       "{\"port\":81,\"nodePort\":30081,\"name\":\"b\"}]}}");
	cJSON *upd = J("{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80}]}}");
	struct api_alloc a = {0};
	struct api_ferrs e;

	api_ferrs_init(&e);
	ck_assert_int_eq(api_strategy_service.allocate(upd, old, &env, &a, &e), 0);
	ck_assert_str_eq(cm_json_get_str(upd, "spec.clusterIP"), "10.96.0.3");
	ck_assert_int_eq(cm_json_int64_or(upd, "spec.ports.0.nodePort", 0), 30080);
	ck_assert_int_eq(a.ntake, 0);
	ck_assert_int_eq(a.nrelease, 1);
	ck_assert_str_eq(a.release[0], "/registry/ranges/servicenodeports/30081");
	api_alloc_close(&a);
	api_ferrs_close(&e);
	cJSON_Delete(old);
	cJSON_Delete(upd);
}
END_TEST

START_TEST(service_chosen_ip_checked)
{
	cJSON *in = J("{\"spec\":{\"clusterIP\":\"10.96.5.5\",\"ports\":[{\"port\":80}]}}");
	cJSON *out = J("{\"spec\":{\"clusterIP\":\"192.168.0.1\",\"ports\":[{\"port\":80}]}}");
	struct api_alloc a = {0};
	struct api_ferrs e;

	api_ferrs_init(&e);
	ck_assert_int_eq(api_strategy_service.allocate(in, NULL, &env, &a, &e), 0);
	ck_assert(a.user_chosen);
	ck_assert_str_eq(a.take[0], "/registry/ranges/serviceips/10.96.5.5");
	api_alloc_close(&a);
	ck_assert_int_eq(api_strategy_service.allocate(out, NULL, &env, &a, &e), 0);
	ck_assert_int_eq(e.n, 1);
	ck_assert_str_eq(e.v[0].field, "spec.clusterIP");
	api_alloc_close(&a);
	api_ferrs_close(&e);
	cJSON_Delete(in);
	cJSON_Delete(out);
}
END_TEST

START_TEST(service_validation)
{
	cJSON *ok = J("{\"spec\":{\"type\":\"ClusterIP\",\"ports\":[{\"port\":80}]}}");
	cJSON *bad = J("{\"spec\":{\"type\":\"Weird\",\"ports\":[{\"port\":70000}]}}");
	cJSON *changed = J("{\"spec\":{\"clusterIP\":\"10.96.0.9\",\"ports\":[{\"port\":80}]}}");
	cJSON *old = J("{\"spec\":{\"clusterIP\":\"10.96.0.3\",\"ports\":[{\"port\":80}]}}");

	ck_assert_int_eq(nerrs(&api_strategy_service, ok, NULL), 0);
	ck_assert_int_eq(nerrs(&api_strategy_service, bad, NULL), 2);
	ck_assert_int_eq(nerrs(&api_strategy_service, changed, old), 1);
	cJSON_Delete(ok);
	cJSON_Delete(bad);
	cJSON_Delete(changed);
	cJSON_Delete(old);
}
END_TEST

START_TEST(service_ip_family_defaults)
{
	cJSON *np = J("{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80}]}}");
	cJSON *hl = J("{\"spec\":{\"clusterIP\":\"None\",\"selector\":{\"a\":\"b\"},\"ports\":[{\"port\":80}]}}");
	cJSON *bare = J("{\"spec\":{\"clusterIP\":\"None\"}}");
	cJSON *ext = J("{\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"x.example\"}}");
	cJSON *upd = J("{\"spec\":{\"ports\":[{\"port\":80}]}}");
	cJSON *old = J("{\"spec\":{\"ipFamilyPolicy\":\"PreferDualStack\",\"ipFamilies\":[\"IPv4\"]}}");
	cJSON *v6 = J("{\"spec\":{\"ipFamilies\":[\"IPv6\"],\"ipFamilyPolicy\":\"RequireDualStack\",\"ports\":[{\"port\":80}]}}");

	ck_assert_int_eq(api_strategy_service.prepare_create(np, &env), 0);
	ck_assert_str_eq(cm_json_get_str(np, "spec.ipFamilyPolicy"), "SingleStack");
	ck_assert_str_eq(cm_json_get_str(np, "spec.ipFamilies.0"), "IPv4");
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(np, "spec.ipFamilies")), 1);
	ck_assert_str_eq(cm_json_get_str(np, "spec.internalTrafficPolicy"), "Cluster");
	ck_assert_str_eq(cm_json_get_str(np, "spec.externalTrafficPolicy"), "Cluster");
	ck_assert_str_eq(cm_json_get_str(np, "spec.sessionAffinity"), "None");
	ck_assert_int_eq(nerrs(&api_strategy_service, np, NULL), 0);

	ck_assert_int_eq(api_strategy_service.prepare_create(hl, &env), 0);
	ck_assert_str_eq(cm_json_get_str(hl, "spec.ipFamilyPolicy"), "SingleStack");
	ck_assert_str_eq(cm_json_get_str(hl, "spec.clusterIPs.0"), "None");
	ck_assert_ptr_null(cm_json_get(hl, "spec.externalTrafficPolicy"));

	/* headless without selector: both families, as Kubernetes answers on a single-stack cluster */
	ck_assert_int_eq(api_strategy_service.prepare_create(bare, &env), 0);
	ck_assert_str_eq(cm_json_get_str(bare, "spec.ipFamilyPolicy"), "RequireDualStack");
	ck_assert_str_eq(cm_json_get_str(bare, "spec.ipFamilies.1"), "IPv6");
	ck_assert_int_eq(nerrs(&api_strategy_service, bare, NULL), 0);

	ck_assert_int_eq(api_strategy_service.prepare_create(ext, &env), 0);
	ck_assert_ptr_null(cm_json_get(ext, "spec.ipFamilies"));
	ck_assert_ptr_null(cm_json_get(ext, "spec.ipFamilyPolicy"));
	ck_assert_ptr_null(cm_json_get(ext, "spec.internalTrafficPolicy"));
	ck_assert_str_eq(cm_json_get_str(ext, "spec.sessionAffinity"), "None");

	ck_assert_int_eq(api_strategy_service.prepare_update(upd, old), 0);
	ck_assert_str_eq(cm_json_get_str(upd, "spec.ipFamilyPolicy"), "PreferDualStack");

	ck_assert_int_eq(nerrs(&api_strategy_service, v6, NULL), 2);
	cJSON_Delete(np);
	cJSON_Delete(hl);
	cJSON_Delete(bare);
	cJSON_Delete(ext);
	cJSON_Delete(upd);
	cJSON_Delete(old);
	cJSON_Delete(v6);
}
END_TEST

START_TEST(node_pod_cidr)
{
	cJSON *n = J("{\"metadata\":{\"name\":\"n\"}}");
	struct api_alloc a = {0};
	struct api_ferrs e;

	script[0] = 3;
	api_ferrs_init(&e);
	ck_assert_int_eq(api_strategy_node.allocate(n, NULL, &env, &a, &e), 0);
	ck_assert_str_eq(cm_json_get_str(n, "spec.podCIDR"), "10.244.3.0/24");
	ck_assert_str_eq(cm_json_get_str(n, "spec.podCIDRs.0"), "10.244.3.0/24");
	ck_assert_str_eq(a.take[0], "/registry/ranges/podcidrs/10.244.3.0_24");
	api_alloc_close(&a);
	api_ferrs_close(&e);
	cJSON_Delete(n);
}
END_TEST

START_TEST(pod_defaults_and_validation)
{
	cJSON *p = J("{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1\",\"ports\":[{\"containerPort\":80}]}]}}");
	cJSON *bad = J("{\"spec\":{\"containers\":[{\"name\":\"C_1\"},{\"name\":\"C_1\",\"image\":\"x\"}],\"restartPolicy\":\"Sometimes\","
		       "\"hostname\":\"Web_0\",\"subdomain\":\"a.b\"}}");
	cJSON *upd;

	ck_assert_int_eq(api_strategy_pod.prepare_create(p, &env), 0);
	ck_assert_str_eq(cm_json_get_str(p, "status.phase"), "Pending");
	ck_assert_str_eq(cm_json_get_str(p, "spec.restartPolicy"), "Always");
	ck_assert_str_eq(cm_json_get_str(p, "spec.containers.0.imagePullPolicy"), "IfNotPresent");
	ck_assert_str_eq(cm_json_get_str(p, "spec.containers.0.ports.0.protocol"), "TCP");
	ck_assert_ptr_null(cm_json_get(p, "spec.containers.0.ports.0.hostPort"));
	ck_assert_int_eq(nerrs(&api_strategy_pod, p, NULL), 0);
	/* invalid name twice, one duplicate, one missing image, one policy, hostname and subdomain not DNS labels */
	ck_assert_int_eq(nerrs(&api_strategy_pod, bad, NULL), 7);
	cm_json_set_str(p, "spec.hostname", "web-0");
	cm_json_set_str(p, "spec.subdomain", "web");
	ck_assert_int_eq(nerrs(&api_strategy_pod, p, NULL), 0);
	upd = cJSON_Duplicate(p, 1);
	cm_json_set_str(upd, "spec.containers.0.image", "nginx:2");
	ck_assert_int_eq(nerrs(&api_strategy_pod, upd, p), 0);
	cm_json_set_str(upd, "spec.restartPolicy", "Never");
	ck_assert_int_eq(nerrs(&api_strategy_pod, upd, p), 1);
	cJSON_Delete(upd);
	cJSON_Delete(p);
	cJSON_Delete(bad);
}
END_TEST

/* A host-network pod's ports are its node's: hostPort defaults to containerPort (not in templates). */
START_TEST(pod_host_network_ports)
{
	cJSON *p = J("{\"spec\":{\"hostNetwork\":true,\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"ports\":"
		     "[{\"containerPort\":80},{\"containerPort\":81,\"hostPort\":9081},{\"containerPort\":82,"
		     "\"hostPort\":0}]}]}}");
	cJSON *d = J("{\"spec\":{\"selector\":{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":"
		     "{\"labels\":{\"a\":\"b\"}},\"spec\":{\"hostNetwork\":true,\"containers\":[{\"name\":\"c\","
		     "\"image\":\"x\",\"ports\":[{\"containerPort\":80}]}]}}}}");

	ck_assert_int_eq(api_strategy_pod.prepare_create(p, &env), 0);
	ck_assert_int_eq(cm_json_int64_or(p, "spec.containers.0.ports.0.hostPort", 0), 80);
	ck_assert_int_eq(cm_json_int64_or(p, "spec.containers.0.ports.1.hostPort", 0), 9081);
	ck_assert_int_eq(cm_json_int64_or(p, "spec.containers.0.ports.2.hostPort", 0), 82);
	ck_assert_int_eq(api_strategy_deployment.prepare_create(d, &env), 0);
	ck_assert_ptr_null(cm_json_get(d, "spec.template.spec.containers.0.ports.0.hostPort"));
	cJSON_Delete(p);
	cJSON_Delete(d);
}
END_TEST

START_TEST(deployment_selector_rules)
{
	cJSON *d = J("{\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"a\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"a\"}},"
		     "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}");
	cJSON *mismatch = cJSON_Duplicate(d, 1), *moved = cJSON_Duplicate(d, 1);

	ck_assert_int_eq(api_strategy_deployment.prepare_create(d, &env), 0);
	ck_assert_int_eq(cm_json_int64_or(d, "spec.replicas", 0), 1);
	ck_assert_str_eq(cm_json_get_str(d, "spec.strategy.rollingUpdate.maxSurge"), "25%");
	ck_assert_int_eq(nerrs(&api_strategy_deployment, d, NULL), 0);
	cm_json_set_str(mismatch, "spec.template.metadata.labels.app", "b");
	ck_assert_int_eq(nerrs(&api_strategy_deployment, mismatch, NULL), 1);
	cm_json_set_str(moved, "spec.selector.matchLabels.app", "b");
	cm_json_set_str(moved, "spec.template.metadata.labels.app", "b");
	ck_assert_int_eq(nerrs(&api_strategy_deployment, moved, d), 1); /* selector is immutable */
	cJSON_Delete(d);
	cJSON_Delete(mismatch);
	cJSON_Delete(moved);
}
END_TEST

START_TEST(pod_table_row)
{
	cJSON *p = J("{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},"
		     "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{},{}]},\"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.1.2\","
		     "\"containerStatuses\":[{\"ready\":true,\"restartCount\":2},{\"ready\":false,\"restartCount\":1,"
		     "\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}}");
	cJSON *cells = cJSON_CreateArray();
	char *s;

	ck_assert_int_eq(api_strategy_pod.cells(p, cells, 1767225610000LL), 0);
	s = cJSON_PrintUnformatted(cells);
	ck_assert_str_eq(s, "[\"web\",\"1/2\",\"CrashLoopBackOff\",3,\"10s\",\"10.244.1.2\",\"n1\",\"<none>\",\"<none>\"]");
	free(s);
	cJSON_Delete(cells);
	cJSON_Delete(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_strategy");
	TCase *tc = tcase_create("strategy");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, service_allocates_ip_and_node_port);
	tcase_add_test(tc, service_update_keeps_and_releases);
	tcase_add_test(tc, service_chosen_ip_checked);
	tcase_add_test(tc, service_validation);
	tcase_add_test(tc, service_ip_family_defaults);
	tcase_add_test(tc, node_pod_cidr);
	tcase_add_test(tc, pod_defaults_and_validation);
	tcase_add_test(tc, pod_host_network_ports);
	tcase_add_test(tc, deployment_selector_rules);
	tcase_add_test(tc, pod_table_row);
	suite_add_tcase(s, tc);
	return check_run(s);
}
