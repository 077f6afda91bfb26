/* managed_entries.c: reading, finding and writing the entries of metadata.managedFields. */
#include "apiserver/managed_entries.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/field_error.h"
#include "apiserver/managed_fields.h"
#include "common/json.h"

static void entry_close(struct api_mf_entry *e)
{
	free(e->manager);
	free(e->operation);
	free(e->api_version);
	free(e->time);
	free(e->sub);
	cJSON_Delete(e->set);
	memset(e, 0, sizeof(*e));
}

void api_mf_entries_close(struct api_mf_entries *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_close(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static struct api_mf_entry *push(struct api_mf_entries *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct api_mf_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

/* A copy of s, NULL for NULL or ""; *ok false on -ENOMEM. */
static char *dup_or_null(const char *s, bool *ok)
{
	char *d;

	if (!s || !*s)
		return NULL;
	if (!(d = strdup(s)))
		*ok = false;
	return d;
}

int api_mf_entries_read(const cJSON *obj, struct api_mf_entries *out)
{
	const cJSON *list = obj ? cm_json_get(obj, "metadata.managedFields") : NULL, *it;
	struct api_mf_entries l = {0};

	if (!cJSON_IsArray(list))
		list = NULL;
	cJSON_ArrayForEach(it, list) {
		const char *ft = cm_json_get_str(it, "fieldsType");
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(it, "fieldsV1");
		struct api_mf_entry *e;
		cJSON *set = NULL;
		bool ok = true;
		int rc;

		if (!cJSON_IsObject(it) || (ft && strcmp(ft, "FieldsV1")) || !f)
			continue;
		if ((rc = api_mf_decode(f, &set)) == -EINVAL || (!rc && api_mf_empty(set))) {
			cJSON_Delete(set);
			continue;
		}
		if (rc < 0 || !(e = push(&l))) {
			cJSON_Delete(set);
			goto oom;
		}
		e->set = set;
		e->manager = strdup(cm_json_str_or(it, "manager", ""));
		e->operation = strdup(cm_json_str_or(it, "operation", "Update"));
		e->api_version = dup_or_null(cm_json_get_str(it, "apiVersion"), &ok);
		e->time = dup_or_null(cm_json_get_str(it, "time"), &ok);
		e->sub = dup_or_null(cm_json_get_str(it, "subresource"), &ok);
		if (!ok || !e->manager || !e->operation)
			goto oom;
	}
	*out = l;
	return 0;
oom:
	api_mf_entries_close(&l);
	return -ENOMEM;
}

static bool same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

struct api_mf_entry *api_mf_entries_find(struct api_mf_entries *l, const char *manager, const char *operation,
					  const char *api_version, const char *sub, bool create)
{
	bool update = !strcmp(operation, "Update"), ok = true;
	struct api_mf_entry *e;

	for (size_t i = 0; i < l->n; i++) {
		e = &l->v[i];
		if (same_str(e->manager, manager) && !strcmp(e->operation, operation) && same_str(e->sub, sub) &&
		    (!update || same_str(e->api_version, api_version)))
			return e;
	}
	if (!create || !(e = push(l)))
		return NULL;
	e->manager = strdup(manager);
	e->operation = strdup(operation);
	e->api_version = dup_or_null(api_version, &ok);
	e->sub = dup_or_null(sub, &ok);
	e->set = cJSON_CreateObject();
	if (!ok || !e->manager || !e->operation || !e->set) {
		entry_close(e);
		l->n--;
		return NULL;
	}
	return e;
}

int api_mf_entry_set_time(struct api_mf_entry *e, const char *time)
{
	char *t = strdup(time);

	if (!t)
		return -ENOMEM;
	free(e->time);
	e->time = t;
	return 0;
}

static int order(const void *pa, const void *pb)
{
	const struct api_mf_entry *a = pa, *b = pb;
	int c;

	/* "Apply" sorts before "Update"; RFC 3339 times in UTC sort as text; no time first */
	if ((c = strcmp(a->operation, b->operation)))
		return c;
	if ((c = strcmp(a->time ? a->time : "", b->time ? b->time : "")))
		return c;
	if ((c = strcmp(a->manager, b->manager)))
		return c;
	if ((c = strcmp(a->api_version ? a->api_version : "", b->api_version ? b->api_version : "")))
		return c;
	return strcmp(a->sub ? a->sub : "", b->sub ? b->sub : "");
}

static cJSON *entry_json(const struct api_mf_entry *e)
{
	cJSON *j = cJSON_CreateObject(), *f = NULL;

	/* an empty manager (no fieldManager, no User-Agent) is left out, as Kubernetes' omitempty does */
	if (!j || (*e->manager && !cJSON_AddStringToObject(j, "manager", e->manager)) ||
	    !cJSON_AddStringToObject(j, "operation", e->operation) ||
	    (e->api_version && !cJSON_AddStringToObject(j, "apiVersion", e->api_version)) ||
	    (e->time && !cJSON_AddStringToObject(j, "time", e->time)) ||
	    !cJSON_AddStringToObject(j, "fieldsType", "FieldsV1") || api_mf_encode(e->set, &f) < 0)
		goto oom;
	if (!cJSON_AddItemToObject(j, "fieldsV1", f)) {
		cJSON_Delete(f);
		goto oom;
	}
	if (e->sub && !cJSON_AddStringToObject(j, "subresource", e->sub))
		goto oom;
	return j;
oom:
	cJSON_Delete(j);
	return NULL;
}

int api_mf_entries_write(struct api_mf_entries *l, cJSON *obj)
{
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata"), *arr;

	if (!cJSON_IsObject(meta))
		return -EINVAL;
	if (l->n)
		qsort(l->v, l->n, sizeof(l->v[0]), order); /* v is NULL when empty */
	if (!(arr = cJSON_CreateArray()))
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		cJSON *j;

		if (api_mf_empty(l->v[i].set))
			continue;
		if (!(j = entry_json(&l->v[i])) || !cJSON_AddItemToArray(arr, j)) {
			cJSON_Delete(j);
			cJSON_Delete(arr);
			return -ENOMEM;
		}
	}
	if (!arr->child) {
		cJSON_Delete(arr);
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
		return 0;
	}
	if (cJSON_GetObjectItemCaseSensitive(meta, "managedFields"))
		return cJSON_ReplaceItemInObjectCaseSensitive(meta, "managedFields", arr) ? 0 : (cJSON_Delete(arr), -ENOMEM);
	return cJSON_AddItemToObject(meta, "managedFields", arr) ? 0 : (cJSON_Delete(arr), -ENOMEM);
}

int api_mf_entry_describe(const struct api_mf_entry *e, struct cm_buf *out)
{
	int rc = api_quote(e->manager, out);

	if (!rc && e->sub) {
		rc = cm_buf_puts(out, " with subresource ");
		rc = rc ? rc : api_quote(e->sub, out);
	}
	if (!rc && !strcmp(e->operation, "Update"))
		rc = cm_buf_printf(out, " using %s", e->api_version ? e->api_version : "");
	return rc;
}
