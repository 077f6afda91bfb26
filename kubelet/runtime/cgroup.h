/* cgroup.h: a container's cgroup (v2, or v1 controllers where that is what the machine mounts): limits, join, kill. */
#ifndef KL_CGROUP_H
#define KL_CGROUP_H

#include <stdint.h>

#include "common/buf.h"

enum kl_cgroup_mode {
	KL_CGROUP_NONE = 0, /* no writable cgroup hierarchy: limits are not applied */
	KL_CGROUP_V1,
	KL_CGROUP_V2,
};

/*
 * Which hierarchy fsroot (normally "/sys/fs/cgroup") holds: v2 when it is
 * the unified mount with a memory controller, v1 when per-controller folders
 * (memory, cpu, pids) are there, NONE otherwise.
 */
enum kl_cgroup_mode kl_cgroup_detect(const char *fsroot);

struct kl_cgroup_limits {
	int64_t memory; /* bytes, 0 for none */
	int64_t cpu_m;  /* millicores, 0 for none */
	int64_t pids;   /* 0 for none */
};

/*
 * Makes the cgroup fsroot/<parent>/<name> (under each controller in v1) and
 * writes the limits. A limit whose controller is missing is skipped and
 * named in skipped (may be NULL), so the caller can log it once. Returns 0,
 * -ENOTSUP (mode NONE) or -errno of the first failed mkdir or write.
 */
int kl_cgroup_create(const char *fsroot, enum kl_cgroup_mode mode, const char *parent,
		     const char *name, const struct kl_cgroup_limits *lim, struct cm_buf *skipped);
/* Moves the calling process into the cgroup. 0 or -errno. */
int kl_cgroup_join(const char *fsroot, enum kl_cgroup_mode mode, const char *parent,
		   const char *name);
/* SIGKILLs every process in the cgroup; returns how many were signalled (>= 0) or -errno. */
int kl_cgroup_kill(const char *fsroot, enum kl_cgroup_mode mode, const char *parent,
		   const char *name);
/* Removes the (empty) cgroup. 0 or -errno (-EBUSY while processes remain). */
int kl_cgroup_remove(const char *fsroot, enum kl_cgroup_mode mode, const char *parent,
		     const char *name);

#endif
