/* probe.h: probe specs and the pure decisions about them (when to run, what a result means), and restart back-off. */
#ifndef KL_PROBE_H
#define KL_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum kl_probe_kind { KL_PROBE_NONE = 0, KL_PROBE_HTTP, KL_PROBE_TCP, KL_PROBE_EXEC };

/* A probe as the pod spec gives it, times in milliseconds, Kubernetes' defaults applied. */
struct kl_probe_spec {
	enum kl_probe_kind kind;
	int port;            /* http, tcp */
	char path[256];      /* http */
	char host[64];       /* http, tcp: "" means the pod's IP */
	char scheme[8];      /* "HTTP" */
	const cJSON *command; /* exec: borrowed array of strings from the pod */
	int64_t initial_delay_ms;
	int64_t period_ms;   /* default 10 s */
	int64_t timeout_ms;  /* default 1 s */
	int success_threshold; /* default 1 */
	int failure_threshold; /* default 3 */
};

/*
 * Reads probe JSON (livenessProbe, ...) into *out; a named port is looked up
 * in ports (the container's "ports" array; may be NULL). Returns 0, -ENOENT
 * when probe is NULL, -EINVAL for a probe without a handler or a bad port.
 */
int kl_probe_spec_parse(const cJSON *probe, const cJSON *ports, struct kl_probe_spec *out);

enum kl_probe_result { KL_PROBE_UNKNOWN = 0, KL_PROBE_SUCCESS, KL_PROBE_FAILURE };

/* What the kubelet remembers of one probe of one running container. */
struct kl_probe_state {
	enum kl_probe_result result; /* the decided result (after thresholds) */
	int successes;               /* consecutive */
	int failures;                /* consecutive */
	int64_t last_run_ms;         /* 0 before the first run */
};

/* Resets the state for a container (re)start. */
void kl_probe_state_reset(struct kl_probe_state *st);
/*
 * True if the probe should run now: after initialDelaySeconds from the
 * container's start, then every periodSeconds from the last run.
 */
bool kl_probe_due(const struct kl_probe_spec *spec, const struct kl_probe_state *st,
		  int64_t started_ms, int64_t now_ms);
/*
 * Records one outcome at now_ms; the result flips to SUCCESS after
 * successThreshold consecutive successes and to FAILURE after
 * failureThreshold consecutive failures. Returns true if the result changed.
 */
bool kl_probe_record(const struct kl_probe_spec *spec, struct kl_probe_state *st, bool ok, int64_t now_ms);

/*
 * The wait before restart number restarts+1 of a container: base doubled per
 * earlier restart, capped at cap_ms (Kubernetes: 10 s doubling to 5 min).
 */
int64_t kl_backoff_delay(int restarts, int64_t base_ms, int64_t cap_ms);

/*
 * The wait after failures (>= 1) failed image pulls in a row of one
 * container: Kubernetes' image back-off, 10 s doubling to 5 min; the count
 * starts over when a start works. 0 for failures <= 0.
 */
int64_t kl_image_backoff_delay(int failures);

#endif
