/* shim.h: the container shim: one process per container that makes its namespaces, cgroup and mounts, runs it and logs it. */
#ifndef KL_SHIM_H
#define KL_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kubelet/runtime/cgroup.h"
#include "kubelet/runtime/runtime.h"

/*
 * The process backend writes a container's spec as JSON to <dir>/config.json
 * and starts a shim in a session of its own, so the container outlives a
 * kubelet that dies. The shim:
 *   - makes the cgroup and writes the limits,
 *   - unshares PID, mount, UTS and IPC namespaces (each where the kernel
 *     allows; those it got are recorded), joins the pod's network namespace,
 *   - forks the container's init: pid 1 of the new PID namespace, which
 *     mounts the volumes, enters the root filesystem (pivot_root, or chroot
 *     when that fails), forks the command and forwards signals to it,
 *   - copies the command's stdout and stderr into the CRI log file,
 *   - writes <dir>/state.json {pid, startedMs, namespaces, cgroup, shimPid,
 *     shimStart} once init runs, and <dir>/exit.json {exitCode, reason,
 *     message, finishedMs} when it ends; its own diagnostics go to
 *     <dir>/shim.log.
 * Signalling the init's process group reaches the whole container.
 */

/* A container spec as the shim reads it; every string is owned. */
struct kl_shim_spec {
	char **argv; /* NULL-terminated */
	char **envp; /* NULL-terminated "NAME=value" */
	char *working_dir;
	char *rootfs; /* NULL: the host's filesystem */
	struct kl_mount *mounts; /* host_path and path owned */
	size_t n_mounts;
	char *netns_path;
	char *hostname;
	char *log_path;
	char *cgroup_parent;
	char *cgroup_name;
	struct kl_cgroup_limits limits;
	bool has_user;      /* run the command as uid:gid (the image's User), not as the shim's user */
	uint32_t uid, gid;
	bool no_namespaces; /* tests: run without any new namespace */
};

/* Frees the strings of spec; spec itself is the caller's. */
void kl_shim_spec_close(struct kl_shim_spec *spec);
/* Writes spec as JSON to path (atomically: a temp file renamed). 0 or -errno. */
int kl_shim_spec_write(const struct kl_shim_spec *spec, const char *path);
/* Reads path into *out (to close with kl_shim_spec_close). 0, -ENOENT, -EINVAL or -ENOMEM. */
int kl_shim_spec_read(const char *path, struct kl_shim_spec *out);

/*
 * Runs the container described by <dir>/config.json in the calling process
 * (the shim) until it ends; returns the exit code written to exit.json, or a
 * negative errno when the spec cannot be read. ready_fd (or -1) is closed
 * once state.json is written or the start failed, to let the starter wait.
 */
int kl_shim_run(const char *dir, int ready_fd);

/*
 * The start time of a live process (clock ticks since boot, /proc/PID/stat's
 * 22nd field), or -1 when it is gone or a zombie: with its pid it names one
 * process, never a later one that reused the pid.
 */
long long kl_proc_start(int pid);

#endif
