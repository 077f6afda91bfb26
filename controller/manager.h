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
	struct cm_http_client_opts tls; /* CA and client certificate towards the apiservers (strings borrowed) */
	bool leader_elect;
	const char *identity;
	int64_t lease_ms, renew_ms, retry_ms;
	int workers; /* keys reconciled at once per controller */
	int64_t node_grace_ms;    /* --node-monitor-grace-period: unrenewed Lease → Ready=Unknown */
	int64_t eviction_ms;      /* --pod-eviction-timeout: NotReady this long → its pods are deleted */
	int64_t node_monitor_ms;  /* --node-monitor-period: how often nodes are checked */
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
	struct cm_informer *svcs, *eps, *nodes, *leases, *ds, *nss, *slices;
	struct ctl_replicaset *rsc;
	struct ctl_deployment *dc;
	struct ctl_endpoints *epc;
	struct ctl_endpointslice *esc;
	struct ctl_nodelife *nlc;
	struct ctl_gc *gc;
	struct ctl_namespace *nsc;
	struct ctl_daemonset *dsc;
	struct ctl_servicelb *slb;
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
	int posts, failed_posts; /* creates sent, and those refused (429 included) */
	/* Optional: called as the op ends, before the key is done (never once stopping). */
	void (*on_end)(struct ctl_op *op, void *ud);
	void *end_ud;
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

/* Endpoints: Services (trees, "ns" index) and their Endpoints, from pod and service events. */
int ctl_endpoints_start(struct ctl_manager *m, struct ctl_endpoints **out);
void ctl_endpoints_stop(struct ctl_endpoints *c);
void ctl_endpoints_pod_event(struct ctl_endpoints *c, const void *old_pod, const void *pod);
void ctl_endpoints_event(struct ctl_endpoints *c, const char *key);

/* EndpointSlices (discovery.k8s.io/v1, "ns" index): from pod, service and slice events. */
int ctl_endpointslice_start(struct ctl_manager *m, struct ctl_endpointslice **out);
void ctl_endpointslice_stop(struct ctl_endpointslice *c);
void ctl_endpointslice_pod_event(struct ctl_endpointslice *c, const void *old_pod, const void *pod);
void ctl_endpointslice_event(struct ctl_endpointslice *c, const char *key);
/* A slice changed or went away: its Service (if the slice is ours) is looked at again. */
void ctl_endpointslice_slice_event(struct ctl_endpointslice *c, const cJSON *slice);

/* Node lifecycle: a periodic check of every node's Lease; lease events note when each was renewed. */
int ctl_nodelife_start(struct ctl_manager *m, struct ctl_nodelife **out);
void ctl_nodelife_stop(struct ctl_nodelife *c);
void ctl_nodelife_lease_event(struct ctl_nodelife *c, const cJSON *old_lease, const cJSON *lease);

/* Garbage collector: dependents of owners that are gone, foreground and orphan finalizers. */
int ctl_gc_start(struct ctl_manager *m, struct ctl_gc **out);
void ctl_gc_stop(struct ctl_gc *c);
/* An owner (ReplicaSet, Deployment, DaemonSet tree) changed or went away. */
void ctl_gc_owner_event(struct ctl_gc *c, const char *kind, const cJSON *owner, int what);
/*
 * A dependent (kind "Pod": views; others: trees) was added (its owner is
 * checked), updated (old is its previous view) or deleted (an owner waiting
 * in foreground or orphan deletion is looked at again).
 */
void ctl_gc_dependent_event(struct ctl_gc *c, const char *kind, const void *old, const void *obj, int what);

/* Namespace: a terminating namespace is emptied, then its finalizer removed. */
int ctl_namespace_start(struct ctl_manager *m, struct ctl_namespace **out);
void ctl_namespace_stop(struct ctl_namespace *c);
void ctl_namespace_event(struct ctl_namespace *c, const char *key);

/* DaemonSet: a pod per eligible node. */
int ctl_daemonset_start(struct ctl_manager *m, struct ctl_daemonset **out);
void ctl_daemonset_stop(struct ctl_daemonset *c);
void ctl_daemonset_event(struct ctl_daemonset *c, const char *key);
void ctl_daemonset_pod_event(struct ctl_daemonset *c, const void *pod);
/* Every DaemonSet is looked at again (a node came, went or changed). */
void ctl_daemonset_node_event(struct ctl_daemonset *c);

/* Service load balancer: LoadBalancer Services get the Ready nodes' addresses as ingress. */
int ctl_servicelb_start(struct ctl_manager *m, struct ctl_servicelb **out);
void ctl_servicelb_stop(struct ctl_servicelb *c);
void ctl_servicelb_event(struct ctl_servicelb *c, const char *key);
/* Every LoadBalancer Service is looked at again (a node's readiness or address changed). */
void ctl_servicelb_node_event(struct ctl_servicelb *c);

/* The "ns" index function for tree views: metadata.namespace. */
const char *ctl_tree_ns(const void *obj);

enum { CTL_ADDED, CTL_UPDATED, CTL_DELETED };

#endif
