/* worker.h: internal to the kubelet: a pod worker's state, shared by worker.c, podprep.c, podstatus.c and prober.c. */
#ifndef KL_WORKER_H
#define KL_WORKER_H

#include "kubelet/kubelet.h"
#include "kubelet/probe.h"

enum { KL_LIVENESS = 0, KL_READINESS = 1, KL_STARTUP = 2 };

/* One container of the pod (init or regular) and what the kubelet knows of it. */
struct kl_ctr {
	char *name;
	bool init;
	const cJSON *spec;      /* borrowed from the worker's pod */
	char *id;               /* the current attempt's runtime id, NULL before the first start */
	char *prev_id;
	char *prev_log;         /* the previous attempt's log file (logs --previous), NULL if none is known */
	int attempt;            /* the current attempt */
	int restarts;
	int64_t backoff_until;  /* no start before this (wall ms) */
	int pull_failures;      /* image pulls failed in a row: the image back-off doubles with them */
	char waiting_reason[48];
	char waiting_msg[256];
	struct kl_container_status st;   /* as last seen */
	struct kl_container_status last; /* the previous attempt's end, for lastState */
	bool has_last;
	struct kl_probe_spec probes[3];
	struct kl_probe_state pst[3];
	bool probe_busy[3];
	pid_t exec_pid[3];      /* an exec probe in flight */
	int64_t exec_deadline[3];
	bool done;              /* init: succeeded; regular: ended and not to be restarted */
	bool killing;           /* a liveness failure is stopping it */
	bool rerun;             /* its attempt ran in the pod's dead sandbox: the next starts at once, in order */
};

struct kl_pod_worker {
	struct kl_pod_worker *next;
	struct kl_server *srv;
	char *uid, *ns, *name;
	cJSON *pod;             /* owned copy of the pod as last seen */
	cJSON *deps;            /* {"configmaps/x": obj, "secrets/y": obj} fetched for env and volumes */
	int fetching;           /* GETs in flight */
	bool prep_failed;
	bool prep_refused;      /* a fetch this round got 403: the apiserver has not seen the pod on this node yet */
	int refused_rounds;     /* rounds in a row with a 403: their retries back off from 250 ms to 2 s */
	char prep_why[160];     /* what the last fetch round missed first: the containers' waiting message */
	cJSON *watched;         /* {"configmaps/x": optional, ...}: the sources its volumes follow (volwatch.c) */
	bool vol_dirty;         /* a source or the pod's labels/annotations changed: volumes rewritten on the tick */
	int64_t vol_retry_at;   /* a rewrite failed: not tried again before this (wall ms) */
	int64_t token_refresh_at; /* wall ms when a projected ServiceAccount token is renewed; 0: none */
	int token_busy;         /* token renewals in flight */
	bool prepared;
	int64_t prep_retry_at;
	struct kl_sandbox sb;
	bool sandbox_ok;
	bool sandbox_dead;      /* its sandbox died: its containers are being stopped before it is made again */
	bool net_busy;          /* its network is being made on the thread pool */
	bool files_busy;        /* its folder, resolv.conf and hosts are being made on the thread pool */
	bool files_done;
	unsigned dns_files;     /* which of resolv.conf and hosts were written (KL_DNS_* bits) */
	bool gone_busy;         /* its folder and network are being removed on the thread pool */
	struct kl_ctr *ctrs;    /* init containers first */
	size_t n_ctrs, n_init;
	int64_t start_ms;
	bool deleting, api_gone, term_sent, delete_sent, removed;
	int64_t kill_deadline;
	char phase[16];
	char *last_status;      /* the status JSON last written */
	bool status_busy;
	bool status_dirty;      /* a write was due while one was in flight: written when that ends */
	int64_t cond_time[4];   /* last transition of PodScheduled, Initialized, ContainersReady, Ready */
	bool cond_val[4];
	int refs;               /* async calls holding the worker */
};

/* podprep.c */
/* Starts GETs for the ConfigMaps and Secrets the pod uses; w->prepared is set when all arrived. */
void kl_prep_fetch(struct kl_pod_worker *w);
/*
 * Makes the pod's folder and writes its resolv.conf and hosts on the thread
 * pool: -EINPROGRESS, w->files_busy until it is done (then w->files_done and
 * w->dns_files, and a tick soon). -ENOMEM or -errno: nothing started.
 */
int kl_prep_files(struct kl_pod_worker *w);
/* Starts container c as its next attempt. 0 or -errno; c's waiting reason says why on failure. */
int kl_prep_start(struct kl_pod_worker *w, struct kl_ctr *c);
/* Appends key's value in a fetched ConfigMap or Secret ("configmaps", "secrets"; decoded). 0 or -ENOENT. */
int kl_prep_dep_value(struct kl_pod_worker *w, const char *kind, const char *name, const char *key,
		      struct cm_buf *out);
/* The pod field a fieldRef names (metadata.name, status.podIP, spec.nodeName, ...), borrowed, or NULL. */
const char *kl_prep_field_ref(struct kl_pod_worker *w, const char *path);

/* volumes.c */
/* Makes the pod's volumes under its sandbox directory, files written atomically. 0 or -errno (message logged). */
int kl_prep_volumes(struct kl_pod_worker *w);
/* Appends the host folder of volume name. 0, -ENOENT (no such volume) or -ENOMEM. */
int kl_volume_path(struct kl_pod_worker *w, const char *name, struct cm_buf *out);
/* Rewrites the projected volume of the token kept as deps[key] ("tokens/VOLUME/PATH"). 0 or -errno. */
int kl_volume_write_token(struct kl_pod_worker *w, const char *key);
/*
 * Makes the pod's ConfigMap, Secret, downward API and projected volumes hold
 * what deps and the pod say now (a volume that did not change is not
 * written). Bind mounts of a subPath keep the file they were made from, as in
 * Kubernetes. 0 or the first -errno (the others are still tried; each logged).
 */
int kl_volumes_refresh(struct kl_pod_worker *w);
/* Called by kl_volume_sources for each reference of a volume to a ConfigMap or Secret; nonzero stops. */
typedef int (*kl_volume_source_fn)(void *ud, const char *kind, const char *name, bool optional);
/* Calls fn with kind "configmaps" or "secrets" for each source the pod's volumes name (repeats included). */
int kl_volume_sources(const struct kl_pod_worker *w, kl_volume_source_fn fn, void *ud);

/* satoken.c */
/*
 * The TokenRequest for a serviceAccountToken source src of w's pod (its
 * ServiceAccount, audience, expirationSeconds, bound to the pod): appends
 * the path to POST and the body. 0 or -ENOMEM.
 */
int kl_token_request(const struct kl_pod_worker *w, const cJSON *src, struct cm_buf *path, struct cm_buf *body);
/* Appends the deps key of source src of projected volume vol: "tokens/VOL/PATH". 0, -EINVAL, -ENOMEM. */
int kl_token_key(const char *vol, const cJSON *src, struct cm_buf *out);
/* A TokenRequest answer obj arrived: brings w->token_refresh_at forward to when it is due for renewal. */
void kl_token_stamp(struct kl_pod_worker *w, cJSON *obj);
/* Asks again for every token of the pod's projected volumes; each answer is written and sets the next renewal. */
void kl_token_refresh(struct kl_pod_worker *w);

/* podstatus.c: writes the pod's status through pods/status when it changed. */
void kl_status_sync(struct kl_pod_worker *w);

/* prober.c */
/* Runs c's due probes and collects finished exec probes. */
void kl_prober_tick(struct kl_pod_worker *w, struct kl_ctr *c, int64_t now);
/* Whether c's readiness probe is in its first, quickly retried phase (the kubelet then ticks faster). */
bool kl_prober_early(const struct kl_ctr *c, int64_t now);
/* Forgets probes of c (a new attempt starts, or the pod stops). */
void kl_prober_reset(struct kl_ctr *c);

/* worker.c */
/* Drops one reference; frees a removed worker when the last goes. */
void kl_worker_unref(struct kl_pod_worker *w);
/* The address of the pod: its own, or the node's in host network mode. */
const char *kl_worker_ip(const struct kl_pod_worker *w);

#endif
