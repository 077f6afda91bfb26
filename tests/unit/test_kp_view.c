/* test_kp_view.c: Services and Endpoints read into views, and their ports matched by name. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "kubeproxy/view.h"
#include "tests/lib/check_run.h"

static struct kp_svc_view *svc;
static struct kp_eps_view *eps;
static struct kp_port_set set;

static void *decode(int (*fn)(const cJSON *, void **), const char *text)
{
	cJSON *j;
	void *v = NULL;

	ck_assert_int_eq(cm_json_parse(text, strlen(text), &j, NULL), 0);
	ck_assert_int_eq(fn(j, &v), 0);
	cJSON_Delete(j);
	return v;
}

static void teardown(void)
{
	kp_svc_free(svc);
	kp_eps_free(eps);
	kp_port_set_close(&set);
	svc = NULL;
	eps = NULL;
}

/* The endpoints of port i as "ip:port" joined by spaces. */
static const char *eps_of(size_t i)
{
	static char out[256];
	struct cm_buf b = CM_BUF_INIT;

	for (size_t k = 0; k < set.ports[i].nendpoints; k++) {
		if (k)
			cm_buf_putc(&b, ' ');
		kp_addr_format(&set.ports[i].endpoints[k], &b);
	}
	snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
	cm_buf_close(&b);
	return out;
}

START_TEST(test_service_fields)
{
	svc = decode(kp_svc_decode,
		     "{\"spec\":{\"clusterIP\":\"10.96.0.10\",\"type\":\"NodePort\","
		     "\"sessionAffinity\":\"ClientIP\",\"sessionAffinityConfig\":{\"clientIP\":"
		     "{\"timeoutSeconds\":60}},\"ports\":[{\"name\":\"http\",\"port\":80,"
		     "\"nodePort\":30080},{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"},"
		     "{\"name\":\"s\",\"port\":9,\"protocol\":\"SCTP\"}]}}");
	ck_assert_str_eq(svc->cluster_ip, "10.96.0.10");
	ck_assert(svc->affinity);
	ck_assert_uint_eq(svc->affinity_timeout_s, 60);
	ck_assert_uint_eq(svc->nports, 2); /* SCTP skipped */
	ck_assert_int_eq(svc->ports[0].protocol, IPPROTO_TCP);
	ck_assert_int_eq(svc->ports[0].node_port, 30080);
	ck_assert_int_eq(svc->ports[1].protocol, IPPROTO_UDP);
	ck_assert_str_eq(svc->ports[1].name, "dns");
}
END_TEST

START_TEST(test_ports_matched_by_name)
{
	svc = decode(kp_svc_decode,
		     "{\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"name\":\"http\",\"port\":80,"
		     "\"nodePort\":30080},{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]}}");
	eps = decode(kp_eps_decode,
		     "{\"subsets\":[{\"addresses\":[{\"ip\":\"10.244.1.2\"},{\"ip\":\"10.244.2.3\"}],"
		     "\"notReadyAddresses\":[{\"ip\":\"10.244.9.9\"}],"
		     "\"ports\":[{\"name\":\"http\",\"port\":8080},{\"name\":\"dns\",\"port\":5353,"
		     "\"protocol\":\"UDP\"}]},"
		     "{\"addresses\":[{\"ip\":\"10.244.3.4\"}],\"ports\":[{\"name\":\"http\",\"port\":9090}]}]}");
	ck_assert_int_eq(kp_port_set_build("default/web", svc, eps, &set), 0);
	ck_assert_uint_eq(set.n, 2);
	ck_assert_str_eq(set.ports[0].name, "default/web:http");
	ck_assert_int_eq(set.ports[0].protocol, IPPROTO_TCP);
	ck_assert_uint_eq(set.ports[0].cluster.port, 80);
	ck_assert_uint_eq(set.ports[0].node_port, 30080);
	ck_assert_str_eq(eps_of(0), "10.244.1.2:8080 10.244.2.3:8080 10.244.3.4:9090");
	ck_assert_str_eq(set.ports[1].name, "default/web:dns");
	ck_assert_str_eq(eps_of(1), "10.244.1.2:5353 10.244.2.3:5353"); /* not ready: no traffic */
}
END_TEST

START_TEST(test_load_balancer_and_local_policy)
{
	svc = decode(kp_svc_decode,
		     "{\"spec\":{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.96.0.12\","
		     "\"externalTrafficPolicy\":\"Local\",\"ports\":[{\"name\":\"http\",\"port\":80,"
		     "\"nodePort\":30080}]},\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"192.0.2.1\"},"
		     "{\"hostname\":\"x\"}]}}}");
	ck_assert_str_eq(svc->type, "LoadBalancer");
	ck_assert(svc->local_traffic);
	ck_assert_uint_eq(svc->nlb_ips, 1);
	eps = decode(kp_eps_decode,
		     "{\"subsets\":[{\"addresses\":[{\"ip\":\"10.244.1.2\",\"nodeName\":\"n1\"},"
		     "{\"ip\":\"10.244.2.3\",\"nodeName\":\"n2\"}],\"ports\":[{\"name\":\"http\",\"port\":8080}]}]}");
	ck_assert_int_eq(kp_port_set_build_node("default/lb", svc, eps, "n1", &set), 0);
	ck_assert_uint_eq(set.n, 3);
	/* the ClusterIP keeps every endpoint, and no longer holds the NodePort */
	ck_assert_str_eq(set.ports[0].name, "default/lb:http");
	ck_assert_uint_eq(set.ports[0].node_port, 0);
	ck_assert_str_eq(eps_of(0), "10.244.1.2:8080 10.244.2.3:8080");
	/* the NodePort: this node's endpoints only */
	ck_assert_str_eq(set.ports[1].name, "default/lb:http@node");
	ck_assert_uint_eq(set.ports[1].node_port, 30080);
	ck_assert_uint_eq(set.ports[1].cluster.family, 0);
	ck_assert_str_eq(eps_of(1), "10.244.1.2:8080");
	/* the ingress address at the service port */
	ck_assert_str_eq(set.ports[2].name, "default/lb:http@lb-192.0.2.1");
	ck_assert_uint_eq(set.ports[2].cluster.port, 80);
	ck_assert(set.ports[2].node_local);
	ck_assert(!set.ports[0].node_local);
	ck_assert_str_eq(eps_of(2), "10.244.1.2:8080");
	kp_port_set_close(&set);
	/* policy Cluster: one port for ClusterIP and NodePort, every endpoint on the ingress */
	svc->local_traffic = false;
	ck_assert_int_eq(kp_port_set_build_node("default/lb", svc, eps, "n1", &set), 0);
	ck_assert_uint_eq(set.n, 2);
	ck_assert_uint_eq(set.ports[0].node_port, 30080);
	ck_assert_str_eq(eps_of(1), "10.244.1.2:8080 10.244.2.3:8080");
}
END_TEST

START_TEST(test_unnamed_port)
{
	svc = decode(kp_svc_decode, "{\"spec\":{\"clusterIP\":\"10.96.0.11\",\"ports\":[{\"port\":80}]}}");
	eps = decode(kp_eps_decode, "{\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\"}],"
				    "\"ports\":[{\"port\":8080}]}]}");
	ck_assert_int_eq(kp_port_set_build("ns1/api", svc, eps, &set), 0);
	ck_assert_str_eq(set.ports[0].name, "ns1/api:80");
	ck_assert_str_eq(eps_of(0), "10.0.0.1:8080");
}
END_TEST

START_TEST(test_protocol_must_match)
{
	svc = decode(kp_svc_decode, "{\"spec\":{\"clusterIP\":\"10.96.0.11\",\"ports\":"
				    "[{\"name\":\"p\",\"port\":53,\"protocol\":\"UDP\"}]}}");
	eps = decode(kp_eps_decode, "{\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\"}],"
				    "\"ports\":[{\"name\":\"p\",\"port\":53}]}]}");
	ck_assert_int_eq(kp_port_set_build("a/b", svc, eps, &set), 0);
	ck_assert_uint_eq(set.ports[0].nendpoints, 0);
}
END_TEST

START_TEST(test_headless_and_no_endpoints)
{
	svc = decode(kp_svc_decode, "{\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":80}]}}");
	ck_assert_int_eq(kp_port_set_build("a/b", svc, NULL, &set), 0);
	ck_assert_uint_eq(set.n, 1);
	ck_assert_uint_eq(set.ports[0].cluster.family, 0); /* no cluster listener */
	ck_assert_uint_eq(set.ports[0].nendpoints, 0);
}
END_TEST

START_TEST(test_bad_input_skipped)
{
	svc = decode(kp_svc_decode, "{\"spec\":{\"clusterIP\":7,\"ports\":[{\"port\":\"x\"},"
				    "{\"port\":70000},{\"port\":80,\"nodePort\":-1}]}}");
	ck_assert_str_eq(svc->cluster_ip, "");
	ck_assert_uint_eq(svc->nports, 1);
	ck_assert_int_eq(svc->ports[0].node_port, 0);
	eps = decode(kp_eps_decode, "{\"subsets\":[{\"addresses\":[{\"ip\":\"not-an-ip\"},{}],"
				    "\"ports\":[{\"port\":80}]}, 5]}");
	ck_assert_uint_eq(eps->subsets[0].nips, 0);

	cJSON *arr = cJSON_CreateArray();
	void *v = NULL;
	ck_assert_int_eq(kp_svc_decode(arr, &v), -EINVAL);
	ck_assert_int_eq(kp_eps_decode(arr, &v), -EINVAL);
	ck_assert_ptr_null(v);
	cJSON_Delete(arr);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kp_view");
	TCase *tc = tcase_create("view");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_service_fields);
	tcase_add_test(tc, test_ports_matched_by_name);
	tcase_add_test(tc, test_unnamed_port);
	tcase_add_test(tc, test_load_balancer_and_local_policy);
	tcase_add_test(tc, test_protocol_must_match);
	tcase_add_test(tc, test_headless_and_no_endpoints);
	tcase_add_test(tc, test_bad_input_skipped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
