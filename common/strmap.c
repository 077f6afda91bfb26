/* strmap.c: chained hash map keyed by strings (FNV-1a), doubling when the load passes 1. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void cm_strmap_init(struct cm_strmap *m)
{
	m->slots = NULL;
	m->nslots = 0;
	m->count = 0;
}

void cm_strmap_close(struct cm_strmap *m)
{
	for (size_t i = 0; i < m->nslots; i++) {
		struct cm_strmap_ent *e = m->slots[i];
		while (e) {
			struct cm_strmap_ent *n = e->next;
			free(e->key);
			free(e);
			e = n;
		}
	}
	free(m->slots);
	cm_strmap_init(m);
}

static struct cm_strmap_ent *find(const struct cm_strmap *m, const char *key, size_t h)
{
	if (!m->nslots)
		return NULL;
	for (struct cm_strmap_ent *e = m->slots[h & (m->nslots - 1)]; e; e = e->next)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

void *cm_strmap_get(const struct cm_strmap *m, const char *key)
{
	struct cm_strmap_ent *e = find(m, key, hash_str(key));
	return e ? e->val : NULL;
}

const char *cm_strmap_key(const struct cm_strmap *m, const char *key)
{
	struct cm_strmap_ent *e = find(m, key, hash_str(key));
	return e ? e->key : NULL;
}

static int grow(struct cm_strmap *m)
{
	size_t n = m->nslots ? m->nslots * 2 : 16;
	struct cm_strmap_ent **slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->nslots; i++) {
		struct cm_strmap_ent *e = m->slots[i];
		while (e) {
			struct cm_strmap_ent *next = e->next;
			e->next = slots[e->hash & (n - 1)];
			slots[e->hash & (n - 1)] = e;
			e = next;
		}
	}
	free(m->slots);
	m->slots = slots;
	m->nslots = n;
	return 0;
}

int cm_strmap_put(struct cm_strmap *m, const char *key, void *val, void **old)
{
	size_t h = hash_str(key);
	struct cm_strmap_ent *e = find(m, key, h);

	if (e) {
		if (old)
			*old = e->val;
		e->val = val;
		return 0;
	}
	/* Grow first so a failure leaves the map as it was. */
	if (m->count >= m->nslots && grow(m))
		return -ENOMEM;
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->key = strdup(key);
	if (!e->key) {
		free(e);
		return -ENOMEM;
	}
	e->val = val;
	e->hash = h;
	e->next = m->slots[h & (m->nslots - 1)];
	m->slots[h & (m->nslots - 1)] = e;
	m->count++;
	if (old)
		*old = NULL;
	return 0;
}

void *cm_strmap_del(struct cm_strmap *m, const char *key)
{
	size_t h = hash_str(key);

	if (!m->nslots)
		return NULL;
	for (struct cm_strmap_ent **pp = &m->slots[h & (m->nslots - 1)]; *pp; pp = &(*pp)->next) {
		struct cm_strmap_ent *e = *pp;
		if (e->hash == h && strcmp(e->key, key) == 0) {
			void *v = e->val;
			*pp = e->next;
			free(e->key);
			free(e);
			m->count--;
			return v;
		}
	}
	return NULL;
}

void cm_strmap_foreach(const struct cm_strmap *m, int (*fn)(const char *key, void *val, void *ud),
		       void *ud)
{
	for (size_t i = 0; i < m->nslots; i++)
		for (struct cm_strmap_ent *e = m->slots[i]; e; e = e->next)
			if (fn(e->key, e->val, ud))
				return;
}
