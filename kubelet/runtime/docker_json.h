/* docker_json.h: the docker backend's request and response bodies: pod spec -> container create, inspect -> status. */
#ifndef KL_DOCKER_JSON_H
#define KL_DOCKER_JSON_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "kubelet/runtime/runtime.h"

/*
 * Labels on every container the backend makes, Kubernetes' own names where
 * dockershim had them, so that a restarted kubelet (or a person with `docker
 * ps --filter label=...`) finds a pod's containers.
 */
#define KL_DOCKER_LABEL_UID "io.kubernetes.pod.uid"
#define KL_DOCKER_LABEL_NS "io.kubernetes.pod.namespace"
#define KL_DOCKER_LABEL_POD "io.kubernetes.pod.name"
#define KL_DOCKER_LABEL_CTR "io.kubernetes.container.name"
#define KL_DOCKER_LABEL_ATTEMPT "io.minik8s.attempt"
#define KL_DOCKER_LABEL_NODE "io.minik8s.node"
#define KL_DOCKER_LABEL_TYPE "io.minik8s.type" /* "sandbox" or "container" */
#define KL_DOCKER_SANDBOX_CTR "POD"             /* a container name no pod spec can use */

/*
 * The docker container name of a pod's container (ctr "POD" for the sandbox):
 * "mk8s_<ctr>_<pod>_<namespace>_<uid>_<attempt>", which is also the id the
 * backend hands the kubelet (the Engine API takes names wherever it takes
 * ids). Appended to out. 0 or -ENOMEM.
 */
int kl_docker_name(const char *ctr, const char *pod, const char *ns, const char *uid, int attempt,
		   struct cm_buf *out);

/*
 * The body of POST /containers/create for cfg, appended to out as JSON:
 * Image; Entrypoint from spec_command and Cmd from spec_args, as Kubernetes
 * lays them over the image (command replaces the entrypoint and drops the
 * image's Cmd; args alone replace the Cmd); Env; WorkingDir; the labels;
 * HostConfig: NetworkMode network_mode, Binds from mounts, Memory, NanoCpus,
 * PidsLimit, RestartPolicy "no". node labels the container. 0 or -ENOMEM.
 */
int kl_docker_create_body(const struct kl_container_config *cfg, const char *network_mode, const char *node,
			  struct cm_buf *out);

/*
 * The body for a pod's sandbox: image with cmd (NULL: the image's own), the
 * pod's hostname (not with host networking, where docker refuses it), the
 * sandbox labels, NetworkMode network_mode. 0 or -ENOMEM.
 */
int kl_docker_sandbox_body(const struct kl_sandbox_config *cfg, const char *image, const char *const *cmd,
			   const char *network_mode, const char *hostname, const char *node, struct cm_buf *out);

/* What the backend keeps of one inspected container. */
struct kl_docker_info {
	char name[256];        /* without docker's leading "/" */
	char pod_uid[64];
	char ctr[64];          /* the container's name in the pod; "POD" for the sandbox */
	int attempt;
	bool sandbox;
	bool host_network;
	char ip[64];           /* on the named network, else the default one; "" if none */
	struct kl_container_status st;
};

/*
 * Reads GET /containers/{id}/json (inspect) into *out; network names the
 * network whose address is the pod's. State.Status maps to RUNNING (running,
 * paused, restarting), CREATED (created, not yet started), EXITED (exited,
 * dead, removing, or created with a start error: StartError, exit 128);
 * reasons as the kubelet shows them: Completed, Error, OOMKilled. Returns 0,
 * or -EINVAL when j is no container or lacks our labels (*out unchanged).
 */
int kl_docker_parse_inspect(const cJSON *j, const char *network, struct kl_docker_info *out);

/*
 * The message of a docker error body ({"message": "..."}), or the body itself,
 * into out (truncated, NUL-terminated).
 */
void kl_docker_error_message(const char *body, size_t len, char *out, size_t size);

#endif
