/* events.h: the event recorder: core/v1 Events written for what a component does, aggregated by count. */
#ifndef CM_EVENTS_H
#define CM_EVENTS_H

#include "common/apiclient.h"

/*
 * Kubernetes' EventRecorder in small: the same (object, type, reason,
 * message) seen again within ten minutes bumps count and lastTimestamp of
 * the Event already written (a merge patch) instead of writing a new one.
 * Writes are fire-and-forget: an Event that cannot be written is logged at
 * debug level and dropped, never retried, never blocking the caller.
 */
struct cm_events;

/* The object an Event is about. Strings are borrowed for the call. */
struct cm_event_ref {
	const char *kind, *api_version, *ns, *name, *uid;
};

/* component is "default-scheduler", "replicaset-controller", ... (copied). Returns 0 or -ENOMEM. */
int cm_events_new(struct cm_api *api, const char *component, struct cm_events **out);
void cm_events_free(struct cm_events *ev);
/* type "Normal" or "Warning"; message printf-style. */
void cm_events_record(struct cm_events *ev, const struct cm_event_ref *obj, const char *type,
		      const char *reason, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
