/* docker_image.c: the docker backend's images (inspect, pull under imagePullPolicy) and exec (probes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "kubelet/runtime/docker.h"

#define PRESENT_TTL_MS 30000 /* an image seen is trusted this long before it is looked at again */
#define ABSENT_TTL_MS 1000
#define PULL_FRESH_MS 30000  /* Always: a pull this recent serves the start that asked for it */
#define PULL_TIMEOUT_MS 600000

struct dk_image *dk_image_get(struct dk *d, const char *name)
{
	struct dk_image *i;

	for (i = d->images; i; i = i->next)
		if (!strcmp(i->name, name))
			return i;
	if (!(i = calloc(1, sizeof(*i))) || !(i->name = strdup(name))) {
		free(i);
		return NULL;
	}
	i->next = d->images;
	d->images = i;
	return i;
}

static void inspected(const struct cm_http_response *r, void *ud)
{
	struct dk_image *img = ud;
	cJSON *j = NULL;

	img->checked_ms = cm_time_wall_ms();
	if (!r->err && r->status == 200 && cm_json_parse(r->body, r->len, &j, NULL) == 0) {
		img->state = DK_IMG_PRESENT;
		img->has_entrypoint = cJSON_GetArraySize(cm_json_get(j, "Config.Entrypoint")) > 0;
	} else if (!r->err && r->status == 404) {
		img->state = DK_IMG_ABSENT;
	} else {
		img->state = DK_IMG_UNKNOWN; /* the engine did not say: ask again next time */
		img->checked_ms = 0;
	}
	cJSON_Delete(j);
}

static int inspect(struct dk *d, struct dk_image *img)
{
	struct cm_buf path = CM_BUF_INIT;
	int rc;

	if (cm_buf_printf(&path, "/images/%s/json", img->name) < 0)
		return -ENOMEM;
	rc = dk_send(d, "GET", path.data, NULL, 30000, NULL, NULL, inspected, img, NULL);
	cm_buf_close(&path);
	if (rc < 0)
		return rc;
	img->state = DK_IMG_INSPECTING;
	return -EINPROGRESS;
}

/* A pull answers 200 and streams progress; a failure may still come as an {"error": ...} line. */
static void pull_line(const char *line, size_t len, void *ud)
{
	struct dk_image *img = ud;
	cJSON *j = NULL;
	const char *e;

	if (cm_json_parse(line, len, &j, NULL) == 0 && (e = cm_json_get_str(j, "error")) && !img->msg[0])
		snprintf(img->msg, sizeof(img->msg), "%s", e);
	cJSON_Delete(j);
}

static void pulled(const struct cm_http_response *r, void *ud)
{
	struct dk_image *img = ud;

	if (r->err)
		snprintf(img->msg, sizeof(img->msg), "the engine did not answer the pull: %s", cm_strerror(r->err));
	else if (r->status != 200)
		kl_docker_error_message(r->body, r->len, img->msg, sizeof(img->msg));
	if (img->msg[0]) {
		img->state = DK_IMG_FAILED;
		cm_warn("image %s: pull failed: %s", img->name, img->msg);
		return;
	}
	cm_info("image %s: pulled", img->name);
	img->pulled_ms = cm_time_wall_ms();
	img->state = DK_IMG_UNKNOWN; /* inspected next, for its entrypoint */
}

static int pull(struct dk *d, struct dk_image *img)
{
	struct cm_buf path = CM_BUF_INIT;
	int rc = -ENOMEM;

	img->msg[0] = '\0';
	if (cm_buf_puts(&path, "/images/create?fromImage=") < 0 || dk_query_escape(img->name, &path) < 0)
		goto out;
	/* no tag means :latest, as Kubernetes and docker read it; without one docker pulls every tag */
	{
		const char *slash = strrchr(img->name, '/'), *colon = strchr(slash ? slash : img->name, ':');

		if (!colon && !strchr(img->name, '@') && cm_buf_puts(&path, "&tag=latest") < 0)
			goto out;
	}
	cm_info("image %s: pulling", img->name);
	rc = dk_send(d, "POST", path.data, NULL, PULL_TIMEOUT_MS, pull_line, NULL, pulled, img, NULL);
	if (rc == 0) {
		img->state = DK_IMG_PULLING;
		rc = -EINPROGRESS;
	}
out:
	cm_buf_close(&path);
	return rc;
}

int dk_image_ready(struct dk *d, struct dk_image *img, const char *policy)
{
	int64_t now = cm_time_wall_ms();
	bool never = policy && !strcmp(policy, "Never"), always = policy && !strcmp(policy, "Always");

	switch (img->state) {
	case DK_IMG_INSPECTING:
	case DK_IMG_PULLING:
		return -EINPROGRESS;
	case DK_IMG_FAILED:
		snprintf(d->last_error, sizeof(d->last_error), "%s", img->msg);
		img->state = DK_IMG_UNKNOWN; /* the next start pulls again */
		return -EREMOTEIO;
	default:
		break;
	}
	if (always) {
		if (img->pulled_ms && now - img->pulled_ms < PULL_FRESH_MS) {
			if (img->state == DK_IMG_PRESENT)
				return 0;
			return inspect(d, img);
		}
		return pull(d, img);
	}
	if (img->state == DK_IMG_PRESENT && now - img->checked_ms < PRESENT_TTL_MS)
		return 0;
	if (img->state == DK_IMG_ABSENT && now - img->checked_ms < ABSENT_TTL_MS) {
		if (never)
			return -ENOENT;
		return pull(d, img);
	}
	return inspect(d, img);
}

/* ---- exec ---- */

struct dk_exec_op {
	struct dk *d;
	kl_runtime_exec_cb done;
	void *ud;
	char id[80];
	int64_t deadline_ms;
};

static void exec_finish(struct dk_exec_op *op, int code)
{
	op->done(code, op->ud);
	free(op);
}

static void exec_inspected(const struct cm_http_response *r, void *ud)
{
	struct dk_exec_op *op = ud;
	cJSON *j = NULL;
	int code = -EIO;

	if (r->err)
		code = r->err;
	else if (r->status == 200 && cm_json_parse(r->body, r->len, &j, NULL) == 0 &&
		 !cJSON_IsTrue(cm_json_get(j, "Running")))
		code = (int)cm_json_int64_or(j, "ExitCode", -EIO);
	cJSON_Delete(j);
	exec_finish(op, code);
}

static void exec_output(const char *data, size_t len, void *ud)
{
	(void)data;
	(void)len;
	(void)ud; /* a probe's output is not kept */
}

static void exec_ended(const struct cm_http_response *r, void *ud)
{
	struct dk_exec_op *op = ud;
	struct cm_buf path = CM_BUF_INIT;

	if (r->err || r->status != 200) {
		exec_finish(op, r->err ? r->err : -EIO);
		return;
	}
	if (cm_buf_printf(&path, "/exec/%s/json", op->id) < 0 ||
	    dk_send(op->d, "GET", path.data, NULL, 10000, NULL, NULL, exec_inspected, op, NULL) < 0)
		exec_finish(op, -ENOMEM);
	cm_buf_close(&path);
}

static void exec_created(const struct cm_http_response *r, void *ud)
{
	struct dk_exec_op *op = ud;
	struct cm_buf path = CM_BUF_INIT;
	cJSON *j = NULL;
	const char *id;
	int64_t left = op->deadline_ms - cm_time_wall_ms();

	if (r->err || r->status != 201 || cm_json_parse(r->body, r->len, &j, NULL) < 0 ||
	    !(id = cm_json_get_str(j, "Id")) || strlen(id) >= sizeof(op->id)) {
		cJSON_Delete(j);
		exec_finish(op, r->err ? r->err : -EIO);
		return;
	}
	snprintf(op->id, sizeof(op->id), "%s", id);
	cJSON_Delete(j);
	/* not detached: the answer streams the output and ends when the command does */
	if (cm_buf_printf(&path, "/exec/%s/start", op->id) < 0 ||
	    dk_send(op->d, "POST", path.data, "{\"Detach\":false,\"Tty\":false}", left > 1 ? (long)left : 1L, NULL,
		    exec_output, exec_ended, op, NULL) < 0)
		exec_finish(op, -ENOMEM);
	cm_buf_close(&path);
}

int dk_exec(struct kl_runtime *rt, const char *id, const char *const *argv, int64_t timeout_ms,
	    kl_runtime_exec_cb done, void *ud)
{
	struct dk *d = rt->impl;
	struct dk_ctr *c = dk_find(d, id);
	struct cm_buf path = CM_BUF_INIT, body = CM_BUF_INIT;
	struct dk_exec_op *op;
	cJSON *o = NULL, *cmd;
	int rc = -ENOMEM;

	if (!c || c->info.st.state != KL_CSTATE_RUNNING)
		return -ENOENT;
	if (!(op = calloc(1, sizeof(*op))))
		return -ENOMEM;
	op->d = d;
	op->done = done;
	op->ud = ud;
	op->deadline_ms = cm_time_wall_ms() + (timeout_ms > 0 ? timeout_ms : 1000);
	if (!(o = cJSON_CreateObject()) || !cJSON_AddTrueToObject(o, "AttachStdout") ||
	    !cJSON_AddTrueToObject(o, "AttachStderr") || !(cmd = cJSON_AddArrayToObject(o, "Cmd")))
		goto out;
	for (; argv && *argv; argv++)
		if (!cJSON_AddItemToArray(cmd, cJSON_CreateString(*argv)))
			goto out;
	if (cm_json_print(o, &body) < 0 || cm_buf_printf(&path, "/containers/%s/exec", c->name) < 0)
		goto out;
	rc = dk_send(d, "POST", path.data, body.data, timeout_ms > 0 ? (long)timeout_ms : 1000L, NULL, NULL,
		     exec_created, op, NULL);
out:
	if (rc < 0)
		free(op);
	cJSON_Delete(o);
	cm_buf_close(&path);
	cm_buf_close(&body);
	return rc;
}
