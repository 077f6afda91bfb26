/* teardown.h: deleted pods' folders and networks are removed on the thread pool, a few pods at a time, not on the loop. */
#ifndef KL_TEARDOWN_H
#define KL_TEARDOWN_H

#include <stdbool.h>

#include <uv.h>

struct kl_runtime;
struct kl_podnet;
struct kl_teardowns;

/* A pod's removal ended (on the loop): rc 0, or -ECANCELED when the kubelet stopped before it began. */
typedef void (*kl_teardown_done_cb)(int rc, void *ud);

/* Makes the removal queue of loop. 0 and *out, or -ENOMEM. */
int kl_teardowns_new(uv_loop_t *loop, struct kl_teardowns **out);
/*
 * The kubelet stops: removals not begun are dropped (done gets -ECANCELED
 * now; what they would have removed is an orphan for the next kubelet to
 * remove), those running end while the loop runs on, and t is freed after
 * the last. NULL does nothing.
 */
void kl_teardowns_free(struct kl_teardowns *t);
/*
 * Removes pod uid's sandbox through rt (borrowed; must outlive the loop)
 * and its network on net (NULL: none). Where rt has
 * sandbox_remove_any_thread or there is a network, that is done on the
 * thread pool (rt's sandbox_release, if any, first on the loop): -EINPROGRESS, then done(ud) on the loop (done may be NULL);
 * rt's sandbox_remove runs on the loop at once otherwise. Else (nothing
 * left to do off the loop, or no memory for it: done at once) 0, and done
 * is not called. Until done, nothing of the pod may be made again: its uid
 * names its folder, namespace and veth.
 */
int kl_teardown_start(struct kl_teardowns *t, struct kl_runtime *rt, struct kl_podnet *net, const char *uid,
		      kl_teardown_done_cb done, void *ud);
/* Whether pod uid's removal is queued or running. */
bool kl_teardown_busy(const struct kl_teardowns *t, const char *uid);

#endif
