/* events.c: posting Events and patching their count when the same thing happens again. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/events.h"
#include "common/json.h"
#include "common/log.h"
#include "common/strmap.h"
#include "common/timeutil.h"

#define AGGREGATE_MS (10 * 60 * 1000)
#define MAX_REMEMBERED 4096

struct seen {
	char *name, *ns;
	int64_t count;
	int64_t last_ms;
};

struct cm_events {
	struct cm_api *api;
	char *component;
	struct cm_strmap seen; /* uid|type|reason|message -> struct seen */
	unsigned seq;
};

int cm_events_new(struct cm_api *api, const char *component, struct cm_events **out)
{
	struct cm_events *ev = calloc(1, sizeof(*ev));

	if (!ev || !(ev->component = strdup(component))) {
		free(ev);
		return -ENOMEM;
	}
	ev->api = api;
	cm_strmap_init(&ev->seen);
	*out = ev;
	return 0;
}

static int free_seen(const char *k, void *v, void *ud)
{
	struct seen *s = v;
	(void)k;
	(void)ud;
	free(s->name);
	free(s->ns);
	free(s);
	return 0;
}

void cm_events_free(struct cm_events *ev)
{
	if (!ev)
		return;
	cm_strmap_foreach(&ev->seen, free_seen, NULL);
	cm_strmap_close(&ev->seen);
	free(ev->component);
	free(ev);
}

static void on_written(const struct cm_api_resp *r, void *ud)
{
	(void)ud;
	if (r->err || r->status >= 300)
		cm_debug(1, "events: write failed: %s", cm_api_resp_message(r));
}

void cm_events_record(struct cm_events *ev, const struct cm_event_ref *obj, const char *type,
		      const char *reason, const char *fmt, ...)
{
	struct cm_buf msg = CM_BUF_INIT, key = CM_BUF_INIT, path = CM_BUF_INIT, name = CM_BUF_INIT;
	char now[CM_RFC3339_LEN];
	int64_t now_ms = cm_time_wall_ms();
	const char *ns = obj->ns && *obj->ns ? obj->ns : "default";
	struct seen *s = NULL;
	cJSON *e = NULL;
	va_list ap;

	va_start(ap, fmt);
	cm_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	cm_time_format(now_ms, 0, now);
	if (!msg.data || cm_buf_printf(&key, "%s|%s|%s|%s|%s", obj->uid ? obj->uid : obj->name, type, reason,
				       ev->component, msg.data))
		goto out;
	s = cm_strmap_get(&ev->seen, key.data);
	if (s && now_ms - s->last_ms < AGGREGATE_MS) {
		struct cm_buf body = CM_BUF_INIT;
		s->count++;
		s->last_ms = now_ms;
		cm_api_path(&path, "v1", "events", s->ns, s->name);
		if (cm_buf_printf(&body, "{\"count\":%lld,\"lastTimestamp\":\"%s\"}", (long long)s->count, now) == 0)
			cm_api_call(ev->api, "PATCH", path.data, "application/merge-patch+json", body.data, body.len, 0,
				    on_written, NULL);
		cm_buf_close(&body);
		goto out;
	}
	if (cm_buf_printf(&name, "%s.%llx%x", obj->name, (unsigned long long)cm_time_wall_ms(), ev->seq++))
		goto out;
	if (!s && cm_strmap_count(&ev->seen) < MAX_REMEMBERED) {
		s = calloc(1, sizeof(*s));
		if (s && cm_strmap_put(&ev->seen, key.data, s, NULL)) {
			free(s);
			s = NULL;
		}
	}
	if (s) {
		free(s->name);
		free(s->ns);
		s->name = strdup(name.data);
		s->ns = strdup(ns);
		s->count = 1;
		s->last_ms = now_ms;
		if (!s->name || !s->ns) {
			free(cm_strmap_del(&ev->seen, key.data));
		}
	}
	e = cJSON_CreateObject();
	if (!e)
		goto out;
	cJSON_AddStringToObject(e, "apiVersion", "v1");
	cJSON_AddStringToObject(e, "kind", "Event");
	cm_json_set_str(e, "metadata.name", name.data);
	cm_json_set_str(e, "metadata.namespace", ns);
	cm_json_set_str(e, "involvedObject.kind", obj->kind);
	if (obj->api_version)
		cm_json_set_str(e, "involvedObject.apiVersion", obj->api_version);
	if (obj->ns && *obj->ns)
		cm_json_set_str(e, "involvedObject.namespace", obj->ns);
	cm_json_set_str(e, "involvedObject.name", obj->name);
	if (obj->uid)
		cm_json_set_str(e, "involvedObject.uid", obj->uid);
	cJSON_AddStringToObject(e, "reason", reason);
	cJSON_AddStringToObject(e, "message", msg.data);
	cJSON_AddStringToObject(e, "type", type);
	cm_json_set_str(e, "source.component", ev->component);
	cJSON_AddStringToObject(e, "firstTimestamp", now);
	cJSON_AddStringToObject(e, "lastTimestamp", now);
	cJSON_AddNumberToObject(e, "count", 1);
	cJSON_AddStringToObject(e, "reportingComponent", ev->component);
	cm_api_path(&path, "v1", "events", ns, NULL);
	cm_api_call_json(ev->api, "POST", path.data, e, on_written, NULL);
out:
	if (s == NULL && e == NULL)
		cm_debug(1, "events: %s %s: not recorded", obj->name, reason);
	cJSON_Delete(e);
	cm_buf_close(&msg);
	cm_buf_close(&key);
	cm_buf_close(&path);
	cm_buf_close(&name);
}
