/* cache.c: per-node sums of requests, pod counts, host ports and per-owner counts. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/cache.h"

struct sch_counted {
	char *node, *owner;
	int64_t cpu, mem;
	int *ports;
	size_t nports;
	bool assumed;
};

void sch_cache_init(struct sch_cache *c)
{
	cm_strmap_init(&c->usage);
	cm_strmap_init(&c->counted);
	cm_strmap_init(&c->owners);
}

static int free_usage(const char *k, void *v, void *ud)
{
	struct sch_node_usage *u = v;
	(void)k, (void)ud;
	free(u->ports);
	free(u);
	return 0;
}

static int free_counted(const char *k, void *v, void *ud)
{
	struct sch_counted *x = v;
	(void)k, (void)ud;
	free(x->node);
	free(x->owner);
	free(x->ports);
	free(x);
	return 0;
}

void sch_cache_close(struct sch_cache *c)
{
	cm_strmap_foreach(&c->usage, free_usage, NULL);
	cm_strmap_foreach(&c->counted, free_counted, NULL);
	cm_strmap_close(&c->usage);
	cm_strmap_close(&c->counted);
	cm_strmap_close(&c->owners);
}

static void owner_bump(struct sch_cache *c, const char *owner, const char *node, int d)
{
	char key[512];
	intptr_t n;

	if (!*owner)
		return;
	snprintf(key, sizeof(key), "%s|%s", owner, node);
	n = (intptr_t)cm_strmap_get(&c->owners, key) + d;
	if (n <= 0)
		cm_strmap_del(&c->owners, key);
	else
		cm_strmap_put(&c->owners, key, (void *)n, NULL);
}

static void uncount(struct sch_cache *c, struct sch_counted *x)
{
	struct sch_node_usage *u = cm_strmap_get(&c->usage, x->node);

	if (u) {
		u->cpu_milli -= x->cpu;
		u->mem_milli -= x->mem;
		u->pods--;
		for (size_t i = 0; i < x->nports; i++)
			for (size_t j = 0; j < u->nports; j++)
				if (u->ports[j] == x->ports[i]) {
					u->ports[j] = u->ports[--u->nports];
					break;
				}
		if (u->pods <= 0)
			free_usage(NULL, cm_strmap_del(&c->usage, x->node), NULL);
	}
	owner_bump(c, x->owner, x->node, -1);
}

void sch_cache_remove(struct sch_cache *c, const char *key)
{
	struct sch_counted *x = cm_strmap_del(&c->counted, key);

	if (x) {
		uncount(c, x);
		free_counted(NULL, x, NULL);
	}
}

int sch_cache_add(struct sch_cache *c, const char *key, const struct cm_pod *pod, const char *node,
		  bool assumed)
{
	struct sch_counted *x = cm_strmap_get(&c->counted, key);
	struct sch_node_usage *u;

	if (x && strcmp(x->node, node) == 0) {
		x->assumed = assumed; /* the watch confirmed what we assumed: counted already */
		return 0;
	}
	sch_cache_remove(c, key);
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->node = strdup(node);
	x->owner = strdup(pod->m.owner_uid);
	if (pod->nports)
		x->ports = malloc(pod->nports * sizeof(int));
	u = cm_strmap_get(&c->usage, node);
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (u && cm_strmap_put(&c->usage, node, u, NULL)) {
			free(u);
			u = NULL;
		}
	}
	if (!x->node || !x->owner || (pod->nports && !x->ports) || !u)
		goto fail;
	if (pod->nports) {
		int *p = realloc(u->ports, (u->nports + pod->nports) * sizeof(int));
		if (!p)
			goto fail;
		u->ports = p;
		memcpy(u->ports + u->nports, pod->host_ports, pod->nports * sizeof(int));
		u->nports += pod->nports;
		memcpy(x->ports, pod->host_ports, pod->nports * sizeof(int));
		x->nports = pod->nports;
	}
	if (cm_strmap_put(&c->counted, key, x, NULL))
		goto fail;
	x->cpu = pod->cpu_milli;
	x->mem = pod->mem_milli;
	x->assumed = assumed;
	u->cpu_milli += x->cpu;
	u->mem_milli += x->mem;
	u->pods++;
	owner_bump(c, x->owner, node, 1);
	return 0;
fail:
	if (u && u->pods == 0 && !u->nports)
		free_usage(NULL, cm_strmap_del(&c->usage, node), NULL);
	free_counted(NULL, x, NULL);
	return -ENOMEM;
}

bool sch_cache_assumed(const struct sch_cache *c, const char *key)
{
	struct sch_counted *x = cm_strmap_get(&c->counted, key);
	return x && x->assumed;
}

const struct sch_node_usage *sch_cache_usage(const struct sch_cache *c, const char *node)
{
	static const struct sch_node_usage none; /* read-only: not mutable state */
	const struct sch_node_usage *u = cm_strmap_get(&c->usage, node);

	return u ? u : &none;
}

int64_t sch_cache_owner_count(const struct sch_cache *c, const char *owner_uid, const char *node)
{
	char key[512];

	if (!*owner_uid)
		return 0;
	snprintf(key, sizeof(key), "%s|%s", owner_uid, node);
	return (int64_t)(intptr_t)cm_strmap_get(&c->owners, key);
}
