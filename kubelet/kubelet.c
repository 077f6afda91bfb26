/* kubelet.c: the kubelet server: its loop handles, the apiserver client, adoption of containers found on disk. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/events.h"
#include "common/informer.h"
#include "common/json.h"
#include "common/log.h"
#include "kubelet/kubelet.h"
#include "kubelet/podnet.h"
#include "kubelet/teardown.h"
#include "kubelet/volwatch.h"

struct api_send {
	cm_http_done_cb done;
	void *ud;
};

static void api_sent(const struct cm_api_resp *r, void *ud)
{
	struct api_send *a = ud;
	struct cm_http_response resp = {.err = r->err, .status = r->status, .body = r->body ? r->body : "",
					.len = r->len};

	if (a->done)
		a->done(&resp, a->ud);
	free(a);
}

int kl_api_send(struct kl_server *s, const char *method, const char *path, const char *content_type,
		const char *body, cm_http_done_cb done, void *ud)
{
	struct api_send *a;
	int rc;

	if (!s->client)
		return -CM_ESTOPPED;
	if (!(a = malloc(sizeof(*a))))
		return -ENOMEM;
	a->done = done;
	a->ud = ud;
	rc = cm_api_call(s->client, method, path, content_type, body, body ? strlen(body) : 0, 10000, api_sent, a);
	if (rc < 0)
		free(a);
	return rc;
}

/*
 * Records a container found on disk: adopted[uid][name] = [attempt, id] of
 * the highest attempt, followed by [attempt, id] of the one before it when
 * that is still there (the kubelet keeps one dead attempt: its lastState).
 */
static void found(const char *uid, const char *name, int attempt, const char *id, void *ud)
{
	cJSON *adopted = ud, *pod = cJSON_GetObjectItemCaseSensitive(adopted, uid), *cur, *rec;
	int a0 = -1, a1 = -1;
	const char *id0 = NULL, *id1 = NULL;

	if (!pod && !(pod = cJSON_AddObjectToObject(adopted, uid)))
		return;
	if ((cur = cJSON_GetObjectItemCaseSensitive(pod, name))) {
		a0 = cJSON_GetArrayItem(cur, 0)->valueint;
		id0 = cJSON_GetArrayItem(cur, 1)->valuestring;
		if (cJSON_GetArraySize(cur) == 4) {
			a1 = cJSON_GetArrayItem(cur, 2)->valueint;
			id1 = cJSON_GetArrayItem(cur, 3)->valuestring;
		}
	}
	if (attempt > a0) {
		a1 = a0, id1 = id0;
		a0 = attempt, id0 = id;
	} else if (attempt < a0 && attempt > a1) {
		a1 = attempt, id1 = id;
	} else {
		return;
	}
	if (!(rec = cJSON_CreateArray()))
		return;
	cJSON_AddItemToArray(rec, cJSON_CreateNumber(a0));
	cJSON_AddItemToArray(rec, cJSON_CreateString(id0));
	if (id1) {
		cJSON_AddItemToArray(rec, cJSON_CreateNumber(a1));
		cJSON_AddItemToArray(rec, cJSON_CreateString(id1));
	}
	/* after the copies: the old record, which id0 or id1 may point into, goes last */
	if (cur)
		cJSON_ReplaceItemInObjectCaseSensitive(pod, name, rec);
	else
		cJSON_AddItemToObject(pod, name, rec);
}

static void on_sync(uv_timer_t *t)
{
	kl_workers_sync(t->data);
}

void kl_server_kick(struct kl_server *s)
{
	kl_server_kick_in(s, 0);
}

void kl_server_kick_in(struct kl_server *s, uint64_t ms)
{
	if (!s->stopping && (!uv_is_active((uv_handle_t *)&s->sync_timer) || uv_timer_get_due_in(&s->sync_timer) > ms))
		uv_timer_start(&s->sync_timer, on_sync, ms, (uint64_t)s->cfg.sync_interval_ms);
}

static void on_renew(uv_timer_t *t)
{
	kl_node_heartbeat(t->data);
}

int kl_server_new(uv_loop_t *loop, const struct kl_config *cfg, struct kl_runtime *rt, struct kl_server **out)
{
	struct kl_server *s = calloc(1, sizeof(*s));
	struct cm_http_server_opts hopts = {0};
	int rc = -ENOMEM;

	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->cfg = *cfg;
	s->rt = rt;
	if (!(s->adopted = cJSON_CreateObject()) || (rc = cm_metrics_new(&s->metrics)) < 0 ||
	    (rc = kl_teardowns_new(loop, &s->teardowns)) < 0)
		goto fail;
	s->m_starts = cm_metrics_counter(s->metrics, "kubelet_container_starts_total", "containers started", NULL);
	s->m_restarts = cm_metrics_counter(s->metrics, "kubelet_container_restarts_total", "containers restarted", NULL);
	s->m_probe_fail = cm_metrics_counter(s->metrics, "kubelet_probe_failures_total", "probe runs that failed", NULL);
	s->m_pods = cm_metrics_gauge(s->metrics, "kubelet_running_pods", "pods with a worker", NULL);
	if ((rc = rt->ops->list(rt, found, s->adopted)) < 0)
		goto fail;
	if (cJSON_GetArraySize(s->adopted))
		cm_info("found containers of %d pods on disk: adopting them", cJSON_GetArraySize(s->adopted));
	if ((rc = cm_http_client_new(loop, NULL, &s->http)) < 0)
		goto fail;
	if ((rc = cm_api_new_opts(loop, cfg->masters, cfg->nmasters, cfg->api_tls, &s->client)) < 0 ||
	    (rc = cm_events_new(s->client, "kubelet", &s->events)) < 0 ||
	    (rc = kl_volwatch_new(s, &s->volwatch)) < 0)
		goto fail;
	hopts.bind_address = cfg->bind_address;
	hopts.port = cfg->port;
	hopts.metrics = s->metrics;
	hopts.tls_cert_file = cfg->tls_cert_file;
	hopts.tls_key_file = cfg->tls_key_file;
	hopts.tls_client_ca_file = cfg->client_ca_file;
	hopts.gate = kl_api_gate;
	hopts.gate_ud = s;
	if ((rc = cm_http_server_new(loop, &hopts, &s->api)) < 0)
		goto fail;
	if ((rc = kl_api_routes(s)) < 0)
		goto fail;
	uv_timer_init(loop, &s->sync_timer);
	uv_timer_init(loop, &s->renew_timer);
	s->sync_timer.data = s->renew_timer.data = s;
	uv_timer_start(&s->sync_timer, on_sync, (uint64_t)cfg->sync_interval_ms, (uint64_t)cfg->sync_interval_ms);
	uv_timer_start(&s->renew_timer, on_renew, (uint64_t)cfg->renew_interval_ms, (uint64_t)cfg->renew_interval_ms);
	if (!strcmp(cfg->pod_network, "bridge") && (rc = kl_podnet_new(s, cfg->pod_bridge, &s->net)) < 0) {
		cm_error("node %s: bridge pod network not started: %s", cfg->node_name, cm_strerror(rc));
		goto fail_running;
	}
	kl_node_start(s);
	if ((rc = kl_podwatch_start(s)) < 0)
		goto fail_running;
	*out = s;
	return 0;
fail_running:
	/* the timers and servers run: the asynchronous close frees the rest */
	kl_server_close(s, NULL, NULL);
	return rc;
fail:
	kl_volwatch_free(s->volwatch);
	kl_teardowns_free(s->teardowns);
	cm_events_free(s->events);
	cm_api_free(s->client);
	if (s->api)
		cm_http_server_close(s->api, NULL, NULL);
	if (s->http)
		cm_http_client_close(s->http, NULL, NULL);
	cm_metrics_free(s->metrics);
	cJSON_Delete(s->adopted);
	free(s);
	return rc;
}

int kl_server_port(const struct kl_server *s)
{
	return cm_http_server_port(s->api);
}

static void finish(struct kl_server *s)
{
	void (*done)(void *) = s->stopped;
	void *ud = s->stopped_ud;

	kl_workers_free(s);
	cm_metrics_free(s->metrics);
	cJSON_Delete(s->adopted);
	cJSON_Delete(s->node_info);
	free(s);
	if (done)
		done(ud);
}

static void handle_closed(uv_handle_t *h)
{
	struct kl_server *s = h->data;

	if (--s->closing_handles == 0)
		finish(s);
}

static void part_closed(void *ud)
{
	struct kl_server *s = ud;

	if (--s->closing_handles == 0)
		finish(s);
}

void kl_server_close(struct kl_server *s, void (*done)(void *ud), void *ud)
{
	s->stopping = true;
	s->stopped = done;
	s->stopped_ud = ud;
	s->closing_handles = 4;
	cm_informer_free(s->pod_inf);
	s->pod_inf = NULL;
	cm_informer_free(s->svc_inf);
	s->svc_inf = NULL;
	kl_volwatch_free(s->volwatch);
	s->volwatch = NULL;
	/* removals not begun are left to the next kubelet (orphans then); running ones end before the loop does */
	kl_teardowns_free(s->teardowns);
	s->teardowns = NULL;
	kl_podnet_free(s->net);
	s->net = NULL;
	cm_events_free(s->events);
	s->events = NULL;
	cm_api_free(s->client);
	s->client = NULL;
	uv_close((uv_handle_t *)&s->sync_timer, handle_closed);
	uv_close((uv_handle_t *)&s->renew_timer, handle_closed);
	cm_http_server_close(s->api, part_closed, s);
	cm_http_client_close(s->http, part_closed, s);
}
