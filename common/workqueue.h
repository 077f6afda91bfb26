/* workqueue.h: the controllers' work queue: de-duplicated keys, back-off on failure, one worker per key. */
#ifndef CM_WORKQUEUE_H
#define CM_WORKQUEUE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

/*
 * Level-triggered control loops put keys ("namespace/name") here, never
 * objects: a key added ten times before a worker takes it is processed once.
 * A key being processed is never handed out again until cm_workqueue_done();
 * an add meanwhile marks it dirty and it is queued again at done. A failed
 * key comes back after base_delay * 2^failures (capped), so a broken object
 * cannot spin a controller.
 *
 * Two ways to run it: with a loop, the queue calls process() itself for up to
 * `workers` keys at once (a reconcile may finish later, from an HTTP reply);
 * with loop NULL (tests), the caller pulls with cm_workqueue_get() and moves
 * the clock with cm_workqueue_tick().
 */
struct cm_workqueue;

/*
 * Called with a key to reconcile. key is valid until cm_workqueue_done(q,
 * key, ...) is called for it, which the callee must do exactly once (now or
 * later).
 */
typedef void (*cm_workqueue_fn)(struct cm_workqueue *q, const char *key, void *ud);

struct cm_workqueue_opts {
	int workers;             /* keys in process() at once; 0 means 1 */
	int64_t base_delay_ms;   /* first retry delay; 0 means 5 ms */
	int64_t max_delay_ms;    /* retry delay cap; 0 means 30 s */
	/* Clock for delays; NULL means cm_time_mono_ms. */
	int64_t (*now_ms)(void *clock_ud);
	void *clock_ud;
};

/*
 * Makes a queue. loop may be NULL (pull mode: process is ignored). opts may
 * be NULL; it is copied. Returns 0 and *out, or -ENOMEM.
 */
int cm_workqueue_new(uv_loop_t *loop, const struct cm_workqueue_opts *opts, cm_workqueue_fn process,
		     void *ud, struct cm_workqueue **out);
/*
 * Frees the queue and every key (with a loop, after its timers are closed,
 * from the loop). Keys in process() become invalid: call it once workers are
 * done or abandoned. NULL does nothing.
 */
void cm_workqueue_free(struct cm_workqueue *q);

/* Queues key (copied) unless already queued; a key in process is queued again at done. */
void cm_workqueue_add(struct cm_workqueue *q, const char *key);
/* Queues key after delay_ms (an earlier pending add wins). */
void cm_workqueue_add_after(struct cm_workqueue *q, const char *key, int64_t delay_ms);
/* Queues key after its back-off delay and counts a failure for it. */
void cm_workqueue_add_rate_limited(struct cm_workqueue *q, const char *key);
/* Clears key's failure count (its next failure waits base_delay again). */
void cm_workqueue_forget(struct cm_workqueue *q, const char *key);
/* Failures counted for key since its last forget. */
int cm_workqueue_failures(const struct cm_workqueue *q, const char *key);

/*
 * Pull mode: takes the next ready key. Returns 0 and *key (valid until done),
 * or -EAGAIN if none is ready.
 */
int cm_workqueue_get(struct cm_workqueue *q, const char **key);
/*
 * Ends the processing of key. err 0 forgets its failures; a negative err
 * re-queues it with back-off. If key was added while in process it is queued
 * again (at once on success).
 */
void cm_workqueue_done(struct cm_workqueue *q, const char *key, int err);
/* Moves delayed keys whose time has come into the queue (pull mode; the loop does it itself). */
void cm_workqueue_tick(struct cm_workqueue *q);

/* Keys ready to be handed out now. */
size_t cm_workqueue_len(const struct cm_workqueue *q);
/* Keys known to the queue: queued, delayed, in process, or with failures counted. */
size_t cm_workqueue_size(const struct cm_workqueue *q);

#endif
