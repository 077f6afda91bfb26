/* docker.h: internal to the docker backend: its state, shared by docker.c (containers) and docker_image.c (images, exec). */
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

/* Sends method path (body may be NULL) to the engine. 0 or -errno (done not called). */
int dk_send(struct dk *d, const char *method, const char *path, const char *body, long timeout_ms,
	    cm_http_line_cb on_line, cm_http_data_cb on_data, cm_http_done_cb done, void *ud,
	    struct cm_http_call **call);
/* Percent-encodes s for a query string, appended to out. 0 or -ENOMEM. */
int dk_query_escape(const char *s, struct cm_buf *out);
/* The container record named name, or NULL. */
struct dk_ctr *dk_find(struct dk *d, const char *name);

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
