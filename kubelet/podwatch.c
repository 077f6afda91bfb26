/* podwatch.c: informers on the pods bound to this node (feeding the pod workers) and on Services (their env). */
#include <errno.h>
#include <string.h>

#include "common/informer.h"
#include "common/json.h"
#include "common/log.h"
#include "kubelet/kubelet.h"

/*
 * The informer owns list, watch, resume from the last resourceVersion and
 * relist after a 410; the kubelet only maps its events onto pod workers.
 * The worker copies what it keeps, so the views stay the informer's.
 */
static void on_add(void *ud, const char *key, const void *view)
{
	(void)key;
	kl_worker_update(ud, view);
}

static void on_update(void *ud, const char *key, const void *old_view, const void *new_view)
{
	(void)key;
	(void)old_view;
	kl_worker_update(ud, new_view);
}

static void on_delete(void *ud, const char *key, const void *old_view)
{
	(void)key;
	kl_worker_gone(ud, cm_json_str_or(old_view, "metadata.uid", ""));
}

static int add_uid(const char *key, const void *view, void *ud)
{
	(void)key;
	cJSON_AddTrueToObject(ud, cm_json_str_or(view, "metadata.uid", ""));
	return 0;
}

/* After the first list only: containers on disk of pods not in it were deleted while the kubelet was down. */
static void on_synced(void *ud)
{
	struct kl_server *s = ud;
	cJSON *uids = cJSON_CreateObject();

	s->listed = true;
	if (!uids) {
		cm_error("node %s: orphan clean-up skipped: out of memory", s->cfg.node_name);
		return;
	}
	cm_informer_foreach(s->pod_inf, add_uid, uids);
	kl_workers_clean_orphans(s, uids);
	cm_info("node %s: %zu pods bound here", s->cfg.node_name, cm_informer_count(s->pod_inf));
	cJSON_Delete(uids);
}

int kl_podwatch_start(struct kl_server *s)
{
	struct cm_buf sel = CM_BUF_INIT;
	struct cm_informer_opts o = {.path = "/api/v1/pods"}, so = {.path = "/api/v1/services"};
	struct cm_informer_handlers h = {on_add, on_update, on_delete, on_synced, s};
	int rc;

	/* no handlers: a container reads the cache when it starts, as Kubernetes' kubelet does (no restart on change) */
	if ((rc = cm_informer_new(s->client, &so, NULL, &s->svc_inf)) < 0 || (rc = cm_informer_start(s->svc_inf)) < 0)
		return rc;

	if (cm_buf_printf(&sel, "spec.nodeName=%s", s->cfg.node_name) < 0)
		return -ENOMEM;
	o.field_selector = sel.data;
	rc = cm_informer_new(s->client, &o, &h, &s->pod_inf);
	cm_buf_close(&sel);
	if (rc < 0)
		return rc;
	return cm_informer_start(s->pod_inf);
}
