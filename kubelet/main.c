/* main.c: the kubelet daemon: flags, logging, runtime, loop, start, stop on SIGTERM. */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "common/flags.h"
#include "common/err.h"
#include "common/log.h"
#include "common/signals.h"
#include "kubelet/image/cmd.h"
#include "kubelet/kubelet.h"

struct stopper {
	struct cm_signals signals;
	struct kl_server *s;
};

/* The server stops; pods keep running, as a real kubelet leaves them: a restarted kubelet adopts them. */
static void on_stop(void *ud)
{
	struct stopper *st = ud;

	cm_info("stopping (containers keep running)");
	cm_signals_close(&st->signals);
	kl_runtime_shutdown(st->s->rt);
	kl_server_close(st->s, NULL, NULL);
}

/* A child tries a network namespace: the kubelet itself never moves. */
static bool netns_works(void)
{
	int st = 0;
	pid_t p = fork();

	if (p == 0)
		_exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
	return p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Resolves --pod-network=auto; bridge needs root, network namespaces and the process runtime. */
static int pick_network(struct kl_config *cfg, const char *runtime)
{
	bool can = geteuid() == 0 && !strcmp(runtime, "process") && netns_works();

	if (!strcmp(runtime, "docker")) {
		/* docker gives pods their network (--docker-network); host is the only alternative */
		if (!strcmp(cfg->pod_network, "auto"))
			cfg->pod_network = "docker";
		if (strcmp(cfg->pod_network, "docker") && strcmp(cfg->pod_network, "host")) {
			fprintf(stderr, "kubelet: the docker runtime takes --pod-network=host or auto (--docker-network)\n");
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(cfg->pod_network, "auto")) {
		cfg->pod_network = can ? "bridge" : "host";
		return 0;
	}
	if (!strcmp(cfg->pod_network, "host"))
		return 0;
	if (strcmp(cfg->pod_network, "bridge")) {
		fprintf(stderr, "kubelet: unknown --pod-network %s (bridge, host or auto)\n", cfg->pod_network);
		return -EINVAL;
	}
	if (!can) {
		fprintf(stderr, "kubelet: --pod-network=bridge needs root, network namespaces and the process runtime\n");
		return -EPERM;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *default_master[] = {"http://127.0.0.1:8080"};
	struct cm_strlist masters = {default_master, 1, 0};
	struct cm_http_client_opts tls = {0};
	struct kl_config cfg = {.node_ip = "127.0.0.1", .bind_address = "0.0.0.0",
				.port = 10250, .root_dir = "/var/lib/minik8s/kubelet", .pod_network = "auto", .pod_bridge = "mk8s0",
				.lease_duration_s = 40, .renew_interval_ms = 10000, .sync_interval_ms = 200,
				.backoff_base_ms = 10000, .backoff_cap_ms = 300000, .max_pods = 110,
				.cluster_dns = "", .cluster_domain = "cluster.local", .anonymous_auth = true};
	const char *authz_mode = "AlwaysAllow";
	struct kl_process_opts popts = {0};
	struct kl_docker_opts dopts = {.endpoint = "unix:///var/run/docker.sock", .network = "bridge",
				       .infra_image = "minik8s:latest"};
	const char *runtime = "process", *node = NULL;
	char host[256] = "", self[PATH_MAX], echo[PATH_MAX + 16];
	bool allow_host = false;
	int v = 0, nargs, rc;
	ssize_t n;
	struct kl_runtime *rt = NULL;
	struct kl_server *s = NULL;
	uv_loop_t loop;
	struct stopper stop = {0};
	const struct cm_flag flags[] = {
		{"master", CM_FLAG_LIST, &masters, "apiserver URLs, tried in turn when one fails"},
		CM_API_TLS_FLAGS(&tls),
		{"hostname-override", CM_FLAG_STRING, &node, "the node's name (default: the hostname)"},
		{"node-ip", CM_FLAG_STRING, &cfg.node_ip, "the node's address (pods use it with --pod-network=host)"},
		{"bind-address", CM_FLAG_STRING, &cfg.bind_address, "the kubelet API's address"},
		{"port", CM_FLAG_INT, &cfg.port, "the kubelet API's port (0: any)"},
		{"root-dir", CM_FLAG_STRING, &cfg.root_dir, "the kubelet's state: pods, containers, logs"},
		{"container-runtime", CM_FLAG_STRING, &runtime, "process, docker or fake"},
		{"docker-endpoint", CM_FLAG_STRING, &dopts.endpoint, "the Docker Engine API (unix:///path or tcp://host:port)"},
		{"docker-network", CM_FLAG_STRING, &dopts.network, "the docker network pods join (docker runtime)"},
		{"pod-infra-container-image", CM_FLAG_STRING, &dopts.infra_image,
		 "the image of pods' sandbox containers (docker runtime)"},
		{"image-dir", CM_FLAG_STRING, &popts.image_dir, "image store: <dir>/<image>/rootfs"},
		{"allow-host-images", CM_FLAG_BOOL, &allow_host,
		 "run images missing from --image-dir as their command on the host filesystem (unsafe; for tests)"},
		{"echoserver-path", CM_FLAG_STRING, &popts.echoserver_path,
		 "the binary the echoserver image runs (default: echoserver beside this binary)"},
		{"cgroup-name", CM_FLAG_STRING, &popts.cgroup_name, "the parent cgroup of containers"},
		{"pod-network", CM_FLAG_STRING, &cfg.pod_network,
		 "bridge (a namespace, veth and IP per pod), host, or auto: bridge as root where namespaces work"},
		{"pod-bridge", CM_FLAG_STRING, &cfg.pod_bridge, "the node's bridge in bridge mode"},
		{"cluster-dns", CM_FLAG_STRING, &cfg.cluster_dns, "the pods' nameserver under dnsPolicy ClusterFirst (kubeproxy's DNS)"},
		{"cluster-domain", CM_FLAG_STRING, &cfg.cluster_domain, "the cluster's DNS domain"},
		{"node-lease-duration", CM_FLAG_INT64, &cfg.lease_duration_s, "the Lease's duration, seconds"},
		{"node-status-update-frequency", CM_FLAG_DURATION, &cfg.renew_interval_ms, "lease and status heartbeat"},
		{"sync-frequency", CM_FLAG_DURATION, &cfg.sync_interval_ms, "the pod workers' tick"},
		{"restart-backoff", CM_FLAG_DURATION, &cfg.backoff_base_ms, "first restart back-off (doubles to 5 min)"},
		{"max-pods", CM_FLAG_INT64, &cfg.max_pods, "pods capacity"},
		{"cpu-capacity-milli", CM_FLAG_INT64, &cfg.capacity_cpu_m, "cpu capacity in millicores (0: the machine's)"},
		{"memory-capacity", CM_FLAG_INT64, &cfg.capacity_memory, "memory capacity in bytes (0: the machine's)"},
		{"tls-cert-file", CM_FLAG_STRING, &cfg.tls_cert_file, "certificate (PEM) of the kubelet API: HTTPS with the key"},
		{"tls-private-key-file", CM_FLAG_STRING, &cfg.tls_key_file, "private key (PEM) of the kubelet API"},
		{"client-ca-file", CM_FLAG_STRING, &cfg.client_ca_file,
		 "CA bundle verifying client certificates (CN user, O groups) on the kubelet API"},
		{"anonymous-auth", CM_FLAG_BOOL, &cfg.anonymous_auth,
		 "requests without a verified client certificate are system:anonymous (false: 401)"},
		{"authorization-mode", CM_FLAG_STRING, &authz_mode,
		 "AlwaysAllow, or Webhook: only system:masters and the apiserver's kubelet client (kube-apiserver-kubelet-client)"},
		{"v", CM_FLAG_INT, &v, "log verbosity"},
	};

	if (argc > 1 && !strcmp(argv[1], "images"))
		return kl_images_main(argc - 1, argv + 1, stdout, stderr);
	cm_flags_parse_or_exit(flags, sizeof(flags) / sizeof(flags[0]), "kubelet [flags] | kubelet images ...", argc,
			       argv, &nargs);
	if (strcmp(authz_mode, "AlwaysAllow") && strcmp(authz_mode, "Webhook")) {
		fprintf(stderr, "kubelet: unknown --authorization-mode %s (AlwaysAllow or Webhook)\n", authz_mode);
		return 2;
	}
	cfg.authz_webhook = !strcmp(authz_mode, "Webhook");
	if (!cfg.tls_cert_file != !cfg.tls_key_file || (cfg.client_ca_file && !cfg.tls_cert_file)) {
		fprintf(stderr, "kubelet: --tls-cert-file and --tls-private-key-file go together, and --client-ca-file needs them\n");
		return 2;
	}
	cm_log_init("kubelet", v);
	gethostname(host, sizeof(host) - 1);
	cfg.node_name = node && *node ? node : host;
	cfg.masters = masters.items;
	cfg.nmasters = masters.n;
	cfg.api_tls = &tls;
	if ((rc = pick_network(&cfg, runtime)) < 0)
		return 2;
	if (!popts.echoserver_path && (n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		snprintf(echo, sizeof(echo), "%s/echoserver", self);
		popts.echoserver_path = echo;
	}
	popts.root_dir = cfg.root_dir;
	popts.allow_host_images = allow_host;
	if (allow_host)
		cm_warn("--allow-host-images: images not in the store run their command on the host filesystem");
	uv_loop_init(&loop);
	dopts.root_dir = cfg.root_dir;
	dopts.node_name = cfg.node_name;
	dopts.host_network_only = !strcmp(cfg.pod_network, "host");
	if (!strcmp(runtime, "fake"))
		rc = kl_runtime_fake_new(&rt);
	else if (!strcmp(runtime, "docker"))
		rc = kl_runtime_docker_new(&loop, &dopts, &rt);
	else if (!strcmp(runtime, "process"))
		rc = kl_runtime_process_new(&popts, &rt);
	else {
		fprintf(stderr, "kubelet: unknown --container-runtime %s (process, docker or fake)\n", runtime);
		return 2;
	}
	if (rc < 0) {
		cm_error("runtime %s: %s%s%s", runtime, cm_strerror(rc), strcmp(runtime, "docker") ? "" : " at ",
			 strcmp(runtime, "docker") ? "" : dopts.endpoint);
		uv_loop_close(&loop);
		return 1;
	}
	if ((rc = kl_server_new(&loop, &cfg, rt, &s)) < 0) {
		cm_error("kubelet start failed: %s", cm_strerror(rc));
		kl_runtime_free(rt);
		return 1;
	}
	stop.s = s;
	if (cm_signals_start(&stop.signals, &loop, on_stop, &stop))
		cm_warn("cannot watch SIGTERM and SIGINT: stop me with SIGKILL");
	cm_info("node %s: kubelet ready on port %d (runtime %s, network %s)", cfg.node_name, kl_server_port(s),
		rt->ops->name, cfg.pod_network);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	kl_runtime_free(rt);
	cm_strlist_close(&masters);
	cm_info("stopped");
	return 0;
}
