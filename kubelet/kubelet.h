/* kubelet.h: the kubelet: the node's agent that registers the Node, renews its Lease, and runs the pods bound to it. */
#ifndef KL_KUBELET_H
#define KL_KUBELET_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "common/apiclient.h"
#include "common/buf.h"
#include "common/http_client.h"
#include "common/http_server.h"
#include "common/metrics.h"
#include "kubelet/runtime/runtime.h"

/* The kubelet's settings; strings are borrowed from main and outlive the server. */
struct kl_config {
	const char *const *masters; /* the apiservers' URLs, tried in turn when one fails */
	size_t nmasters;
	const struct cm_http_client_opts *api_tls; /* client certificate and CA towards them; may be NULL */
	const char *node_name;
	const char *node_ip;       /* the address pods and probes use in host network mode */
	const char *bind_address;
	int port;                  /* the kubelet API; 0 picks one */
	const char *root_dir;
	const char *pod_network;   /* "host" or "bridge" */
	const char *pod_bridge;    /* the node's bridge in bridge mode ("mk8s0") */
	const char *cluster_dns;   /* --cluster-dns: pods' nameserver under ClusterFirst; "": the node's resolvers */
	const char *cluster_domain; /* --cluster-domain ("cluster.local") */
	int64_t lease_duration_s;  /* --node-lease-duration */
	int64_t renew_interval_ms; /* lease and node status heartbeat; 10 s */
	int64_t sync_interval_ms;  /* the pod workers' tick; 200 ms */
	int64_t backoff_base_ms;   /* restart back-off start; 10 s */
	int64_t backoff_cap_ms;    /* 5 min */
	int64_t capacity_cpu_m;    /* 0: from the machine */
	int64_t capacity_memory;   /* bytes; 0: from the machine */
	int64_t max_pods;
	/* the kubelet API's access control (api.c) */
	const char *tls_cert_file, *tls_key_file; /* both: serve HTTPS */
	const char *client_ca_file;  /* verifies client certificates (CN user, O groups) */
	bool anonymous_auth;         /* false: a request without a verified certificate gets 401 */
	bool authz_webhook;          /* --authorization-mode=Webhook: only the apiserver and system:masters (api.c) */
};

struct kl_pod_worker;
struct kl_volwatch;

struct kl_server {
	uv_loop_t *loop;
	struct kl_config cfg;
	struct kl_runtime *rt;         /* borrowed; made by main */
	struct cm_http_client *http;
	struct cm_http_server *api;
	struct cm_metrics *metrics;
	struct cm_metric *m_starts, *m_restarts, *m_probe_fail, *m_pods;
	struct cm_api *client;         /* the apiserver client the informers use */
	struct cm_events *events;      /* Events about pods, through client */
	struct cm_informer *pod_inf;   /* pods with spec.nodeName = this node */
	struct cm_informer *svc_inf;   /* every Service: containers' service link variables (envvars.c) */
	struct kl_volwatch *volwatch;  /* the ConfigMaps and Secrets the pods mount, watched */
	struct kl_podnet *net;         /* NULL with --pod-network=host */
	struct kl_teardowns *teardowns; /* deleted pods' folders and networks being removed off the loop */
	uv_timer_t sync_timer, renew_timer;
	struct kl_pod_worker *workers; /* a list: a node runs tens of pods */
	cJSON *adopted;                /* {uid: {name: [attempt, id(, previous attempt, id)]}} found on disk at start */
	bool listed;                   /* the first pod list arrived: orphans may be cleaned up */
	bool node_registered;
	cJSON *node_info;              /* status.nodeInfo, read once by kl_node_start */
	bool stopping;
	void (*stopped)(void *ud);
	void *stopped_ud;
	int closing_handles;
};

/*
 * Starts the kubelet on loop with runtime rt (borrowed, must outlive the
 * server): adopts the containers rt holds, serves the kubelet API, registers
 * the Node, renews its Lease and watches its pods. Returns 0 and *out,
 * -EADDRINUSE, -EINVAL, or -ENOMEM.
 */
int kl_server_new(uv_loop_t *loop, const struct kl_config *cfg, struct kl_runtime *rt,
		  struct kl_server **out);
/* The port the kubelet API listens on. */
int kl_server_port(const struct kl_server *s);
/*
 * Stops watching and serving, leaves running containers alone (a restarted
 * kubelet adopts them), frees the server once its handles closed, then calls
 * done (may be NULL).
 */
void kl_server_close(struct kl_server *s, void (*done)(void *ud), void *ud);

/* Internal between the kubelet's files. */
/*
 * Sends method path with body (may be NULL) to the apiserver in use, failing
 * over to the next one on a transport error; done may be NULL and sees no
 * content_type. 0 or -errno (done is not called then).
 */
int kl_api_send(struct kl_server *s, const char *method, const char *path, const char *content_type,
		const char *body, cm_http_done_cb done, void *ud);
/* Starts the node registration and lease renewals (node.c). */
void kl_node_start(struct kl_server *s);
/* Node status and lease heartbeat (node.c), on renew_timer. */
void kl_node_heartbeat(struct kl_server *s);
/* Starts the informers on this node's pods and on Services (podwatch.c). 0, -ENOMEM or -EINVAL. */
int kl_podwatch_start(struct kl_server *s);
/* Routes the kubelet API (api.c). 0 or -ENOMEM. */
int kl_api_routes(struct kl_server *s);
/* exec.c: routes /exec/{ns}/{pod}/{container} (WebSocket, channel.k8s.io v4/v5). 0 or -ENOMEM. */
int kl_exec_routes(struct kl_server *s);
/* The kubelet API's gate (cm_http_server_opts.gate, ud the kl_server): authentication and authorization (api.c). */
int kl_api_gate(struct cm_http_req *req, void *ud);

/* Pod workers (worker.c). */
/* The pod arrived or changed (pod borrowed, copied). */
void kl_worker_update(struct kl_server *s, const cJSON *pod);
/* The pod object is gone from the apiserver: stop it with its grace period. */
void kl_worker_gone(struct kl_server *s, const char *uid);
/* Runs the workers' tick on the next loop pass (a pod arrived), then every sync interval again. */
void kl_server_kick(struct kl_server *s);
/* Runs the workers' tick within ms (unless it is due sooner), then every sync interval again. */
void kl_server_kick_in(struct kl_server *s, uint64_t ms);
/* One tick of every worker. */
void kl_workers_sync(struct kl_server *s);
/*
 * After the first list: stops the containers of pods whose uid is not a key
 * of known_uids (borrowed) and removes their folders and networks (off the loop).
 */
void kl_workers_clean_orphans(struct kl_server *s, const cJSON *known_uids);
/* Finds a worker by namespace and name, or NULL. */
struct kl_pod_worker *kl_worker_find(struct kl_server *s, const char *ns, const char *name);
/* The current pod object of a worker with its last status (borrowed). */
const cJSON *kl_worker_pod(const struct kl_pod_worker *w);
/*
 * Appends the log file of container name's current (or previous) attempt
 * to out. 0; -ENOENT when the pod has no such container or it never
 * started; -ESRCH when no previous attempt's log is known; -ENOMEM.
 */
int kl_worker_log_path(const struct kl_pod_worker *w, const char *name, bool previous, struct cm_buf *out);
/* Frees every worker (containers stay running). */
void kl_workers_free(struct kl_server *s);

#endif
