/* ns_cache.c: the table of namespaces known active, fed by the namespaces' watch and by reads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apiserver/ns_cache.h"
#include "common/json.h"

/*
 * A plain array searched linearly: clusters have tens of namespaces, and a
 * string compare per namespace is far below the etcd round trip it replaces.
 * Deleted namespaces stay as inactive entries, so a late read cannot revive them.
 */
struct api_nsentry {
	char *name;
	int64_t rev;
	bool active;
};

void api_nscache_init(struct api_nscache *nc)
{
	nc->v = NULL;
	nc->n = nc->cap = 0;
}

void api_nscache_close(struct api_nscache *nc)
{
	for (size_t i = 0; i < nc->n; i++)
		free(nc->v[i].name);
	free(nc->v);
	api_nscache_init(nc);
}

static struct api_nsentry *find(const struct api_nscache *nc, const char *name)
{
	for (size_t i = 0; i < nc->n; i++)
		if (!strcmp(nc->v[i].name, name))
			return &nc->v[i];
	return NULL;
}

bool api_nscache_active(const struct api_nscache *nc, const char *name)
{
	const struct api_nsentry *e = find(nc, name);

	return e && e->active;
}

int api_nscache_set(struct api_nscache *nc, const char *name, int64_t rev, bool active)
{
	struct api_nsentry *e = find(nc, name);

	if (e) {
		if (e->rev <= rev) {
			e->rev = rev;
			e->active = active;
		}
		return 0;
	}
	if (nc->n == nc->cap) {
		size_t cap = nc->cap ? nc->cap * 2 : 16;
		struct api_nsentry *v = realloc(nc->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		nc->v = v;
		nc->cap = cap;
	}
	e = &nc->v[nc->n];
	e->name = strdup(name);
	if (!e->name)
		return -ENOMEM;
	e->rev = rev;
	e->active = active;
	nc->n++;
	return 0;
}

void api_nscache_on_event(void *ud, bool deleted, const char *key, int64_t rev, const char *obj, size_t len)
{
	struct api_nscache *nc = ud;
	const char *name = strrchr(key, '/');
	bool active = false;

	name = name ? name + 1 : key;
	if (!deleted) {
		cJSON *tree = cJSON_ParseWithLength(obj, len);

		active = tree && !cm_json_get(tree, "metadata.deletionTimestamp");
		cJSON_Delete(tree);
	}
	if (api_nscache_set(nc, name, rev, active) < 0) {
		/* out of memory: an entry we could not update must not answer */
		struct api_nsentry *e = find(nc, name);

		if (e)
			e->active = false;
	}
}

void api_nscache_on_reset(void *ud)
{
	api_nscache_close(ud);
}
