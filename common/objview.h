/* objview.h: small typed views of pods and nodes, read from API objects for the code that decides. */
#ifndef CM_OBJVIEW_H
#define CM_OBJVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/*
 * The scheduler, the controllers and the hollow nodes keep thousands of
 * these instead of whole JSON trees. Every string is owned by the view
 * ("" when absent, never NULL); cJSON members are owned copies (NULL when
 * absent). Free a view with its _free function.
 */
struct cm_meta {
	char *name, *ns, *uid, *rv;
	int64_t generation;
	bool deleting;      /* deletionTimestamp set */
	cJSON *labels;      /* object of strings, or NULL */
	char *owner_kind;   /* the controller ownerReference, "" if none */
	char *owner_name;
	char *owner_uid;
	int64_t created_ms; /* creationTimestamp, 0 if absent */
};

struct cm_taint {
	char *key, *value, *effect;
};

struct cm_toleration {
	char *key, *op, *value, *effect; /* op "Equal" (default) or "Exists" */
};

struct cm_pod {
	struct cm_meta m;
	char *node_name, *scheduler_name, *phase, *pod_ip, *host_ip;
	char *image;           /* the first container's image */
	char *hostname;        /* spec.hostname */
	char *subdomain;       /* spec.subdomain */
	bool ready;            /* condition Ready=True */
	bool unschedulable;    /* condition PodScheduled=False */
	int64_t cpu_milli;     /* requests summed over containers */
	int64_t mem_milli;     /* memory requests in milli-bytes (quantity milli-units) */
	cJSON *node_selector;  /* copy, or NULL */
	struct cm_toleration *tols;
	size_t ntols;
	int *host_ports;
	size_t nports;
	cJSON *ports;          /* containers' ports, an array of {name, containerPort, protocol}, or NULL */
};

struct cm_node {
	struct cm_meta m;
	bool ready;          /* condition Ready=True */
	char *ready_status;  /* "True", "False", "Unknown", or "" */
	bool unschedulable;  /* spec.unschedulable */
	int64_t cpu_milli, mem_milli, pods; /* allocatable; pods defaults to 110 */
	struct cm_taint *taints;
	size_t ntaints;
	char *address;       /* first InternalIP, "" if none */
};

/* Reads metadata into m. Returns 0 or -ENOMEM (m then holds nothing to free). */
int cm_meta_read(const cJSON *obj, struct cm_meta *m);
void cm_meta_close(struct cm_meta *m);

/* Decoders for cm_informer (cm_view_decode_fn): *out is a struct cm_pod / cm_node. 0, -EINVAL or -ENOMEM. */
int cm_pod_decode(const cJSON *obj, void **out);
void cm_pod_free(void *pod);
int cm_node_decode(const cJSON *obj, void **out);
void cm_node_free(void *node);

/* Index functions for cm_informer: a pod's node, and its controller owner's uid. */
const char *cm_pod_index_node(const void *pod);
const char *cm_pod_index_owner(const void *pod);
/* Index by namespace (any view starting with struct cm_meta). */
const char *cm_meta_index_ns(const void *view);

/* Whether the pod tolerates the taint (Kubernetes' ToleratesTaint). */
bool cm_toleration_tolerates(const struct cm_toleration *t, const struct cm_taint *taint);
bool cm_pod_tolerates(const struct cm_pod *p, const struct cm_taint *taint);
/* Phase Succeeded or Failed. */
bool cm_pod_terminal(const struct cm_pod *p);

#endif
