/* queued.h: a queue-driven controller's manager and work queue, made and freed in one place. */
#ifndef CTL_QUEUED_H
#define CTL_QUEUED_H

#include <stddef.h>
#include <stdint.h>

#include "common/workqueue.h"

struct ctl_manager;

/* The first member of every controller whose reconciles are driven by keys on a work queue. */
struct ctl_queued {
	struct ctl_manager *m;  /* borrowed: the manager outlives its controllers */
	struct cm_workqueue *q; /* owned */
};

/*
 * Allocates a zeroed controller of size bytes (a struct whose first member is
 * a struct ctl_queued), records m and gives it a work queue on m's loop that
 * runs reconcile with the controller as ud, workers keys at once, retrying a
 * failed key after base_delay_ms doubling up to 10 s. The caller owns the
 * result and frees it with ctl_queued_free(). NULL on -ENOMEM.
 */
void *ctl_queued_new(struct ctl_manager *m, size_t size, int workers, int64_t base_delay_ms,
		     cm_workqueue_fn reconcile);
/* Frees the queue (its keys with it) and the controller c heads. NULL does nothing. */
void ctl_queued_free(struct ctl_queued *c);

#endif
