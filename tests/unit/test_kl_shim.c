/* test_kl_shim.c: the container shim: argv and env, stdout/stderr to the CRI log, exit records, namespaces, volumes, cgroups. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/json.h"
#include "kubelet/runtime/cgroup.h"
#include "kubelet/runtime/shim.h"
#include "tests/lib/check_run.h"

static char dir[64];
static struct cm_buf logtext;

static void setup(void)
{
	strcpy(dir, "/tmp/kl-shim-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	cm_buf_init(&logtext);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
	cm_buf_close(&logtext);
}

/* dir/name in one of a few rotating buffers, so two paths can be alive at once. */
static char *path_in(const char *name)
{
	static char p[4][160];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void slurp(const char *path, struct cm_buf *out)
{
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	cm_buf_reset(out);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		cm_buf_append(out, chunk, (size_t)n);
	close(fd);
	if (!out->data)
		cm_buf_puts(out, "");
}

/* Runs the shim in a child process, as the runtime does, so its namespaces are not this process's. */
static int shim_in_child(void)
{
	pid_t p = fork();
	int st;

	if (p == 0)
		_exit(kl_shim_run(dir, -1) & 0xff);
	ck_assert_int_gt(p, 0);
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* Runs sh -c script through the shim with env and mounts; returns the exit code recorded. */
static int run_sh(const char *script, char **env, struct kl_mount *mounts, size_t n_mounts, bool no_ns,
		  struct kl_cgroup_limits *lim)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	char *empty[] = {NULL};
	struct kl_shim_spec s = {
		.argv = argv,
		.envp = env ? env : empty,
		.log_path = path_in("c.log"),
		.mounts = mounts,
		.n_mounts = n_mounts,
		.hostname = "podhost",
		.no_namespaces = no_ns,
	};
	char cgname[64];
	struct cm_buf ex = CM_BUF_INIT;
	cJSON *j = NULL;
	int code;

	if (lim) {
		snprintf(cgname, sizeof(cgname), "t%d", (int)getpid());
		s.cgroup_parent = "minik8s-test";
		s.cgroup_name = cgname;
		s.limits = *lim;
	}
	ck_assert_int_eq(kl_shim_spec_write(&s, path_in("config.json")), 0);
	code = shim_in_child();
	slurp(path_in("exit.json"), &ex);
	ck_assert_int_eq(cm_json_parse(ex.data, ex.len, &j, NULL), 0);
	ck_assert_int_eq(cm_json_int64_or(j, "exitCode", -1), code);
	cJSON_Delete(j);
	cm_buf_close(&ex);
	slurp(path_in("c.log"), &logtext);
	return code;
}

START_TEST(test_spec_roundtrip)
{
	char *argv[] = {"a", "b c", NULL}, *env[] = {"X=1", NULL};
	struct kl_mount m = {"/h", "/c", true};
	struct kl_shim_spec s = {.argv = argv, .envp = env, .log_path = "/l", .mounts = &m, .n_mounts = 1,
				 .working_dir = "/w", .limits = {100, 250, 7}};
	struct kl_shim_spec r;

	ck_assert_int_eq(kl_shim_spec_write(&s, path_in("config.json")), 0);
	ck_assert_int_eq(kl_shim_spec_read(path_in("config.json"), &r), 0);
	ck_assert_str_eq(r.argv[1], "b c");
	ck_assert_ptr_null(r.argv[2]);
	ck_assert_str_eq(r.envp[0], "X=1");
	ck_assert_str_eq(r.working_dir, "/w");
	ck_assert_str_eq(r.mounts[0].path, "/c");
	ck_assert(r.mounts[0].read_only);
	ck_assert_int_eq(r.limits.cpu_m, 250);
	ck_assert_int_eq(r.limits.pids, 7);
	kl_shim_spec_close(&r);
	ck_assert_int_eq(kl_shim_spec_read(path_in("nope.json"), &r), -ENOENT);
}
END_TEST

START_TEST(test_env_and_streams)
{
	char *env[] = {"GREETING=hello world", "EMPTY=", NULL};
	int code = run_sh("echo \"g=$GREETING e=[$EMPTY]\"; echo oops >&2; exit 3", env, NULL, 0, false, NULL);

	ck_assert_int_eq(code, 3);
	ck_assert_msg(strstr(logtext.data, " stdout F g=hello world e=[]\n"), "log: %s", logtext.data);
	ck_assert_msg(strstr(logtext.data, " stderr F oops\n"), "log: %s", logtext.data);
	ck_assert_msg(!strncmp(logtext.data, "20", 2) && strchr(logtext.data, 'Z'), "log: %s", logtext.data);
}
END_TEST

START_TEST(test_exit_zero_completed)
{
	struct cm_buf ex = CM_BUF_INIT;

	ck_assert_int_eq(run_sh("true", NULL, NULL, 0, false, NULL), 0);
	slurp(path_in("exit.json"), &ex);
	ck_assert_ptr_nonnull(strstr(ex.data, "\"Completed\""));
	cm_buf_close(&ex);
}
END_TEST

START_TEST(test_exec_failure_start_error)
{
	char *argv[] = {"/nonexistent/binary", NULL}, *env[] = {NULL};
	struct kl_shim_spec s = {.argv = argv, .envp = env, .log_path = path_in("c.log")};
	struct cm_buf ex = CM_BUF_INIT;

	ck_assert_int_eq(kl_shim_spec_write(&s, path_in("config.json")), 0);
	ck_assert_int_eq(shim_in_child(), 128);
	slurp(path_in("exit.json"), &ex);
	ck_assert_msg(strstr(ex.data, "\"StartError\""), "exit: %s", ex.data);
	slurp(path_in("c.log"), &logtext);
	ck_assert_ptr_nonnull(strstr(logtext.data, "exec /nonexistent/binary"));
	cm_buf_close(&ex);
}
END_TEST

/*
 * state.json names the shim (pid and start time) so the kubelet can tell a
 * container whose end is still being recorded from one whose shim died.
 */
START_TEST(test_state_names_the_shim)
{
	struct cm_buf st = CM_BUF_INIT;
	cJSON *j = NULL;

	ck_assert_int_eq(run_sh("true", NULL, NULL, 0, false, NULL), 0);
	slurp(path_in("state.json"), &st);
	ck_assert_int_eq(cm_json_parse(st.data, st.len, &j, NULL), 0);
	ck_assert_int_gt(cm_json_int64_or(j, "shimPid", 0), 0);
	ck_assert_int_ge(cm_json_int64_or(j, "shimStart", -1), 0);
	/* the shim ran in a child of this test, reaped since: it is no longer alive */
	ck_assert_int_eq(kl_proc_start((int)cm_json_int64_or(j, "shimPid", 0)), -1);
	cJSON_Delete(j);
	cm_buf_close(&st);
}
END_TEST

START_TEST(test_proc_start_of_live_zombie_and_gone)
{
	pid_t child = fork();
	long long self = kl_proc_start(getpid());
	siginfo_t si;

	if (child == 0)
		_exit(0);
	ck_assert_int_gt(self, 0);
	ck_assert_int_eq(kl_proc_start(getpid()), self); /* the same process, the same answer */
	/* a zombie is not alive: wait until the child has exited, without reaping it */
	ck_assert_int_eq(waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT), 0);
	ck_assert_int_eq(kl_proc_start(child), -1);
	waitpid(child, NULL, 0);
	ck_assert_int_eq(kl_proc_start(child), -1);
}
END_TEST

START_TEST(test_signal_by_outside_kill)
{
	/* a container killed by signal reports 128+n */
	ck_assert_int_eq(run_sh("kill -9 $$", NULL, NULL, 0, true, NULL), 137);
}
END_TEST

static bool can_unshare(int flag)
{
	pid_t p = fork();
	int st;

	if (p == 0)
		_exit(unshare(flag) == 0 ? 0 : 1);
	waitpid(p, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

START_TEST(test_namespaces_entered)
{
	struct cm_buf state = CM_BUF_INIT;

	if (!can_unshare(CLONE_NEWPID | CLONE_NEWUTS)) {
		fprintf(stderr, "test_namespaces_entered: SKIPPED: this kernel forbids unshare of PID/UTS namespaces\n");
		return;
	}
	/* the shim's init is pid 1 of the new namespace; the command its first child */
	ck_assert_int_eq(run_sh("echo pid=$$ host=$(cat /proc/sys/kernel/hostname)", NULL, NULL, 0, false, NULL), 0);
	ck_assert_msg(strstr(logtext.data, "stdout F pid=2 host=podhost"), "log: %s", logtext.data);
	slurp(path_in("state.json"), &state);
	ck_assert_msg(strstr(state.data, "pid,mnt,uts,ipc"), "state: %s", state.data);
	cm_buf_close(&state);
}
END_TEST

START_TEST(test_no_namespaces_shares_host)
{
	char expect[64];

	ck_assert_int_eq(run_sh("echo host=$(cat /proc/sys/kernel/hostname)", NULL, NULL, 0, true, NULL), 0);
	gethostname(expect, sizeof(expect));
	ck_assert_ptr_nonnull(strstr(logtext.data, expect));
}
END_TEST

START_TEST(test_volumes_bound_privately)
{
	struct cm_buf script = CM_BUF_INIT;
	struct kl_mount m = {0};
	char host[160], target[160];
	FILE *f;

	if (!can_unshare(CLONE_NEWNS)) {
		fprintf(stderr, "test_volumes_bound_privately: SKIPPED: no mount namespaces here\n");
		return;
	}
	snprintf(host, sizeof(host), "%s/vol", dir);
	snprintf(target, sizeof(target), "%s/mnt/config", dir);
	mkdir(host, 0755);
	f = fopen(path_in("vol/key"), "w");
	fputs("value-from-volume", f);
	fclose(f);
	m.host_path = host;
	m.path = target;
	m.read_only = true;
	cm_buf_printf(&script, "cat %s/key; echo; touch %s/new 2>/dev/null && echo writable || echo readonly",
		      target, target);
	ck_assert_int_eq(run_sh(script.data, NULL, &m, 1, false, NULL), 0);
	ck_assert_msg(strstr(logtext.data, "stdout F value-from-volume\n"), "log: %s", logtext.data);
	ck_assert_msg(strstr(logtext.data, "stdout F readonly\n"), "log: %s", logtext.data);
	/* the bind lived in the container's mount namespace only */
	ck_assert_int_ne(access(path_in("mnt/config/key"), F_OK), 0);
	cm_buf_close(&script);
}
END_TEST

START_TEST(test_cgroup_memory_limit)
{
	enum kl_cgroup_mode mode = kl_cgroup_detect("/sys/fs/cgroup");
	struct kl_cgroup_limits lim = {64 * 1024 * 1024, 500, 100};
	const char *script;

	if (mode == KL_CGROUP_NONE) {
		fprintf(stderr, "test_cgroup_memory_limit: SKIPPED: no writable cgroup hierarchy\n");
		return;
	}
	script = mode == KL_CGROUP_V2
			 ? "cat /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/memory.max"
			 : "cat /sys/fs/cgroup/memory$(grep :memory: /proc/self/cgroup | cut -d: -f3)/memory.limit_in_bytes";
	ck_assert_int_eq(run_sh(script, NULL, NULL, 0, false, &lim), 0);
	ck_assert_msg(strstr(logtext.data, "stdout F 67108864\n"), "log: %s", logtext.data);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kl_shim");
	TCase *tc = tcase_create("shim");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_spec_roundtrip);
	tcase_add_test(tc, test_env_and_streams);
	tcase_add_test(tc, test_exit_zero_completed);
	tcase_add_test(tc, test_exec_failure_start_error);
	tcase_add_test(tc, test_signal_by_outside_kill);
	tcase_add_test(tc, test_state_names_the_shim);
	tcase_add_test(tc, test_proc_start_of_live_zombie_and_gone);
	tcase_add_test(tc, test_namespaces_entered);
	tcase_add_test(tc, test_no_namespaces_shares_host);
	tcase_add_test(tc, test_volumes_bound_privately);
	tcase_add_test(tc, test_cgroup_memory_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
