/* choose.c: round robin over a service port's ready endpoints, with ClientIP stickiness. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kubeproxy/choose.h"

struct kp_sticky {
	bool used;
	struct kp_addr client; /* port zero: affinity is by IP */
	struct kp_addr ep;
	uint64_t last_ms;
};

void kp_chooser_init(struct kp_chooser *c)
{
	memset(c, 0, sizeof(*c));
}

void kp_chooser_close(struct kp_chooser *c)
{
	free(c->eps);
	free(c->sticky);
	kp_chooser_init(c);
}

bool kp_chooser_has(const struct kp_chooser *c, const struct kp_addr *a)
{
	for (size_t i = 0; i < c->n; i++)
		if (kp_addr_equal(&c->eps[i], a))
			return true;
	return false;
}

static struct kp_sticky *sticky_slot(struct kp_sticky *tab, size_t cap, const struct kp_addr *ip)
{
	size_t mask = cap - 1, i = kp_addr_hash(ip, false) & mask;

	while (tab[i].used && !kp_addr_ip_equal(&tab[i].client, ip))
		i = (i + 1) & mask;
	return &tab[i];
}

/*
 * Rebuilds the table at cap, keeping only entries still valid (endpoint
 * present, not expired at now_ms, or now_ms 0 for "do not expire"). Rebuilding
 * is how entries are deleted: linear probing has no cheap single delete.
 */
static int sticky_rebuild(struct kp_chooser *c, size_t cap, uint64_t now_ms)
{
	struct kp_sticky *tab = calloc(cap, sizeof(*tab));
	size_t n = 0;

	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < c->capsticky; i++) {
		struct kp_sticky *e = &c->sticky[i];
		if (!e->used || !kp_chooser_has(c, &e->ep))
			continue;
		if (now_ms && now_ms - e->last_ms >= c->affinity_timeout_ms)
			continue;
		*sticky_slot(tab, cap, &e->client) = *e;
		n++;
	}
	free(c->sticky);
	c->sticky = tab;
	c->capsticky = cap;
	c->nsticky = n;
	return 0;
}

int kp_chooser_set_endpoints(struct kp_chooser *c, const struct kp_addr *eps, size_t n)
{
	struct kp_addr *copy = NULL, *old = c->eps;
	size_t oldn = c->n;

	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, eps, n * sizeof(*copy));
	}
	c->eps = copy;
	c->n = n;
	if (c->capsticky && sticky_rebuild(c, c->capsticky, 0) < 0) {
		c->eps = old;
		c->n = oldn;
		free(copy);
		return -ENOMEM;
	}
	free(old);
	c->next = n ? c->next % n : 0;
	return 0;
}

void kp_chooser_set_affinity(struct kp_chooser *c, bool on, uint64_t timeout_ms)
{
	c->affinity = on && timeout_ms > 0;
	c->affinity_timeout_ms = timeout_ms;
	if (!c->affinity) {
		free(c->sticky);
		c->sticky = NULL;
		c->nsticky = c->capsticky = 0;
	}
}

int kp_chooser_pick(struct kp_chooser *c, const struct kp_addr *client, uint64_t now_ms,
		    struct kp_addr *out)
{
	struct kp_addr ip;
	struct kp_sticky *e;

	if (!c->n)
		return -ENOENT;
	if (!c->affinity) {
		*out = c->eps[c->next];
		c->next = (c->next + 1) % c->n;
		return 0;
	}
	ip = *client;
	ip.port = 0;
	if (c->capsticky) {
		e = sticky_slot(c->sticky, c->capsticky, &ip);
		if (e->used && now_ms - e->last_ms < c->affinity_timeout_ms) {
			e->last_ms = now_ms;
			*out = e->ep;
			return 0;
		}
		if (e->used) { /* expired: reuse the slot for a fresh choice */
			e->ep = c->eps[c->next];
			e->last_ms = now_ms;
			*out = e->ep;
			c->next = (c->next + 1) % c->n;
			return 0;
		}
	}
	/* A new client: keep the load at most one half so probes stay short. */
	if ((c->nsticky + 1) * 2 > c->capsticky) {
		size_t cap = c->capsticky ? c->capsticky : 16;
		while ((c->nsticky + 1) * 2 > cap)
			cap *= 2;
		if (sticky_rebuild(c, cap, now_ms) < 0)
			return -ENOMEM;
	}
	e = sticky_slot(c->sticky, c->capsticky, &ip);
	e->used = true;
	e->client = ip;
	e->ep = c->eps[c->next];
	e->last_ms = now_ms;
	c->nsticky++;
	*out = e->ep;
	c->next = (c->next + 1) % c->n;
	return 0;
}
