/* rest.h: one API request in flight (its context), and the verbs that serve it. Internal to apiserver/. */
#ifndef API_REST_H
#define API_REST_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "apiserver/field_check.h"
#include "apiserver/kubernetes_service.h"
#include "apiserver/resources.h"
#include "apiserver/storage.h"
#include "apiserver/table.h"
#include "common/buf.h"
#include "common/http_server.h"
#include "apiserver/ns_cache.h"
#include "common/metrics.h"

struct api_wcache;

/* The state shared by every handler (made by api_server_start). */
struct api_server {
	uv_loop_t *loop;
	struct api_config_copy {
		int max_inflight;
		int64_t max_body;
		int watch_cache_size;
	} cfg;
	struct api_ranges ranges;
	struct api_strategy_env env;
	struct cm_http_server *http;
	struct cm_http_server *https; /* --secure-port with --tls-cert-file, or NULL */
	int closing_listeners;
	struct api_storage *store;
	struct cm_http_client *kubelet_http; /* pods/log proxy calls */
	bool kubelet_https;                  /* kubelets are reached over HTTPS (api_config) */
	struct cm_metrics *metrics;
	struct api_wcache *caches[API_NRES];
	struct api_nscache nscache; /* namespaces known active: creates skip reading them from etcd */
	uint64_t rng;
	int inflight;
	int mutating_inflight;  /* writes in flight, bounded by --max-mutating-requests-inflight */
	struct api_auth *auth; /* authentication and authorization (authz.h) */
	struct api_openapi *openapi; /* the /openapi/v3 documents, built at start (openapi.c) */
	struct api_field_check *fields; /* the same table compiled for unknown-field checks (field_check.c) */
	int kind_schema[API_NRES];      /* each resource's kind in fields, or -1 */
	struct api_discovery *discovery; /* aggregated /api and /apis, built at start (discovery_agg.c) */
	int64_t event_lease, event_lease_ms; /* the lease new events share, and when it was granted */
	int boot_pending; /* start-up writes not yet done: /readyz waits for them */
	bool rbac_started; /* the bootstrap RBAC objects are being written (authz_bootstrap.c) */
	int rbac_pending;  /* of those, the writes not yet done: /readyz's poststarthook/rbac/bootstrap-roles */
	uv_timer_t health_timer; /* the store check (health.c) */
	struct api_kubesvc kubesvc; /* the "kubernetes" Service and its endpoints (kubernetes_service.c) */
	struct cm_buf root_ca;      /* the cluster CA published as kube-root-ca.crt (empty without one) */
	int64_t store_ok_ms;     /* when a read through the store last succeeded */
	bool store_check_inflight;
	struct cm_metric *m_inflight, *m_watchers;
	void (*stop_done)(void *ud);
	void *stop_ud;
};

/* fieldValidation: what unknown and duplicate fields do to a write. */
enum api_field_validation { API_FV_WARN, API_FV_STRICT, API_FV_IGNORE };

enum api_patch_type { API_PATCH_NONE, API_PATCH_MERGE, API_PATCH_STRATEGIC, API_PATCH_JSON, API_PATCH_APPLY };

/* A mutation of the stored object, run by the update engine on each attempt. */
struct api_ctx;
typedef cJSON *(*api_mutate_fn)(struct api_ctx *c, const cJSON *old, cJSON **out);

struct api_ctx {
	struct api_server *srv;
	struct cm_http_req *req; /* NULL once the client is gone */
	const struct api_resource *res;
	char *ns, *name, *sub;
	const char *verb;
	int refs;
	int64_t t0_ns;
	enum api_table_mode table; /* Accept asks for a meta.k8s.io Table (and includeObject) */
	enum api_field_validation fv; /* fieldValidation (Warn when absent, as Kubernetes) */
	struct api_field_problems warnings; /* sent as Warning headers with the answer (fieldValidation=Warn) */
	struct cm_buf dups; /* paths of members the JSON body gave twice, each NUL-terminated (cm_json_parse_dups) */
	/*
	 * dups holds, instead, go-yaml's reports ("line N: key \"k\" already
	 * set in map"): an apply body, which Kubernetes reads as YAML whatever
	 * it is (cm_yaml_parse_all_dups)
	 */
	bool dups_yaml;
	bool dry_run;
	bool marking;  /* a delete setting deletionTimestamp through the update engine */
	bool res_group_core; /* the request came under /api/v1 */
	bool released; /* no longer counted in flight (answered, or a watch) */
	bool mutating; /* counted in srv->mutating_inflight until released */
	cJSON *body;  /* parsed request body, or NULL */
	struct cm_buf key;
	/* update engine */
	api_mutate_fn mutate;
	int64_t precondition_rv; /* > 0: the client's resourceVersion must still be current */
	int attempts;
	bool cache_tried; /* the first read was offered the watch cache's copy */
	bool from_cache;  /* the attempt works on that copy: only a write's mod_revision check confirms it */
	cJSON *obj;   /* the object being written */
	struct api_alloc alloc;
	int64_t delete_grace;
	int64_t pending_mod_rev; /* a write waiting for its lease */
	api_kv_cb pending_cb;
	/* list/deletecollection state */
	struct api_listing *listing;
	void *extra; /* a verb's own state, freed with the context */
	void (*extra_free)(void *extra);
};

/* Routes every API path on http (the plain or the TLS listener). Returns 0 or -ENOMEM. */
int api_rest_routes(struct api_server *srv, struct cm_http_server *http);
/* The per-request answer helpers; each ends the request's handler part (drops its reference). */
void api_ctx_reply_status(struct api_ctx *c, cJSON *status);           /* takes status */
void api_ctx_reply_err(struct api_ctx *c, int err, const char *message); /* status from err */
void api_ctx_reply_obj(struct api_ctx *c, int code, cJSON *obj);       /* takes obj */
void api_ctx_reply_buf(struct api_ctx *c, int code, struct cm_buf *b);  /* JSON text, taken */
void api_ctx_unref(struct api_ctx *c);
/* A query flag as Kubernetes reads it (strconv.ParseBool's true forms). */
bool api_query_bool(const char *v);
/* A new random 64-bit number from the server's generator. */
uint64_t api_rand(struct api_server *srv);
/* A uid for an object the apiserver writes itself (boot objects), drawn from its generator, into out. */
void api_rand_uid(struct api_server *srv, char out[40]);

/* The verbs (rest_read.c, rest_write.c, rest_delete.c, watch.c). */
void api_rest_get(struct api_ctx *c);
void api_rest_list(struct api_ctx *c);
void api_rest_create(struct api_ctx *c);
void api_rest_update(struct api_ctx *c); /* PUT, and PUT on status/scale */
void api_rest_patch(struct api_ctx *c);
void api_rest_binding(struct api_ctx *c);
void api_rest_delete(struct api_ctx *c);
void api_rest_deletecollection(struct api_ctx *c);
void api_rest_watch(struct api_ctx *c);
void api_rest_pod_log(struct api_ctx *c); /* pod_log.c */
void api_rest_pod_exec(struct api_ctx *c); /* pod_exec.c */
/*
 * kubelet_target.c: reads pod c->ns/c->name, picks its container (the query's
 * "container", or the only one) and reads its Node; then calls cb with the
 * kubelet's base URL ("https://IP:PORT"), the container and the node's
 * name (borrowed for the call). Otherwise answers c itself with kube-apiserver's
 * Status: 404 (no pod), 400 (container, no node assigned), 503 (node unknown
 * or without address; what, "pods/log", names the subresource).
 */
typedef void (*api_kubelet_target_cb)(struct api_ctx *c, const char *base_url, const char *container,
				      const char *node);
void api_kubelet_target(struct api_ctx *c, const char *what, api_kubelet_target_cb cb);
void api_rest_token_request(struct api_ctx *c); /* rest_token.c: POST serviceaccounts/{name}/token */
/* Parses list options into c->listing: 0, 1 if it answered (bad input), or -ENOMEM. */
int api_listing_prepare(struct api_ctx *c);
void api_listing_free(struct api_listing *l);
/* Whether obj passes the listing's label and field selectors. */
bool api_listing_match(const struct api_listing *l, const cJSON *obj);
/* Whether the listing's selectors match everything (its watch then parses no object). */
bool api_listing_selects_all(const struct api_listing *l);
/* metadata.finalizers, and a namespace's spec.finalizers: what a deletion waits for. */
int api_pending_finalizers(const cJSON *obj);
/* Starts the update engine with c->mutate set: read, mutate, validate, write, retry. */
void api_update_run(struct api_ctx *c);
/* The Table form of a list or object (table.c); takes nothing. NULL on -ENOMEM. */
cJSON *api_table_new(const struct api_resource *r, const char *rv, const char *cont);
/* Appends obj's row (obj borrowed; mode says what the row's object holds). Returns 0 or -ENOMEM. */
int api_table_add_row(cJSON *table, const struct api_resource *r, const cJSON *obj, int64_t now_ms,
		      enum api_table_mode mode);
/* autoscaling/v1 Scale of obj. Caller owns. */
cJSON *api_scale_from(const struct api_resource *r, const cJSON *obj);

/* health.c: a read through the store every second; /readyz fails when they stop going through. */
void api_health_start(struct api_server *srv);
void api_health_close(struct api_server *srv, uv_close_cb cb);
bool api_health_store_ok(const struct api_server *srv);

#endif
