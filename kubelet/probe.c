/* probe.c: probe specs, when a probe runs, what its outcomes decide, and the restart back-off. */
#include "kubelet/probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"

/* A port given as a number or as the name of one of the container's ports. */
static int port_of(const cJSON *p, const cJSON *ports, int *out)
{
	const cJSON *it;

	if (cJSON_IsNumber(p)) {
		*out = p->valueint;
		return *out > 0 && *out < 65536 ? 0 : -EINVAL;
	}
	if (!cJSON_IsString(p))
		return -EINVAL;
	cJSON_ArrayForEach(it, ports)
	{
		if (!strcmp(cm_json_str_or(it, "name", ""), p->valuestring)) {
			*out = (int)cm_json_int64_or(it, "containerPort", 0);
			return *out > 0 ? 0 : -EINVAL;
		}
	}
	return -EINVAL;
}

int kl_probe_spec_parse(const cJSON *probe, const cJSON *ports, struct kl_probe_spec *out)
{
	struct kl_probe_spec s;
	const cJSON *h;

	if (!probe || !cJSON_IsObject(probe))
		return -ENOENT;
	memset(&s, 0, sizeof(s));
	if ((h = cm_json_get(probe, "httpGet"))) {
		s.kind = KL_PROBE_HTTP;
		if (port_of(cm_json_get(h, "port"), ports, &s.port) < 0)
			return -EINVAL;
		snprintf(s.path, sizeof(s.path), "%s", cm_json_str_or(h, "path", "/"));
		snprintf(s.host, sizeof(s.host), "%s", cm_json_str_or(h, "host", ""));
		snprintf(s.scheme, sizeof(s.scheme), "%s", cm_json_str_or(h, "scheme", "HTTP"));
	} else if ((h = cm_json_get(probe, "tcpSocket"))) {
		s.kind = KL_PROBE_TCP;
		if (port_of(cm_json_get(h, "port"), ports, &s.port) < 0)
			return -EINVAL;
		snprintf(s.host, sizeof(s.host), "%s", cm_json_str_or(h, "host", ""));
	} else if ((h = cm_json_get(probe, "exec.command")) && cJSON_IsArray(h) && cJSON_GetArraySize(h) > 0) {
		s.kind = KL_PROBE_EXEC;
		s.command = h;
	} else {
		return -EINVAL;
	}
	s.initial_delay_ms = cm_json_int64_or(probe, "initialDelaySeconds", 0) * 1000;
	s.period_ms = cm_json_int64_or(probe, "periodSeconds", 10) * 1000;
	s.timeout_ms = cm_json_int64_or(probe, "timeoutSeconds", 1) * 1000;
	s.success_threshold = (int)cm_json_int64_or(probe, "successThreshold", 1);
	s.failure_threshold = (int)cm_json_int64_or(probe, "failureThreshold", 3);
	if (s.period_ms <= 0)
		s.period_ms = 10000;
	if (s.timeout_ms <= 0)
		s.timeout_ms = 1000;
	if (s.success_threshold < 1)
		s.success_threshold = 1;
	if (s.failure_threshold < 1)
		s.failure_threshold = 3;
	*out = s;
	return 0;
}

void kl_probe_state_reset(struct kl_probe_state *st)
{
	memset(st, 0, sizeof(*st));
}

bool kl_probe_due(const struct kl_probe_spec *spec, const struct kl_probe_state *st,
		  int64_t started_ms, int64_t now_ms)
{
	if (spec->kind == KL_PROBE_NONE)
		return false;
	if (now_ms < started_ms + spec->initial_delay_ms)
		return false;
	return st->last_run_ms == 0 || now_ms >= st->last_run_ms + spec->period_ms;
}

bool kl_probe_record(const struct kl_probe_spec *spec, struct kl_probe_state *st, bool ok, int64_t now_ms)
{
	enum kl_probe_result before = st->result;

	st->last_run_ms = now_ms;
	if (ok) {
		st->successes++;
		st->failures = 0;
		if (st->successes >= spec->success_threshold)
			st->result = KL_PROBE_SUCCESS;
	} else {
		st->failures++;
		st->successes = 0;
		if (st->failures >= spec->failure_threshold)
			st->result = KL_PROBE_FAILURE;
	}
	return st->result != before;
}

int64_t kl_backoff_delay(int restarts, int64_t base_ms, int64_t cap_ms)
{
	int64_t d = base_ms;

	if (restarts <= 0)
		return 0; /* the first restart is not delayed: only repeated crashes back off */
	for (int i = 1; i < restarts && d < cap_ms; i++)
		d *= 2;
	return d < cap_ms ? d : cap_ms;
}

int64_t kl_image_backoff_delay(int failures)
{
	return kl_backoff_delay(failures, 10000, 300000);
}
