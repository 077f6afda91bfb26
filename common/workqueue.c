/* workqueue.c: a FIFO of de-duplicated keys with delayed re-adds and per-key exponential back-off. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"
#include "common/timeutil.h"
#include "common/workqueue.h"

enum {
	ITEM_QUEUED = 1,     /* in the FIFO */
	ITEM_PROCESSING = 2, /* handed out, done not called yet */
	ITEM_DIRTY = 4,      /* added while processing: queue again at done */
	ITEM_WAITING = 8,    /* a delayed add is pending at ready_at */
};

struct item {
	const char *key; /* the map's copy */
	unsigned flags;
	int failures;
	int64_t ready_at;
	struct item *next; /* FIFO link */
};

struct cm_workqueue {
	struct cm_workqueue_opts o;
	uv_loop_t *loop;
	cm_workqueue_fn process;
	void *ud;
	struct cm_strmap items; /* key -> struct item */
	struct item *head, *tail;
	size_t queued;
	int in_process;
	int64_t next_wake; /* earliest ready_at among waiting items, 0 if none */
	uv_timer_t kick, delay;
	int closing;
	int dispatching;
};

static int64_t now(const struct cm_workqueue *q)
{
	return q->o.now_ms ? q->o.now_ms(q->o.clock_ud) : cm_time_mono_ms();
}

static void arm(struct cm_workqueue *q);

static void on_kick(uv_timer_t *t)
{
	struct cm_workqueue *q = t->data;
	int budget = 1000; /* yield to the loop now and then so I/O is not starved */
	const char *key;

	if (q->closing)
		return;
	q->dispatching = 1;
	while (budget-- > 0 && q->in_process < q->o.workers && cm_workqueue_get(q, &key) == 0)
		q->process(q, key, q->ud);
	q->dispatching = 0;
	arm(q);
}

static void on_delay(uv_timer_t *t)
{
	struct cm_workqueue *q = t->data;

	if (!q->closing)
		cm_workqueue_tick(q);
}

/* With a loop: schedule a dispatch if work can start, and the delay timer at the next wake-up. */
static void arm(struct cm_workqueue *q)
{
	if (!q->loop || q->closing)
		return;
	if (!q->dispatching && q->queued && q->in_process < q->o.workers && !uv_is_active((uv_handle_t *)&q->kick))
		uv_timer_start(&q->kick, on_kick, 0, 0);
	if (q->next_wake) {
		int64_t d = q->next_wake - now(q);
		uv_timer_start(&q->delay, on_delay, d > 0 ? (uint64_t)d : 0, 0);
	} else {
		uv_timer_stop(&q->delay);
	}
}

int cm_workqueue_new(uv_loop_t *loop, const struct cm_workqueue_opts *opts, cm_workqueue_fn process,
		     void *ud, struct cm_workqueue **out)
{
	struct cm_workqueue *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	if (opts)
		q->o = *opts;
	if (q->o.workers <= 0)
		q->o.workers = 1;
	if (q->o.base_delay_ms <= 0)
		q->o.base_delay_ms = 5;
	if (q->o.max_delay_ms <= 0)
		q->o.max_delay_ms = 30000;
	q->loop = loop;
	q->process = process;
	q->ud = ud;
	cm_strmap_init(&q->items);
	if (loop) {
		uv_timer_init(loop, &q->kick);
		uv_timer_init(loop, &q->delay);
		q->kick.data = q->delay.data = q;
	}
	*out = q;
	return 0;
}

static int free_item(const char *key, void *val, void *ud)
{
	(void)key;
	(void)ud;
	free(val);
	return 0;
}

static void release(struct cm_workqueue *q)
{
	cm_strmap_foreach(&q->items, free_item, NULL);
	cm_strmap_close(&q->items);
	free(q);
}

static void on_closed(uv_handle_t *h)
{
	struct cm_workqueue *q = h->data;

	/* Both timers share this callback: free after the second. */
	if (++q->closing == 3)
		release(q);
}

void cm_workqueue_free(struct cm_workqueue *q)
{
	if (!q)
		return;
	if (!q->loop) {
		release(q);
		return;
	}
	q->closing = 1;
	uv_close((uv_handle_t *)&q->kick, on_closed);
	uv_close((uv_handle_t *)&q->delay, on_closed);
}

static struct item *lookup(struct cm_workqueue *q, const char *key, int create)
{
	struct item *it = cm_strmap_get(&q->items, key);

	if (it || !create)
		return it;
	it = calloc(1, sizeof(*it));
	if (!it)
		return NULL;
	if (cm_strmap_put(&q->items, key, it, NULL)) {
		free(it);
		return NULL;
	}
	it->key = cm_strmap_key(&q->items, key);
	return it;
}

/* Drops an item the queue no longer needs to remember. */
static void maybe_drop(struct cm_workqueue *q, struct item *it)
{
	if (it->flags == 0 && it->failures == 0)
		free(cm_strmap_del(&q->items, it->key));
}

static void enqueue(struct cm_workqueue *q, struct item *it)
{
	it->flags |= ITEM_QUEUED;
	it->flags &= ~ITEM_WAITING;
	it->next = NULL;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->queued++;
}

static void add_item(struct cm_workqueue *q, struct item *it)
{
	if (it->flags & ITEM_PROCESSING) {
		it->flags |= ITEM_DIRTY;
		it->flags &= ~ITEM_WAITING;
		return;
	}
	if (!(it->flags & ITEM_QUEUED))
		enqueue(q, it);
}

void cm_workqueue_add(struct cm_workqueue *q, const char *key)
{
	struct item *it = lookup(q, key, 1);

	if (!it)
		return; /* out of memory: the next resync or event brings the key back */
	add_item(q, it);
	arm(q);
}

void cm_workqueue_add_after(struct cm_workqueue *q, const char *key, int64_t delay_ms)
{
	struct item *it;
	int64_t at;

	if (delay_ms <= 0) {
		cm_workqueue_add(q, key);
		return;
	}
	it = lookup(q, key, 1);
	if (!it)
		return;
	if (it->flags & (ITEM_QUEUED | ITEM_DIRTY))
		return; /* it runs sooner anyway */
	at = now(q) + delay_ms;
	if ((it->flags & ITEM_WAITING) && it->ready_at <= at)
		return;
	it->flags |= ITEM_WAITING;
	it->ready_at = at;
	if (!q->next_wake || at < q->next_wake)
		q->next_wake = at;
	arm(q);
}

void cm_workqueue_add_rate_limited(struct cm_workqueue *q, const char *key)
{
	struct item *it = lookup(q, key, 1);
	int64_t d;

	if (!it)
		return;
	d = q->o.base_delay_ms;
	for (int i = 0; i < it->failures && d < q->o.max_delay_ms; i++)
		d *= 2;
	if (d > q->o.max_delay_ms)
		d = q->o.max_delay_ms;
	it->failures++;
	cm_workqueue_add_after(q, key, d);
}

void cm_workqueue_forget(struct cm_workqueue *q, const char *key)
{
	struct item *it = lookup(q, key, 0);

	if (it) {
		it->failures = 0;
		maybe_drop(q, it);
	}
}

int cm_workqueue_failures(const struct cm_workqueue *q, const char *key)
{
	struct item *it = cm_strmap_get(&q->items, key);
	return it ? it->failures : 0;
}

int cm_workqueue_get(struct cm_workqueue *q, const char **key)
{
	struct item *it = q->head;

	if (!it)
		return -EAGAIN;
	q->head = it->next;
	if (!q->head)
		q->tail = NULL;
	q->queued--;
	it->flags &= ~ITEM_QUEUED;
	it->flags |= ITEM_PROCESSING;
	q->in_process++;
	*key = it->key;
	return 0;
}

void cm_workqueue_done(struct cm_workqueue *q, const char *key, int err)
{
	struct item *it = lookup(q, key, 0);

	if (!it || !(it->flags & ITEM_PROCESSING))
		return;
	it->flags &= ~ITEM_PROCESSING;
	q->in_process--;
	if (err == 0)
		it->failures = 0;
	if (it->flags & ITEM_DIRTY) {
		it->flags &= ~ITEM_DIRTY;
		enqueue(q, it);
	} else if (err < 0) {
		/* it->key is the map's copy: add_rate_limited looks it up again. */
		cm_workqueue_add_rate_limited(q, it->key);
	}
	maybe_drop(q, it);
	arm(q);
}

struct tick_ctx {
	struct cm_workqueue *q;
	int64_t now, next;
};

static int tick_one(const char *key, void *val, void *ud)
{
	struct tick_ctx *t = ud;
	struct item *it = val;

	(void)key;
	if (!(it->flags & ITEM_WAITING))
		return 0;
	if (it->ready_at <= t->now)
		add_item(t->q, it);
	else if (!t->next || it->ready_at < t->next)
		t->next = it->ready_at;
	return 0;
}

void cm_workqueue_tick(struct cm_workqueue *q)
{
	struct tick_ctx t = {q, now(q), 0};

	cm_strmap_foreach(&q->items, tick_one, &t);
	q->next_wake = t.next;
	arm(q);
}

size_t cm_workqueue_len(const struct cm_workqueue *q)
{
	return q->queued;
}

size_t cm_workqueue_size(const struct cm_workqueue *q)
{
	return cm_strmap_count(&q->items);
}
