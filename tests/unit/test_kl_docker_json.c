/* test_kl_docker_json.c: the docker backend's bodies: a pod's container -> create body, inspect -> status. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "kubelet/runtime/docker_json.h"
#include "tests/lib/check_run.h"

static cJSON *create_body(const struct kl_container_config *cfg, const char *mode)
{
	struct cm_buf b = CM_BUF_INIT;
	cJSON *j = NULL;

	ck_assert_int_eq(kl_docker_create_body(cfg, mode, "node-1", &b), 0);
	ck_assert_int_eq(cm_json_parse(b.data, b.len, &j, NULL), 0);
	cm_buf_close(&b);
	return j;
}

static const char *label(const cJSON *j, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cm_json_get(j, "Labels"), name));
}

static const struct kl_env ENV[] = {{"POD_IP", "10.1.0.5"}, {"EMPTY", ""}};
static const struct kl_mount MOUNTS[] = {{"/var/lib/k/pods/u1/volumes/data", "/data", false},
					 {"/var/lib/k/pods/u1/volumes/cfg", "/etc/cfg", true}};

static struct kl_container_config base_cfg(void)
{
	struct kl_container_config c = {0};

	c.pod_uid = "u1";
	c.pod_namespace = "default";
	c.pod_name = "web";
	c.name = "echo";
	c.attempt = 2;
	c.image = "echoserver:latest";
	c.env = ENV;
	c.n_env = 2;
	c.mounts = MOUNTS;
	c.n_mounts = 2;
	return c;
}

START_TEST(test_name)
{
	struct cm_buf b = CM_BUF_INIT;

	ck_assert_int_eq(kl_docker_name("echo", "web", "default", "u1", 3, &b), 0);
	ck_assert_str_eq(b.data, "mk8s_echo_web_default_u1_3");
	cm_buf_close(&b);
}
END_TEST

START_TEST(test_create_labels_env_mounts_resources)
{
	struct kl_container_config cfg = base_cfg();
	cJSON *j, *hc;

	cfg.memory_limit = 64 << 20;
	cfg.cpu_limit_m = 250;
	cfg.pids_limit = 100;
	cfg.working_dir = "/srv";
	j = create_body(&cfg, "container:mk8s_POD_web_default_u1_0");
	ck_assert_str_eq(cm_json_get_str(j, "Image"), "echoserver:latest");
	ck_assert_str_eq(label(j, KL_DOCKER_LABEL_UID), "u1");
	ck_assert_str_eq(label(j, KL_DOCKER_LABEL_NS), "default");
	ck_assert_str_eq(label(j, KL_DOCKER_LABEL_POD), "web");
	ck_assert_str_eq(label(j, KL_DOCKER_LABEL_CTR), "echo");
	ck_assert_str_eq(label(j, KL_DOCKER_LABEL_ATTEMPT), "2");
	ck_assert_str_eq(label(j, KL_DOCKER_LABEL_NODE), "node-1");
	ck_assert_str_eq(label(j, KL_DOCKER_LABEL_TYPE), "container");
	ck_assert_str_eq(cJSON_GetArrayItem(cm_json_get(j, "Env"), 0)->valuestring, "POD_IP=10.1.0.5");
	ck_assert_str_eq(cJSON_GetArrayItem(cm_json_get(j, "Env"), 1)->valuestring, "EMPTY=");
	ck_assert_str_eq(cm_json_get_str(j, "WorkingDir"), "/srv");
	/* the image's entrypoint and cmd stay when the spec has neither */
	ck_assert_ptr_null(cm_json_get(j, "Entrypoint"));
	ck_assert_ptr_null(cm_json_get(j, "Cmd"));
	hc = cm_json_get(j, "HostConfig");
	ck_assert_str_eq(cm_json_get_str(hc, "NetworkMode"), "container:mk8s_POD_web_default_u1_0");
	ck_assert_str_eq(cm_json_get_str(hc, "IpcMode"), "container:mk8s_POD_web_default_u1_0");
	ck_assert_str_eq(cJSON_GetArrayItem(cm_json_get(hc, "Binds"), 0)->valuestring,
			 "/var/lib/k/pods/u1/volumes/data:/data:rw");
	ck_assert_str_eq(cJSON_GetArrayItem(cm_json_get(hc, "Binds"), 1)->valuestring,
			 "/var/lib/k/pods/u1/volumes/cfg:/etc/cfg:ro");
	ck_assert_int_eq(cm_json_int64_or(hc, "Memory", 0), 64 << 20);
	ck_assert_int_eq(cm_json_int64_or(hc, "NanoCpus", 0), 250000000);
	ck_assert_int_eq(cm_json_int64_or(hc, "PidsLimit", 0), 100);
	ck_assert_str_eq(cm_json_get_str(hc, "RestartPolicy.Name"), "no");
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_create_no_limits_host_network)
{
	struct kl_container_config cfg = base_cfg();
	cJSON *j = create_body(&cfg, "host"), *hc = cm_json_get(j, "HostConfig");

	ck_assert_str_eq(cm_json_get_str(hc, "NetworkMode"), "host");
	ck_assert_ptr_null(cm_json_get(hc, "IpcMode"));
	ck_assert_ptr_null(cm_json_get(hc, "Memory"));
	ck_assert_ptr_null(cm_json_get(hc, "NanoCpus"));
	ck_assert_ptr_null(cm_json_get(j, "WorkingDir"));
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_command_and_args_over_the_image)
{
	static const char *const cmd[] = {"sh", "-c", NULL}, *const args[] = {"echo hi", NULL}, *const none[] = {NULL};
	struct kl_container_config cfg = base_cfg();
	cJSON *j;

	/* command and args: Entrypoint and Cmd */
	cfg.spec_command = cmd;
	cfg.spec_args = args;
	j = create_body(&cfg, "bridge");
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(j, "Entrypoint")), 2);
	ck_assert_str_eq(cJSON_GetArrayItem(cm_json_get(j, "Entrypoint"), 1)->valuestring, "-c");
	ck_assert_str_eq(cJSON_GetArrayItem(cm_json_get(j, "Cmd"), 0)->valuestring, "echo hi");
	cJSON_Delete(j);
	/* command alone: the image's Cmd is dropped (an empty Cmd) */
	cfg.spec_args = NULL;
	j = create_body(&cfg, "bridge");
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(j, "Entrypoint")), 2);
	ck_assert(cJSON_IsArray(cm_json_get(j, "Cmd")));
	ck_assert_int_eq(cJSON_GetArraySize(cm_json_get(j, "Cmd")), 0);
	cJSON_Delete(j);
	/* args alone: the image's entrypoint runs them */
	cfg.spec_command = none;
	cfg.spec_args = args;
	j = create_body(&cfg, "bridge");
	ck_assert_ptr_null(cm_json_get(j, "Entrypoint"));
	ck_assert_str_eq(cJSON_GetArrayItem(cm_json_get(j, "Cmd"), 0)->valuestring, "echo hi");
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_sandbox_body)
{
	static const char *const sleeper[] = {"sleep", "9", NULL};
	struct kl_sandbox_config sc = {"u1", "default", "web", false, "web"};
	struct cm_buf b = CM_BUF_INIT;
	cJSON *j = NULL;

	ck_assert_int_eq(kl_docker_sandbox_body(&sc, "minik8s:latest", sleeper, "bridge", "web", "n", &b), 0);
	ck_assert_int_eq(cm_json_parse(b.data, b.len, &j, NULL), 0);
	ck_assert_str_eq(cm_json_get_str(j, "Hostname"), "web");
	ck_assert_str_eq(label(j, KL_DOCKER_LABEL_CTR), KL_DOCKER_SANDBOX_CTR);
	ck_assert_str_eq(label(j, KL_DOCKER_LABEL_TYPE), "sandbox");
	ck_assert_str_eq(cm_json_get_str(j, "HostConfig.IpcMode"), "shareable");
	ck_assert_str_eq(cJSON_GetArrayItem(cm_json_get(j, "Cmd"), 0)->valuestring, "sleep");
	cJSON_Delete(j);
	cm_buf_reset(&b);
	/* docker refuses a hostname with the host's network; a real pause image keeps its own command */
	ck_assert_int_eq(kl_docker_sandbox_body(&sc, "pause:3.9", NULL, "host", "web", "n", &b), 0);
	ck_assert_int_eq(cm_json_parse(b.data, b.len, &j, NULL), 0);
	ck_assert_ptr_null(cm_json_get(j, "Hostname"));
	ck_assert_ptr_null(cm_json_get(j, "Cmd"));
	cJSON_Delete(j);
	cm_buf_close(&b);
}
END_TEST

static const char INSPECT_FMT[] =
	"{\"Id\":\"abc\",\"Name\":\"/mk8s_echo_web_default_u1_1\","
	"\"State\":{\"Status\":\"%s\",\"Pid\":%d,\"ExitCode\":%d,\"OOMKilled\":%s,\"Error\":\"%s\","
	"\"StartedAt\":\"%s\",\"FinishedAt\":\"%s\"},"
	"\"Config\":{\"Labels\":{\"io.kubernetes.pod.uid\":\"u1\",\"io.kubernetes.container.name\":\"echo\","
	"\"io.minik8s.attempt\":\"1\",\"io.minik8s.type\":\"container\"}},"
	"\"HostConfig\":{\"NetworkMode\":\"container:mk8s_POD_web_default_u1_0\"},"
	"\"NetworkSettings\":{\"IPAddress\":\"\",\"Networks\":{}}}";

static struct kl_docker_info inspect(const char *status, int pid, int code, const char *oom, const char *err,
				     const char *started, const char *finished)
{
	char text[2048];
	struct kl_docker_info info;
	cJSON *j = NULL;

	snprintf(text, sizeof(text), INSPECT_FMT, status, pid, code, oom, err, started, finished);
	ck_assert_int_eq(cm_json_parse(text, strlen(text), &j, NULL), 0);
	ck_assert_int_eq(kl_docker_parse_inspect(j, "bridge", &info), 0);
	cJSON_Delete(j);
	return info;
}

static const char ZERO[] = "0001-01-01T00:00:00Z";

START_TEST(test_inspect_running)
{
	struct kl_docker_info i = inspect("running", 4242, 0, "false", "", "2026-01-02T03:04:05.123456789Z", ZERO);

	ck_assert_str_eq(i.name, "mk8s_echo_web_default_u1_1");
	ck_assert_str_eq(i.pod_uid, "u1");
	ck_assert_str_eq(i.ctr, "echo");
	ck_assert_int_eq(i.attempt, 1);
	ck_assert(!i.sandbox);
	ck_assert(!i.host_network);
	ck_assert_int_eq(i.st.state, KL_CSTATE_RUNNING);
	ck_assert_int_eq(i.st.pid, 4242);
	ck_assert_int_eq(i.st.started_ms, 1767323045123LL);
	ck_assert_int_eq(i.st.finished_ms, 0);
	ck_assert_str_eq(i.st.reason, "");
}
END_TEST

START_TEST(test_inspect_exits)
{
	struct kl_docker_info i;
	const char *t0 = "2026-01-02T03:04:05Z", *t1 = "2026-01-02T03:04:06.5Z";

	i = inspect("exited", 0, 0, "false", "", t0, t1);
	ck_assert_int_eq(i.st.state, KL_CSTATE_EXITED);
	ck_assert_str_eq(i.st.reason, "Completed");
	ck_assert_int_eq(i.st.finished_ms - i.st.started_ms, 1500);
	i = inspect("exited", 0, 137, "false", "", t0, t1);
	ck_assert_int_eq(i.st.exit_code, 137);
	ck_assert_str_eq(i.st.reason, "Error");
	i = inspect("exited", 0, 137, "true", "", t0, t1);
	ck_assert_str_eq(i.st.reason, "OOMKilled");
	i = inspect("dead", 0, 1, "false", "", t0, t1);
	ck_assert_int_eq(i.st.state, KL_CSTATE_EXITED);
	/* created and not started: still starting, or a start that failed */
	i = inspect("created", 0, 0, "false", "", ZERO, ZERO);
	ck_assert_int_eq(i.st.state, KL_CSTATE_CREATED);
	i = inspect("created", 0, 127, "false", "exec: \\\"nope\\\": executable file not found in $PATH", ZERO, ZERO);
	ck_assert_int_eq(i.st.state, KL_CSTATE_EXITED);
	ck_assert_int_eq(i.st.exit_code, 128);
	ck_assert_str_eq(i.st.reason, "StartError");
	ck_assert_ptr_nonnull(strstr(i.st.message, "executable file not found"));
}
END_TEST

START_TEST(test_inspect_ip_and_sandbox)
{
	const char *text = "{\"Name\":\"/mk8s_POD_web_default_u1_0\",\"State\":{\"Status\":\"running\"},"
			   "\"Config\":{\"Labels\":{\"io.kubernetes.pod.uid\":\"u1\",\"io.kubernetes.container.name\":\"POD\","
			   "\"io.minik8s.type\":\"sandbox\"}},\"HostConfig\":{\"NetworkMode\":\"pods\"},"
			   "\"NetworkSettings\":{\"IPAddress\":\"172.17.0.9\",\"Networks\":{\"pods\":{\"IPAddress\":\"10.9.0.3\"}}}}";
	struct kl_docker_info i;
	cJSON *j = NULL;

	ck_assert_int_eq(cm_json_parse(text, strlen(text), &j, NULL), 0);
	ck_assert_int_eq(kl_docker_parse_inspect(j, "pods", &i), 0);
	ck_assert(i.sandbox);
	ck_assert_str_eq(i.ip, "10.9.0.3");
	ck_assert_int_eq(kl_docker_parse_inspect(j, "bridge", &i), 0);
	ck_assert_str_eq(i.ip, "172.17.0.9"); /* not on that network: the default address */
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_inspect_not_ours)
{
	const char *text = "{\"Name\":\"/other\",\"State\":{\"Status\":\"running\"},\"Config\":{\"Labels\":{}}}";
	struct kl_docker_info i = {.attempt = 7};
	cJSON *j = NULL;

	ck_assert_int_eq(cm_json_parse(text, strlen(text), &j, NULL), 0);
	ck_assert_int_eq(kl_docker_parse_inspect(j, "bridge", &i), -EINVAL);
	ck_assert_int_eq(i.attempt, 7);
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_error_message)
{
	char m[64];
	const char *body = "{\"message\":\"No such image: nope:1\"}\n";

	kl_docker_error_message(body, strlen(body), m, sizeof(m));
	ck_assert_str_eq(m, "No such image: nope:1");
	kl_docker_error_message("plain text\n", 11, m, sizeof(m));
	ck_assert_str_eq(m, "plain text");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kl_docker_json");
	TCase *tc = tcase_create("docker_json");

	tcase_add_test(tc, test_name);
	tcase_add_test(tc, test_create_labels_env_mounts_resources);
	tcase_add_test(tc, test_create_no_limits_host_network);
	tcase_add_test(tc, test_command_and_args_over_the_image);
	tcase_add_test(tc, test_sandbox_body);
	tcase_add_test(tc, test_inspect_running);
	tcase_add_test(tc, test_inspect_exits);
	tcase_add_test(tc, test_inspect_ip_and_sandbox);
	tcase_add_test(tc, test_inspect_not_ours);
	tcase_add_test(tc, test_error_message);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
