/*
 * docker.h: internal to the docker backend: its state, shared by docker.c (making, plumbing), docker_pod.c (the
 * runtime interface), docker_ctr.c (one container's engine calls), docker_follow.c (logs), docker_sync.c (events,
 * resync, adoption) and docker_image.c (images, exec).
 */
#ifndef KL_DOCKER_H
#define KL_DOCKER_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "common/http_client.h"
#include "kubelet/runtime/docker_json.h"
#include "kubelet/runtime/docker_logs.h"
#include "kubelet/runtime/runtime.h"

/*
 * The runtime interface is synchronous, the Engine API is not: the backend
 * keeps what it knows of its containers and images here, answers from it at
 * once, and brings it up to date from the loop (the calls it sends, docker's
 * event stream, and a slow resync), as the process backend waits for its shim.
 */
struct dk_ctr {
	struct dk_ctr *next;
	struct dk *d;
	char *name;              /* the docker name, and the id the kubelet holds */
	struct kl_docker_info info;
	bool creating;           /* create + start in flight */
	int pending_sig;         /* a signal asked for while creating */
	bool remove_wanted;      /* a remove asked for while creating */
	bool removing, dropped;
	bool inspecting, inspect_again;
	struct cm_http_call *log_call; /* following its logs into the CRI file */
	struct kl_docker_demux demux;
	bool logs_done;          /* the log stream ended: everything is in the file */
	int refs;                /* 1 for the list, 1 per call in flight */
};

enum dk_image_state { DK_IMG_UNKNOWN = 0, DK_IMG_INSPECTING, DK_IMG_PRESENT, DK_IMG_ABSENT, DK_IMG_PULLING, DK_IMG_FAILED };

struct dk_image {
	struct dk_image *next;
	char *name;
	enum dk_image_state state;
	int64_t checked_ms;      /* when PRESENT or ABSENT was learned */
	int64_t pulled_ms;       /* the last pull that worked */
	bool has_entrypoint;
	char msg[400];           /* why the last pull failed */
};

struct dk {
	struct kl_runtime rt;
	uv_loop_t *loop;
	struct cm_http_client *http;
	char *base;              /* "http://docker" over a unix socket, or http://host:port */
	char *root;              /* <root-dir>/pods */
	char *network, *node, *infra;
	bool host_only;
	bool closing, http_closed;
	struct dk_ctr *ctrs;
	struct dk_image *images;
	uv_timer_t timer;        /* resync, event stream and log follower restarts */
	struct cm_http_call *events;
	char last_error[512];
};

/* docker.c */
/* Sends method path (body may be NULL) to the engine. 0 or -errno (done not called). */
int dk_send(struct dk *d, const char *method, const char *path, const char *body, long timeout_ms,
	    cm_http_line_cb on_line, cm_http_data_cb on_data, cm_http_done_cb done, void *ud,
	    struct cm_http_call **call);
/* Percent-encodes s for a query string, appended to out. 0 or -ENOMEM. */
int dk_query_escape(const char *s, struct cm_buf *out);

/* docker_ctr.c */
/* The container record named name, or NULL. */
struct dk_ctr *dk_find(struct dk *d, const char *name);
/* A new record for name (state UNKNOWN), first in d's list which holds its one reference; NULL on -ENOMEM. */
struct dk_ctr *dk_ctr_new(struct dk *d, const char *name);
/* Drops one reference; the last frees c. */
void dk_ctr_unref(struct dk_ctr *c);
/* Forgets c: it is gone from docker. Calls in flight keep it alive until they end. */
void dk_ctr_drop(struct dk_ctr *c);
/* Asks docker for c's state (once more after the one in flight, if any); c->info follows the answer. */
void dk_ctr_inspect(struct dk_ctr *c);
/* Sends the create (the start follows); c holds CREATED meanwhile. 0 or -errno. */
int dk_ctr_create(struct dk_ctr *c, const char *body);
/* Sends sig to c (a kill: SIGKILL or what the pod asked), then inspects it. */
void dk_ctr_signal(struct dk_ctr *c, int sig);
/* Removes c from docker (forced), or notes it for when its create + start ends. */
void dk_ctr_remove(struct dk_ctr *c);

/* docker_follow.c */
/* The CRI log file of the container i describes, appended to out. */
void dk_log_file(struct dk *d, const struct kl_docker_info *i, struct cm_buf *out);
/* Follows c's log stream into its file from its last record, unless it does already or it ended. */
void dk_logs_follow(struct dk_ctr *c);

/* docker_sync.c */
/* Follows docker's events for this node's containers (d->events); each one inspects its container. */
void dk_events_start(struct dk *d);
/* The resync timer (data: d): restarts the events and log followers, inspects what may have changed. */
void dk_resync(uv_timer_t *t);
/* Lists this node's containers and inspects each, running the loop until all answered (15 s at most). 0 or -errno. */
int dk_adopt(struct dk *d);

/* docker_pod.c: the runtime interface's ops, as runtime.h says */
int dk_sandbox_create(struct kl_runtime *rt, const struct kl_sandbox_config *cfg, struct kl_sandbox *out);
int dk_sandbox_check(struct kl_runtime *rt, const char *pod_uid);
int dk_sandbox_remove(struct kl_runtime *rt, const char *pod_uid);
void dk_sandbox_release(struct kl_runtime *rt, const char *pod_uid);
int dk_sandbox_remove_files(struct kl_runtime *rt, const char *pod_uid);
int dk_container_start(struct kl_runtime *rt, const struct kl_container_config *cfg, char **id_out);
int dk_container_signal(struct kl_runtime *rt, const char *id, int sig);
int dk_container_status(struct kl_runtime *rt, const char *id, struct kl_container_status *out);
int dk_container_remove(struct kl_runtime *rt, const char *id);
int dk_log_path(struct kl_runtime *rt, const char *id, struct cm_buf *out);
int dk_log_path_before(struct kl_runtime *rt, const char *pod_uid, const char *name, int attempt, struct cm_buf *out);
int dk_list(struct kl_runtime *rt, kl_runtime_list_cb cb, void *ud);
int dk_last_error(struct kl_runtime *rt, struct cm_buf *out);

/* docker_image.c */
/* The image's record, made on first use; NULL on -ENOMEM. */
struct dk_image *dk_image_get(struct dk *d, const char *name);
/*
 * Whether the image may be used now under policy ("Always", "IfNotPresent",
 * "Never"): 0 yes; -EINPROGRESS (an inspect or pull is on its way); -ENOENT
 * (absent, Never); -EREMOTEIO (the pull failed: d->last_error says why).
 */
int dk_image_ready(struct dk *d, struct dk_image *img, const char *policy);
/* The exec op of the runtime interface (the Docker exec API). */
int dk_exec(struct kl_runtime *rt, const char *id, const char *const *argv, int64_t timeout_ms,
	    kl_runtime_exec_cb done, void *ud);

#endif
