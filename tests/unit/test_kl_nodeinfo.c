/* test_kl_nodeinfo.c: the Node's nodeInfo from os-release, uname and the machine's ids. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "kubelet/nodeinfo.h"
#include "tests/lib/check_run.h"

static cJSON *info;

static void teardown(void)
{
	cJSON_Delete(info);
	info = NULL;
}

static const char *field(const char *name)
{
	const char *v = cm_json_get_str(info, name);

	ck_assert_msg(v != NULL, "no %s", name);
	return v;
}

START_TEST(test_every_field_from_the_facts)
{
	struct kl_node_facts f = {
		.os_release = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n",
		.machine_id = "0123456789abcdef0123456789abcdef\n",
		.boot_id = "5d2c7e5e-6a4b-4b59-9d0f-6f0d7b9e1c2a\n",
		.system_uuid = NULL,
		.kernel = "6.1.0-18-amd64",
		.machine = "x86_64",
	};

	ck_assert_int_eq(kl_node_info(&f, "process", "0.1", &info), 0);
	ck_assert_str_eq(field("osImage"), "Debian GNU/Linux 12 (bookworm)");
	ck_assert_str_eq(field("kernelVersion"), "6.1.0-18-amd64");
	ck_assert_str_eq(field("operatingSystem"), "linux");
	ck_assert_str_eq(field("architecture"), "amd64");
	ck_assert_str_eq(field("containerRuntimeVersion"), "process://0.1");
	ck_assert_str_eq(field("kubeletVersion"), "v1.32.0-minik8s");
	ck_assert_str_eq(field("kubeProxyVersion"), "v1.32.0-minik8s");
	ck_assert_str_eq(field("machineID"), "0123456789abcdef0123456789abcdef");
	ck_assert_str_eq(field("bootID"), "5d2c7e5e-6a4b-4b59-9d0f-6f0d7b9e1c2a");
	ck_assert_str_eq(field("systemUUID"), "");
}
END_TEST

START_TEST(test_unknown_machine_and_no_os_release)
{
	struct kl_node_facts f = {.kernel = "6.8.0", .machine = "aarch64"};

	ck_assert_int_eq(kl_node_info(&f, "docker", "0.1", &info), 0);
	ck_assert_str_eq(field("osImage"), "Linux");
	ck_assert_str_eq(field("architecture"), "arm64");
	ck_assert_str_eq(field("machineID"), "");
	cJSON_Delete(info);
	f.machine = "loongarch64";
	ck_assert_int_eq(kl_node_info(&f, "docker", "0.1", &info), 0);
	ck_assert_str_eq(field("architecture"), "loongarch64");
}
END_TEST

static void value_is(const char *text, const char *key, const char *want)
{
	char *v = kl_os_release_value(text, key);

	if (!want)
		ck_assert_ptr_null(v);
	else
		ck_assert_str_eq(v, want);
	free(v);
}

START_TEST(test_os_release_quoting)
{
	value_is("PRETTY_NAME=Alpine\n", "PRETTY_NAME", "Alpine");
	value_is("NAME=x\nPRETTY_NAME='Single quoted \\ kept'\n", "PRETTY_NAME", "Single quoted \\ kept");
	value_is("PRETTY_NAME=\"A \\\"quoted\\\" \\$name\"", "PRETTY_NAME", "A \"quoted\" $name");
	value_is("PRETTY_NAME=\"\"\n", "PRETTY_NAME", "");
	value_is("# PRETTY_NAME=no\nXPRETTY_NAME=no\nPRETTY_NAMEX=no\n", "PRETTY_NAME", NULL);
	value_is("ID=debian\r\n", "VERSION", NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kl_nodeinfo");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_every_field_from_the_facts);
	tcase_add_test(tc, test_unknown_machine_and_no_os_release);
	tcase_add_test(tc, test_os_release_quoting);
	suite_add_tcase(s, tc);
	return check_run(s);
}
