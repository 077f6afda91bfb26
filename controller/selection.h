/* selection.h: the pods a Service selects and the Services that select a pod (Endpoints and EndpointSlices). */
#ifndef CTL_SELECTION_H
#define CTL_SELECTION_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/objview.h"
#include "common/workqueue.h"

struct ctl_manager;

struct ctl_selected {
	const struct cm_pod **pods; /* views in the pod informer's cache; the array is the caller's to free */
	size_t n, cap;
};

/* Adds to s the pods of namespace ns whose labels carry every key=value of selector. 0 or -ENOMEM. */
int ctl_select_pods(struct ctl_manager *m, const char *ns, const cJSON *selector, struct ctl_selected *s);

/*
 * Queues on q every Service of the pod's namespace whose selector picks a or
 * b: the pod before and after a change (either may be NULL, not both), so a
 * pod that left a Service's selection updates it too.
 */
void ctl_queue_selecting_services(struct ctl_manager *m, struct cm_workqueue *q, const struct cm_pod *a,
				  const struct cm_pod *b);

#endif
