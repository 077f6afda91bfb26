/* queued.c: the start and stop every queue-driven controller shares. */
#include <assert.h>
#include <stdlib.h>

#include "controller/manager.h"
#include "controller/queued.h"

/* A controller in back-off is looked at again at least this often, however often it failed. */
#define MAX_DELAY_MS 10000

void *ctl_queued_new(struct ctl_manager *m, size_t size, int workers, int64_t base_delay_ms,
		     cm_workqueue_fn reconcile)
{
	struct cm_workqueue_opts qo = {
		.workers = workers, .base_delay_ms = base_delay_ms, .max_delay_ms = MAX_DELAY_MS};
	struct ctl_queued *c;

	assert(size >= sizeof(*c));
	c = calloc(1, size);
	if (!c)
		return NULL;
	c->m = m;
	if (cm_workqueue_new(m->loop, &qo, reconcile, c, &c->q)) {
		free(c);
		return NULL;
	}
	return c;
}

void ctl_queued_free(struct ctl_queued *c)
{
	if (!c)
		return;
	cm_workqueue_free(c->q);
	free(c);
}
