/* resources.h: the table of resources the apiserver serves, and the strategy hooks each one plugs in. */
#ifndef API_RESOURCES_H
#define API_RESOURCES_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "apiserver/field_error.h"
#include "apiserver/validate.h"
#include "common/buf.h"

enum {
	API_SUB_STATUS = 1 << 0,
	API_SUB_SCALE = 1 << 1,
	API_SUB_BINDING = 1 << 2,
	API_SUB_LOG = 1 << 3,
	API_SUB_FINALIZE = 1 << 4,
	API_SUB_TOKEN = 1 << 5,
	API_SUB_EXEC = 1 << 6,
};

/* Address ranges the strategies allocate from (parsed from flags). */
struct api_ranges {
	uint32_t svc_base;  /* --service-cluster-ip-range network, host order */
	int svc_bits;       /* its prefix length */
	uint32_t pod_base;  /* --cluster-cidr network */
	int pod_bits;
};

/*
 * Keys a write must take (absent before, written in the same transaction)
 * and release (deleted in it). user_chosen: a taken key is the client's
 * error (422), not a reason to draw again.
 */
#define API_ALLOC_MAX 24
struct api_alloc {
	char *take[API_ALLOC_MAX];
	int ntake;
	char *release[API_ALLOC_MAX];
	int nrelease;
	bool user_chosen;
	char *taken_field; /* the field to blame when a user-chosen key is taken */
	char *taken_value;
};
void api_alloc_close(struct api_alloc *a);
/* Appends a key built by printf; 0 or -ENOMEM (-ENOSPC past API_ALLOC_MAX). */
int api_alloc_take(struct api_alloc *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int api_alloc_release(struct api_alloc *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What a strategy sees of the server: ranges and a random source. */
struct api_strategy_env {
	const struct api_ranges *ranges;
	uint64_t (*rand)(void *ud);
	void *rand_ud;
};

/*
 * Per-resource behaviour. Every hook may be NULL. obj is the whole object
 * being written (edited in place); old the stored object on update (NULL on
 * create). Errors go to errs; a hook returns -ENOMEM only.
 */
struct api_strategy {
	/* Defaults and server-owned fields on create (e.g. a pod's status phase). */
	int (*prepare_create)(cJSON *obj, const struct api_strategy_env *env);
	/* On update of the main resource: fields the main resource may not change (status). */
	int (*prepare_update)(cJSON *obj, const cJSON *old);
	/* Resource-specific checks; old is NULL on create. */
	void (*validate)(const cJSON *obj, const cJSON *old, struct api_ferrs *errs);
	/* Allocations (cluster IPs, node ports, pod CIDRs) for a create (old NULL) or an update. */
	int (*allocate)(cJSON *obj, const cJSON *old, const struct api_strategy_env *env, struct api_alloc *a,
			struct api_ferrs *errs);
	/* Keys freed when obj is deleted. */
	int (*release)(const cJSON *obj, const struct api_strategy_env *env, struct api_alloc *a);
	/* Table: extra column definitions (JSON array text) and cells for one object. */
	const char *columns;
	int (*cells)(const cJSON *obj, cJSON *cells, int64_t now_ms);
};

struct api_resource {
	int index;
	const char *group;   /* "" for the core group */
	const char *version; /* "v1" */
	const char *plural, *singular, *kind;
	bool namespaced;
	const char *short_names[3];
	bool in_all; /* category "all" */
	unsigned subresources;
	enum api_name_rule name_rule;
	const struct api_strategy *strategy;
};

#define API_NRES 21
extern const struct api_resource api_resources[API_NRES];

/* The resource by group ("" core) and plural, or NULL. */
const struct api_resource *api_resource_find(const char *group, const char *version, const char *plural);
/* The fields ?fieldSelector= may name for r besides metadata.name/namespace (NULL-terminated, static). */
const char *const *api_resource_field_labels(const struct api_resource *r);
/* "apps/v1" or "v1", into out. */
int api_resource_api_version(const struct api_resource *r, struct cm_buf *out);
/* "/registry/pods/" + ns + "/" + name; ns and name may be NULL for prefixes. */
int api_resource_key(const struct api_resource *r, const char *ns, const char *name, struct cm_buf *out);

/* Strategies defined in strategy_*.c. */
extern const struct api_strategy api_strategy_pod, api_strategy_service, api_strategy_node,
	api_strategy_deployment, api_strategy_replicaset, api_strategy_daemonset, api_strategy_namespace,
	api_strategy_event, api_strategy_endpoints, api_strategy_endpointslice,
	api_strategy_generic;

#endif
