/* smpatch.c: the merge-key table of Kubernetes' built-in types and applying a strategic merge patch. */
#include "common/smpatch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/*
 * The lists Kubernetes' types tag with patchStrategy "merge". A parent of
 * "*" matches any parent. Everything not listed is replaced whole.
 */
static const struct {
	const char *parent, *field, *key; /* key NULL: a list of scalars */
} merge_lists[] = {
	{"*", "containers", "name"},
	{"*", "initContainers", "name"},
	{"*", "ephemeralContainers", "name"},
	{"containers", "ports", "containerPort"},
	{"initContainers", "ports", "containerPort"},
	{"ephemeralContainers", "ports", "containerPort"},
	{"spec", "ports", "port"}, /* ServiceSpec */
	{"containers", "env", "name"},
	{"initContainers", "env", "name"},
	{"ephemeralContainers", "env", "name"},
	{"containers", "volumeMounts", "mountPath"},
	{"initContainers", "volumeMounts", "mountPath"},
	{"ephemeralContainers", "volumeMounts", "mountPath"},
	{"containers", "volumeDevices", "devicePath"},
	{"initContainers", "volumeDevices", "devicePath"},
	{"*", "volumes", "name"},
	{"*", "imagePullSecrets", "name"},
	{"*", "hostAliases", "ip"},
	{"*", "topologySpreadConstraints", "topologyKey"},
	{"spec", "resourceClaims", "name"},
	{"status", "conditions", "type"},
	{"status", "addresses", "type"},
	{"status", "podIPs", "ip"},
	{"status", "hostIPs", "ip"},
	{"metadata", "ownerReferences", "uid"},
	{"metadata", "finalizers", NULL},
};

enum cm_sm_strategy cm_smpatch_strategy(const char *parent, const char *field, const char **merge_key)
{
	parent = parent ? parent : "";
	for (size_t i = 0; i < sizeof(merge_lists) / sizeof(merge_lists[0]); i++) {
		if (strcmp(merge_lists[i].field, field) ||
		    (strcmp(merge_lists[i].parent, "*") && strcmp(merge_lists[i].parent, parent)))
			continue;
		if (!merge_lists[i].key)
			return CM_SM_MERGE_SCALARS;
		if (merge_key)
			*merge_key = merge_lists[i].key;
		return CM_SM_MERGE_KEY;
	}
	return CM_SM_REPLACE;
}

bool cm_smpatch_retain_keys(const char *parent, const char *field)
{
	parent = parent ? parent : "";
	return (!strcmp(parent, "spec") && !strcmp(field, "strategy")) || !strcmp(field, "volumes");
}

static int bad(struct cm_buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct cm_buf *err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		cm_buf_vprintf(err, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

#define PATCH_DIRECTIVE "$patch"
#define RETAIN_KEYS "$retainKeys"
#define SET_ORDER "$setElementOrder/"
#define DELETE_PRIMITIVE "$deleteFromPrimitiveList/"

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool is_directive(const char *k)
{
	return !strcmp(k, PATCH_DIRECTIVE) || !strcmp(k, RETAIN_KEYS) || starts_with(k, SET_ORDER) ||
	       starts_with(k, DELETE_PRIMITIVE);
}

/* Index of the element of list whose merge key (or value, key NULL) equals that of want; -1 if none. */
static int find_in(const cJSON *list, const char *key, const cJSON *want)
{
	const cJSON *wv = key ? cJSON_GetObjectItemCaseSensitive(want, key) : want;
	const cJSON *e;
	int i = 0;
	if (!wv)
		return -1;
	cJSON_ArrayForEach(e, list)
	{
		const cJSON *ev = key ? cJSON_GetObjectItemCaseSensitive(e, key) : e;
		if (ev && cJSON_Compare(ev, wv, 1))
			return i;
		i++;
	}
	return -1;
}

/* Replaces (or adds) obj[k] with v, taking v over; -ENOMEM frees v. */
static int put(cJSON *obj, const char *k, cJSON *v)
{
	if (!v)
		return -ENOMEM;
	if (cJSON_GetObjectItemCaseSensitive(obj, k))
		return cJSON_ReplaceItemInObjectCaseSensitive(obj, k, v) ? 0 : (cJSON_Delete(v), -ENOMEM);
	return cJSON_AddItemToObject(obj, k, v) ? 0 : (cJSON_Delete(v), -ENOMEM);
}

static void clear(cJSON *container)
{
	while (container->child)
		cJSON_Delete(cJSON_DetachItemViaPointer(container, container->child));
}

static int merge_map(cJSON *orig, const cJSON *patch, const char *parent, struct cm_buf *err);

/* A patch value placed where the original had nothing: merged into an empty value so directives act. */
static cJSON *fresh(const cJSON *pv, const char *parent, const char *field, struct cm_buf *err, int *rc);

static int merge_list_keyed(cJSON *orig, const cJSON *patch, const char *key, const char *field,
			    struct cm_buf *err)
{
	const cJSON *pe;
	int rc;
	/* {"$patch": "replace"} anywhere in the list: the patch's other elements are the list */
	cJSON_ArrayForEach(pe, patch)
	{
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(pe, PATCH_DIRECTIVE);
		if (cJSON_IsString(d) && !strcmp(d->valuestring, "replace")) {
			clear(orig);
			const cJSON *q;
			cJSON_ArrayForEach(q, patch)
			{
				if (q == pe)
					continue;
				cJSON *c = fresh(q, field, NULL, err, &rc);
				if (!c)
					return rc;
				cJSON_AddItemToArray(orig, c);
			}
			return 0;
		}
	}
	cJSON_ArrayForEach(pe, patch)
	{
		if (!cJSON_IsObject(pe) || !cJSON_GetObjectItemCaseSensitive(pe, key))
			return bad(err, "%s: element does not contain declared merge key: %s", field, key);
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(pe, PATCH_DIRECTIVE);
		if (d && (!cJSON_IsString(d) || (strcmp(d->valuestring, "delete") && strcmp(d->valuestring, "merge"))))
			return bad(err, "%s: unknown patch type in list element: %s", field,
				   cJSON_IsString(d) ? d->valuestring : "(not a string)");
		int i = find_in(orig, key, pe);
		if (d && !strcmp(d->valuestring, "delete")) {
			for (; i >= 0; i = find_in(orig, key, pe))
				cJSON_DeleteItemFromArray(orig, i);
			continue;
		}
		if (i >= 0) {
			if ((rc = merge_map(cJSON_GetArrayItem(orig, i), pe, field, err)))
				return rc;
		} else {
			cJSON *c = cJSON_CreateObject();
			if (!c)
				return -ENOMEM;
			if ((rc = merge_map(c, pe, field, err))) {
				cJSON_Delete(c);
				return rc;
			}
			cJSON_AddItemToArray(orig, c);
		}
	}
	return 0;
}

static int merge_list_scalars(cJSON *orig, const cJSON *patch)
{
	const cJSON *pe;
	cJSON_ArrayForEach(pe, patch)
	{
		if (find_in(orig, NULL, pe) >= 0)
			continue;
		cJSON *c = cJSON_Duplicate(pe, 1);
		if (!c)
			return -ENOMEM;
		cJSON_AddItemToArray(orig, c);
	}
	return 0;
}

/* Merges the list pv into orig[k] (or a new list) by the strategy of k under parent. */
static int merge_list(cJSON *orig, const char *k, const cJSON *pv, const char *parent, struct cm_buf *err)
{
	const char *key = NULL;
	enum cm_sm_strategy st = cm_smpatch_strategy(parent, k, &key);
	cJSON *ov = cJSON_GetObjectItemCaseSensitive(orig, k);
	int rc;
	if (st == CM_SM_REPLACE || !cJSON_IsArray(ov)) {
		/* replaced, or merged into nothing: either way the patch's list, its directives done */
		cJSON *c = fresh(pv, parent, k, err, &rc);
		return c ? put(orig, k, c) : rc;
	}
	return st == CM_SM_MERGE_KEY ? merge_list_keyed(ov, pv, key, k, err) : merge_list_scalars(ov, pv);
}

static cJSON *fresh(const cJSON *pv, const char *parent, const char *field, struct cm_buf *err, int *rc)
{
	cJSON *c;
	const char *key = NULL;
	*rc = -ENOMEM;
	if (cJSON_IsObject(pv)) {
		if (!(c = cJSON_CreateObject()))
			return NULL;
		if ((*rc = merge_map(c, pv, field ? field : parent, err))) {
			cJSON_Delete(c);
			return NULL;
		}
		return c;
	}
	if (!cJSON_IsArray(pv) || !field || cm_smpatch_strategy(parent, field, &key) == CM_SM_REPLACE)
		return cJSON_Duplicate(pv, 1);
	if (!(c = cJSON_CreateArray()))
		return NULL;
	*rc = key ? merge_list_keyed(c, pv, key, field, err) : merge_list_scalars(c, pv);
	if (*rc) {
		cJSON_Delete(c);
		return NULL;
	}
	return c;
}

/*
 * Reorders list as "$setElementOrder" asks: the elements named in order are
 * sorted by it; the others (server-only) keep their order from before the
 * merge; the two runs are interleaved so that a server-only element stays
 * ahead of a named one it preceded in the original list.
 */
static int apply_order(cJSON *list, const cJSON *order, const cJSON *before, const char *key)
{
	int n = cJSON_GetArraySize(list), np = 0, ns = 0;
	cJSON **named = calloc((size_t)n + 1, sizeof(cJSON *)), **server = calloc((size_t)n + 1, sizeof(cJSON *));
	int *ni = calloc((size_t)n + 1, sizeof(int)), *si = calloc((size_t)n + 1, sizeof(int));
	if (!named || !server || !ni || !si) {
		free(named), free(server), free(ni), free(si);
		return -ENOMEM;
	}
	while (list->child) {
		cJSON *e = cJSON_DetachItemViaPointer(list, list->child);
		int oi = find_in(order, key, e);
		int bi = find_in(before, key, e);
		/* insertion sort keeps each run stable: by order index, or by original index (unknown last) */
		if (oi >= 0) {
			int j = np++;
			for (; j > 0 && ni[j - 1] > oi; j--)
				named[j] = named[j - 1], ni[j] = ni[j - 1];
			named[j] = e, ni[j] = oi;
		} else {
			int b = bi >= 0 ? bi : n + 1, j = ns++;
			for (; j > 0 && si[j - 1] > b; j--)
				server[j] = server[j - 1], si[j] = si[j - 1];
			server[j] = e, si[j] = b;
		}
	}
	int i = 0, j = 0;
	while (i < ns || j < np) {
		bool take_server;
		if (i >= ns)
			take_server = false;
		else if (j >= np)
			take_server = true;
		else {
			int a = find_in(before, key, server[i]), b = find_in(before, key, named[j]);
			take_server = a >= 0 && b >= 0 && a < b;
		}
		cJSON_AddItemToArray(list, take_server ? server[i++] : named[j++]);
	}
	free(named), free(server), free(ni), free(si);
	return 0;
}

static int handle_map_directive(cJSON *orig, const cJSON *patch, const char *parent, struct cm_buf *err,
				bool *done)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(patch, PATCH_DIRECTIVE);
	*done = false;
	if (!d)
		return 0;
	if (!cJSON_IsString(d))
		return bad(err, "%s: $patch must be a string", parent ? parent : "<root>");
	if (!strcmp(d->valuestring, "merge"))
		return 0;
	if (!strcmp(d->valuestring, "delete")) {
		clear(orig);
		*done = true;
		return 0;
	}
	if (!strcmp(d->valuestring, "replace")) {
		/* the map becomes the patch's map, with the patch's own directives carried out */
		clear(orig);
		*done = true;
		cJSON *tmp = cJSON_Duplicate(patch, 1);
		int rc;
		if (!tmp)
			return -ENOMEM;
		cJSON_DeleteItemFromObjectCaseSensitive(tmp, PATCH_DIRECTIVE);
		rc = merge_map(orig, tmp, parent, err);
		cJSON_Delete(tmp);
		return rc;
	}
	return bad(err, "unknown patch type: %s in map: %s", d->valuestring, parent ? parent : "<root>");
}

static int retain_keys(cJSON *orig, const cJSON *patch, const cJSON *keep, struct cm_buf *err)
{
	const cJSON *k;
	if (!cJSON_IsArray(keep))
		return bad(err, "$retainKeys must be a list of strings");
	cJSON_ArrayForEach(k, keep)
	{
		if (!cJSON_IsString(k))
			return bad(err, "$retainKeys must be a list of strings");
	}
	/* every key the patch sets must be retained, or the patch contradicts itself */
	cJSON_ArrayForEach(k, patch)
	{
		if (is_directive(k->string) || cJSON_IsNull(k))
			continue;
		cJSON *name = cJSON_CreateString(k->string);
		bool ok = name && find_in(keep, NULL, name) >= 0;
		cJSON_Delete(name);
		if (!ok)
			return bad(err, "key %s is not in $retainKeys", k->string);
	}
	cJSON *o = orig->child;
	while (o) {
		cJSON *next = o->next;
		cJSON *name = cJSON_CreateString(o->string);
		if (!name)
			return -ENOMEM;
		if (find_in(keep, NULL, name) < 0)
			cJSON_Delete(cJSON_DetachItemViaPointer(orig, o));
		cJSON_Delete(name);
		o = next;
	}
	return 0;
}

static int merge_map(cJSON *orig, const cJSON *patch, const char *parent, struct cm_buf *err)
{
	const cJSON *p;
	bool done;
	int rc = handle_map_directive(orig, patch, parent, err, &done);
	if (rc || done)
		return rc;
	const cJSON *keep = cJSON_GetObjectItemCaseSensitive(patch, RETAIN_KEYS);
	if (keep && (rc = retain_keys(orig, patch, keep, err)))
		return rc;
	/* removals from lists of scalars come before the merge, as in Kubernetes */
	cJSON_ArrayForEach(p, patch)
	{
		if (!starts_with(p->string, DELETE_PRIMITIVE))
			continue;
		const char *k = p->string + strlen(DELETE_PRIMITIVE);
		cJSON *ov = cJSON_GetObjectItemCaseSensitive(orig, k);
		if (!cJSON_IsArray(p))
			return bad(err, "%s must be a list", p->string);
		const cJSON *v;
		cJSON_ArrayForEach(v, p)
		{
			for (int i; cJSON_IsArray(ov) && (i = find_in(ov, NULL, v)) >= 0;)
				cJSON_DeleteItemFromArray(ov, i);
		}
	}
	/* the lists as they were, for the server-only elements "$setElementOrder" must place */
	cJSON *before = cJSON_CreateObject();
	if (!before)
		return -ENOMEM;
	cJSON_ArrayForEach(p, patch)
	{
		if (!starts_with(p->string, SET_ORDER))
			continue;
		const char *k = p->string + strlen(SET_ORDER);
		const cJSON *ov = cJSON_GetObjectItemCaseSensitive(orig, k);
		if (!cJSON_IsArray(p)) {
			rc = bad(err, "%s must be a list", p->string);
			goto out;
		}
		if (cJSON_IsArray(ov) && (rc = put(before, k, cJSON_Duplicate(ov, 1))))
			goto out;
	}
	cJSON_ArrayForEach(p, patch)
	{
		const char *k = p->string;
		if (is_directive(k))
			continue;
		if (cJSON_IsNull(p)) {
			cJSON_DeleteItemFromObjectCaseSensitive(orig, k);
			continue;
		}
		cJSON *ov = cJSON_GetObjectItemCaseSensitive(orig, k);
		if (cJSON_IsObject(p) && cJSON_IsObject(ov))
			rc = merge_map(ov, p, k, err);
		else if (cJSON_IsArray(p))
			rc = merge_list(orig, k, p, parent, err);
		else {
			cJSON *c = fresh(p, k, NULL, err, &rc);
			rc = c ? put(orig, k, c) : rc;
		}
		if (rc)
			goto out;
	}
	cJSON_ArrayForEach(p, patch)
	{
		if (!starts_with(p->string, SET_ORDER))
			continue;
		const char *k = p->string + strlen(SET_ORDER), *key = NULL;
		cJSON *list = cJSON_GetObjectItemCaseSensitive(orig, k);
		enum cm_sm_strategy st = cm_smpatch_strategy(parent, k, &key);
		if (!cJSON_IsArray(list) || st == CM_SM_REPLACE)
			continue;
		if ((rc = apply_order(list, p, cJSON_GetObjectItemCaseSensitive(before, k), key)))
			goto out;
	}
out:
	cJSON_Delete(before);
	return rc;
}

int cm_smpatch_apply(const cJSON *doc, const cJSON *patch, cJSON **out, struct cm_buf *err)
{
	if (!cJSON_IsObject(patch))
		return bad(err, "a strategic merge patch must be a JSON object");
	cJSON *res = cJSON_IsObject(doc) ? cJSON_Duplicate(doc, 1) : cJSON_CreateObject();
	int rc;
	if (!res)
		return -ENOMEM;
	if ((rc = merge_map(res, patch, NULL, err))) {
		cJSON_Delete(res);
		return rc;
	}
	*out = res;
	return 0;
}
