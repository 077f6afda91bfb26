/* manager.h: the controller-manager: shared API client, informers, events and leader election for every controller. */
#ifndef CTL_MANAGER_H
#define CTL_MANAGER_H

#include <stdbool.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "common/apiclient.h"
#include "common/events.h"
#include "common/flags.h"
#include "common/informer.h"
#include "common/workqueue.h"

struct ctl_config {
	struct cm_strlist servers;
	bool leader_elect;
	const char *identity;
	int64_t lease_ms, renew_ms, retry_ms;
	int workers; /* keys reconciled at once per controller */
};

/*
 * Informers are shared: one watch per resource for all controllers. Pods are
 * cached as struct cm_pod views indexed by owner uid ("owner") and node
 * ("node"); ReplicaSets and Deployments as JSON trees (they are few, and a
 * ReplicaSet's pod template is JSON to send back anyway), indexed by owner.
 */
struct ctl_manager {
	const struct ctl_config *cfg;
	uv_loop_t *loop;
	struct cm_api *api;
	struct cm_events *events;
	struct cm_leader *leader;
	struct cm_informer *pods, *rs, *deploys;
	struct ctl_replicaset *rsc;
	struct ctl_deployment *dc;
	bool active, stopping, lost;
	char identity[128];
};

/* A reconcile in progress: done(key) runs when the last write it started answers. */
struct ctl_op {
	struct cm_workqueue *q;
	char *key;
	int pending;
	int err;
	bool *stopping; /* the manager's flag: no done once stopping */
};

void ctl_config_defaults(struct ctl_config *cfg);
int ctl_manager_start(uv_loop_t *loop, const struct ctl_config *cfg, struct ctl_manager **out);
void ctl_manager_stop(struct ctl_manager *m);
void ctl_manager_free(struct ctl_manager *m);

/* Starts an op for key (copied); NULL on -ENOMEM (then done is called with -ENOMEM). */
struct ctl_op *ctl_op_new(struct ctl_manager *m, struct cm_workqueue *q, const char *key);
/* Drops the reference the reconcile holds; the op ends when its writes have answered too. */
void ctl_op_release(struct ctl_op *op);
/*
 * Sends a write counted in op: method path with j (may be NULL) as JSON or,
 * for PATCH, as a merge patch. A status >= 300 (other than 404 on DELETE and
 * 409 on create) fails the op, which is then retried with back-off.
 */
void ctl_op_write(struct ctl_manager *m, struct ctl_op *op, const char *method, const char *path,
		  const cJSON *j);

/* The uid of obj's controller ownerReference (index function for tree views), or NULL. */
const char *ctl_owner_uid(const void *obj);
/* The "namespace/name" key of the controller owner of kind, into out; 0 or -ENOENT. */
int ctl_owner_key(const struct cm_informer *owners, const char *ns, const char *kind, const char *owner_kind,
		  const char *owner_name, struct cm_buf *out);
/* A new ownerReferences array naming obj (apiVersion, kind) as controller. NULL on -ENOMEM. */
cJSON *ctl_owner_refs(const cJSON *obj, const char *api_version, const char *kind);

int ctl_replicaset_start(struct ctl_manager *m, struct ctl_replicaset **out);
void ctl_replicaset_stop(struct ctl_replicaset *c);
/* Pod and ReplicaSet events, dispatched by the manager. */
void ctl_replicaset_pod_event(struct ctl_replicaset *c, const void *old_pod, const void *pod, int what);
void ctl_replicaset_rs_event(struct ctl_replicaset *c, const char *key);

int ctl_deployment_start(struct ctl_manager *m, struct ctl_deployment **out);
void ctl_deployment_stop(struct ctl_deployment *c);
void ctl_deployment_rs_event(struct ctl_deployment *c, const cJSON *rs);
void ctl_deployment_event(struct ctl_deployment *c, const char *key);

enum { CTL_ADDED, CTL_UPDATED, CTL_DELETED };

#endif
