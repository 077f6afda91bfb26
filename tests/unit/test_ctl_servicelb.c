/* test_ctl_servicelb.c: a LoadBalancer Service's ingress from the nodes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "controller/servicelb.h"
#include "tests/lib/check_run.h"

static struct cm_node nodes[4];
static const struct cm_node *np[4] = {&nodes[0], &nodes[1], &nodes[2], &nodes[3]};

static cJSON *svc(const char *type)
{
	cJSON *s = cJSON_CreateObject();

	cm_json_set_str(s, "spec.type", type);
	return s;
}

static char *ingress(const char *type, size_t n)
{
	cJSON *s = svc(type), *in = ctl_servicelb_ingress(s, np, n);
	char *text;

	ck_assert_ptr_nonnull(in);
	text = cJSON_PrintUnformatted(in);
	cJSON_Delete(in);
	cJSON_Delete(s);
	return text;
}

static void setup(void)
{
	static char a0[] = "10.0.0.2", a1[] = "10.0.0.1", a2[] = "10.0.0.3", a3[] = "";

	memset(nodes, 0, sizeof(nodes));
	nodes[0].address = a0;
	nodes[1].address = a1;
	nodes[2].address = a2;
	nodes[3].address = a3;
	for (int i = 0; i < 4; i++)
		nodes[i].ready = true;
}

START_TEST(test_ready_nodes_sorted)
{
	char *t;

	nodes[2].ready = false;
	t = ingress("LoadBalancer", 4);
	/* not ready and address-less nodes are left out */
	ck_assert_str_eq(t, "[{\"ip\":\"10.0.0.1\"},{\"ip\":\"10.0.0.2\"}]");
	free(t);
}
END_TEST

START_TEST(test_repeated_addresses_once)
{
	char *t;

	nodes[1].address = nodes[0].address;
	t = ingress("LoadBalancer", 3);
	ck_assert_str_eq(t, "[{\"ip\":\"10.0.0.2\"},{\"ip\":\"10.0.0.3\"}]");
	free(t);
}
END_TEST

START_TEST(test_other_types_none)
{
	char *t = ingress("NodePort", 4);

	ck_assert_str_eq(t, "[]");
	free(t);
	t = ingress("LoadBalancer", 0);
	ck_assert_str_eq(t, "[]");
	free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl_servicelb");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_ready_nodes_sorted);
	tcase_add_test(tc, test_repeated_addresses_once);
	tcase_add_test(tc, test_other_types_none);
	suite_add_tcase(s, tc);
	return check_run(s);
}
