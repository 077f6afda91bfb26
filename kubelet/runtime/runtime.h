/* runtime.h: the kubelet's container runtime interface; backends are chosen by --container-runtime. */
#ifndef KL_RUNTIME_H
#define KL_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/buf.h"

/*
 * The kubelet speaks to containers only through this table. A container is
 * named by an id the backend makes ("<pod uid>/<name>/<attempt>" for the
 * process backend) and survives the kubelet: a restarted kubelet finds it
 * again with list(). Every call is synchronous and short (no waiting on a
 * container): the pod worker polls status on its tick.
 */

/* One bind of a host path into the container at path. */
struct kl_mount {
	const char *host_path;
	const char *path;
	bool read_only;
};

/* An environment variable, already resolved (valueFrom is the kubelet's job). */
struct kl_env {
	const char *name;
	const char *value;
};

/* What a container is started from; everything is borrowed for the call. */
struct kl_container_config {
	const char *pod_uid;
	const char *pod_namespace;
	const char *pod_name;
	const char *name;     /* the container's name in the pod */
	int attempt;          /* 0 for the first start, +1 per restart */
	const char *image;
	const char *const *command; /* NULL-terminated: the container's command, then its args; may be empty */
	size_t n_command;           /* how many leading entries are its command: those replace the image's
				       Entrypoint (and Cmd); the rest, its args, replace only the Cmd */
	const struct kl_env *env;
	size_t n_env;
	const char *working_dir; /* NULL: the image's WorkingDir, or the pod's directory on the host */
	const struct kl_mount *mounts;
	size_t n_mounts;
	int64_t memory_limit; /* bytes, 0 for none */
	int64_t cpu_limit_m;  /* millicores, 0 for none */
	int64_t pids_limit;   /* 0 for none */
	const char *netns_path; /* the pod's network namespace, NULL to share the host's */
	const char *hostname;   /* set in a new UTS namespace; NULL leaves it */
	/* For backends that lay the spec over an image's config (docker); the others ignore them. */
	const char *pull_policy;               /* "Always", "IfNotPresent", "Never"; NULL: IfNotPresent */
	const char *const *spec_command;       /* the spec's command as written, NULL when absent */
	const char *const *spec_args;          /* the spec's args as written, NULL when absent */
};

struct kl_sandbox_config {
	const char *pod_uid;
	const char *pod_namespace;
	const char *pod_name;
	bool host_network;
	const char *hostname; /* the pod's (spec.hostname, else its name); NULL: its name */
};

/* A pod's sandbox: owned strings, freed by kl_sandbox_close. */
struct kl_sandbox {
	char *dir;        /* the pod's state directory (volumes live below it) */
	char *netns_path; /* NULL when the pod shares the host's network */
	char *ip;         /* NULL: the kubelet uses the node's address */
};
void kl_sandbox_close(struct kl_sandbox *sb);

enum kl_cstate {
	KL_CSTATE_UNKNOWN = 0, /* no such container (or its state was lost) */
	KL_CSTATE_RUNNING,
	KL_CSTATE_EXITED,
	KL_CSTATE_CREATED,     /* started, but its shim has not reported it running yet */
};

struct kl_container_status {
	enum kl_cstate state;
	int pid;              /* the container's init process (host view), 0 if none */
	int exit_code;        /* valid when EXITED; 128+n for death by signal n */
	int64_t started_ms;   /* wall clock */
	int64_t finished_ms;
	char reason[32];      /* "Completed", "Error", "StartError", "OOMKilled" */
	char message[256];
};

/* The end of an exec: the command's exit code (>= 0) or a negative errno (-ETIMEDOUT, -ECANCELED). */
typedef void (*kl_runtime_exec_cb)(int code, void *ud);

/* Called per container found by list(); strings are borrowed for the call. */
typedef void (*kl_runtime_list_cb)(const char *pod_uid, const char *name, int attempt,
				   const char *id, void *ud);

struct kl_runtime;

struct kl_runtime_ops {
	const char *name;
	/* Makes the pod's directory and network; out owned by the caller. 0 or -errno. */
	int (*sandbox_create)(struct kl_runtime *rt, const struct kl_sandbox_config *cfg,
			      struct kl_sandbox *out);
	/*
	 * Optional: whether the sandbox sandbox_create made for the pod still
	 * stands. 0, or -ESTALE when it died (and the pod's network with it): the
	 * kubelet then makes it again with sandbox_create, which first stops the
	 * pod's containers left in the dead one, so that they start again in the
	 * new one, as Kubernetes' kubelet does when a pod's sandbox changed.
	 */
	int (*sandbox_check)(struct kl_runtime *rt, const char *pod_uid);
	/* Removes what sandbox_create made; containers must be gone. 0 or -errno. */
	int (*sandbox_remove)(struct kl_runtime *rt, const char *pod_uid);
	/*
	 * Starts a container without waiting for it to run (status says CREATED
	 * until it does); *id_out (malloc'd, the caller's) names it. 0,
	 * -ENOENT when the image is not available (the caller reports
	 * ErrImageNeverPull), -EEXIST when that attempt exists, or -errno.
	 * Backends with a registry also return -EINPROGRESS while the image is
	 * being fetched (call again later) and -EREMOTEIO when the pull failed
	 * (last_error says why).
	 */
	int (*container_start)(struct kl_runtime *rt, const struct kl_container_config *cfg,
			       char **id_out);
	/* Sends sig to the container's processes (SIGKILL: all of them). 0, -ENOENT, -errno. */
	int (*container_signal)(struct kl_runtime *rt, const char *id, int sig);
	/* Fills *out. 0 or -ENOENT (out then says UNKNOWN). */
	int (*container_status)(struct kl_runtime *rt, const char *id, struct kl_container_status *out);
	/* Forgets an exited container (its log stays until the pod goes). 0 or -errno. */
	int (*container_remove)(struct kl_runtime *rt, const char *id);
	/* Appends the path of the container's CRI-format log file to out. 0 or -ENOENT. */
	int (*log_path)(struct kl_runtime *rt, const char *id, struct cm_buf *out);
	/*
	 * Optional: appends the log file of container name's latest attempt
	 * before attempt in pod pod_uid still on disk, found from the files (a
	 * restarted kubelet's logs --previous). 0, -ENOENT (none), -EINVAL,
	 * -ENOMEM.
	 */
	int (*log_path_before)(struct kl_runtime *rt, const char *pod_uid, const char *name, int attempt,
			       struct cm_buf *out);
	/* Calls cb for every container the runtime holds, running or not. 0 or -errno. */
	int (*list)(struct kl_runtime *rt, kl_runtime_list_cb cb, void *ud);
	void (*free)(struct kl_runtime *rt);
	/* Optional: appends why the last container_start failed (a registry's message). 0 or -ENOENT. */
	int (*last_error)(struct kl_runtime *rt, struct cm_buf *out);
	/*
	 * Optional (NULL: the kubelet enters the container's namespaces itself):
	 * runs argv (NULL-terminated, copied) in the running container; done is
	 * called once, later, from the loop. 0, or -ENOENT / -errno and done is
	 * never called.
	 */
	int (*exec)(struct kl_runtime *rt, const char *id, const char *const *argv, int64_t timeout_ms,
		    kl_runtime_exec_cb done, void *ud);
	/* Optional: closes the backend's loop handles so the loop can end; free still follows. */
	void (*shutdown)(struct kl_runtime *rt);
	/*
	 * Optional: sandbox_remove made to run on any thread while the loop
	 * runs on (it touches only the file system and the backend's fixed
	 * settings). The kubelet then calls sandbox_release (if any) on the
	 * loop and this on the thread pool instead of sandbox_remove, so a
	 * pod's folder removal does not hold the loop.
	 */
	int (*sandbox_remove_any_thread)(struct kl_runtime *rt, const char *pod_uid);
	/*
	 * Optional, beside sandbox_remove_any_thread: the part of sandbox_remove
	 * that must run on the loop (an engine's calls), called there first.
	 * After it the backend writes nothing more in the pod's folder.
	 */
	void (*sandbox_release)(struct kl_runtime *rt, const char *pod_uid);
};

struct kl_runtime {
	const struct kl_runtime_ops *ops;
	void *impl;
};

/* Options of the process backend. Strings are copied. */
struct kl_process_opts {
	const char *root_dir;       /* state: <root>/pods/<uid>/... */
	const char *image_dir;      /* image store (kubelet/image/store.h); may be NULL */
	const char *echoserver_path; /* the binary the "echoserver" image runs on the host */
	bool allow_host_images;     /* run other images' commands on the host filesystem */
	const char *cgroup_name;    /* parent cgroup name; "minik8s" if NULL */
	bool host_network_only;     /* never make network namespaces */
};

/*
 * The process backend: every container a process tree started through the
 * shim (kubelet/runtime/shim.h). Returns 0 and *out (free with
 * kl_runtime_free), -EINVAL (no root_dir) or -ENOMEM / -errno making root_dir.
 */
int kl_runtime_process_new(const struct kl_process_opts *opts, struct kl_runtime **out);

/*
 * The fake backend: containers are records that "run" until signalled or
 * told to exit with kl_runtime_fake_exit. For unit tests and hollow nodes.
 */
int kl_runtime_fake_new(struct kl_runtime **out);
/* Makes the fake container id exit with code. 0 or -ENOENT. */
int kl_runtime_fake_exit(struct kl_runtime *rt, const char *id, int code);
/* How many fake containers are running now. */
int kl_runtime_fake_running(const struct kl_runtime *rt);

/* Options of the docker backend. Strings are copied. */
struct kl_docker_opts {
	const char *endpoint;    /* unix:///var/run/docker.sock (default) or tcp://host:port */
	const char *network;     /* the docker network pods join; "bridge" if NULL */
	const char *root_dir;    /* the kubelet's state: pods' volumes and logs under <root>/pods/<uid> */
	const char *node_name;   /* labels every container: other kubelets' containers are left alone */
	const char *infra_image; /* the sandbox's image; "minik8s:latest" if NULL */
	bool host_network_only;  /* every pod in the host's network */
};

/*
 * The docker backend: the Docker Engine API on loop through the common HTTP
 * client. Lists this node's containers before it returns (running the loop
 * for up to 15 s), so that list() adopts them. Returns 0 and *out, -EINVAL,
 * -ENOMEM, or the transport error when the engine does not answer.
 */
int kl_runtime_docker_new(uv_loop_t *loop, const struct kl_docker_opts *opts, struct kl_runtime **out);

/*
 * Where the backends that write logs keep them, one file per attempt, as
 * Kubernetes' /var/log/pods/<pod>/<container>/<N>.log:
 * <pods_root>/<pod_uid>/logs/<name>/<attempt>.log, appended to out. 0,
 * -EINVAL (pod_uid or name is not one path segment) or -ENOMEM.
 */
int kl_runtime_log_file(const char *pods_root, const char *pod_uid, const char *name, int attempt,
			struct cm_buf *out);
/*
 * The log_path_before op over that layout: the file of the highest attempt
 * below attempt in name's folder, appended to out. 0, -ENOENT (none),
 * -EINVAL or -ENOMEM. Reads the folder: not for a hot path.
 */
int kl_runtime_log_before(const char *pods_root, const char *pod_uid, const char *name, int attempt,
			  struct cm_buf *out);

/* Calls the backend's shutdown if it has one (the kubelet stops); NULL does nothing. */
void kl_runtime_shutdown(struct kl_runtime *rt);

/* Frees a runtime of any backend; NULL does nothing. Containers keep running. */
void kl_runtime_free(struct kl_runtime *rt);

#endif
