/* choose.h: the proxy's choice of endpoint (round robin, sessionAffinity ClientIP): pure, no I/O. */
#ifndef KP_CHOOSE_H
#define KP_CHOOSE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kubeproxy/addr.h"

struct kp_sticky; /* one client IP's remembered endpoint (choose.c) */

/*
 * The endpoints of one service port and the state the choice needs: a round
 * robin cursor and, with affinity, a table client IP -> endpoint. The clock
 * is an argument (now_ms), so a test steps time by hand.
 * Caller-allocated: kp_chooser_init, then kp_chooser_close.
 */
struct kp_chooser {
	struct kp_addr *eps; /* ready endpoints, owned copy, in the order given */
	size_t n;
	size_t next; /* round robin cursor, always < n when n > 0 */
	bool affinity;
	uint64_t affinity_timeout_ms;
	struct kp_sticky *sticky; /* open addressing, cap a power of two or 0 */
	size_t nsticky, capsticky;
};

void kp_chooser_init(struct kp_chooser *c);
/* Frees the endpoints and the affinity table. */
void kp_chooser_close(struct kp_chooser *c);

/*
 * Replaces the endpoint set with a copy of eps[0..n). Round robin goes on
 * from where it was (modulo the new count); affinity entries that name an
 * endpoint no longer present are forgotten, the others kept. Returns 0 or
 * -ENOMEM (the chooser is unchanged then).
 */
int kp_chooser_set_endpoints(struct kp_chooser *c, const struct kp_addr *eps, size_t n);

/*
 * Turns ClientIP affinity on (timeout_ms > 0, Kubernetes' default is 10800 s)
 * or off (forgetting every entry).
 */
void kp_chooser_set_affinity(struct kp_chooser *c, bool on, uint64_t timeout_ms);

/* True if a is one of the current endpoints. */
bool kp_chooser_has(const struct kp_chooser *c, const struct kp_addr *a);

/*
 * Picks the endpoint for a new connection from client at now_ms: with
 * affinity, the client's IP's endpoint if it was used less than the timeout
 * ago (the entry is refreshed), else the next in round robin (remembered for
 * the client). Returns 0 and *out; -ENOENT with no endpoints; -ENOMEM if the
 * affinity table cannot grow (the cursor has not moved then).
 */
int kp_chooser_pick(struct kp_chooser *c, const struct kp_addr *client, uint64_t now_ms,
		    struct kp_addr *out);
#endif
