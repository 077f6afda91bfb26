/* table.c: meta.k8s.io/v1 Table answers (kubectl get's columns), rows from each resource's strategy. */
#include "apiserver/table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/object.h"
#include "apiserver/rest.h"
#include "common/json.h"
#include "common/timeutil.h"

static const char generic_columns[] =
	"[{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":\"Name must be unique within a namespace.\",\"priority\":0},"
	"{\"name\":\"Age\",\"type\":\"string\",\"format\":\"\",\"description\":\"CreationTimestamp is a timestamp representing the server time when this object was created.\",\"priority\":0}]";

void api_table_age(int64_t now_ms, const cJSON *obj, char *out, size_t n)
{
	const char *ts = api_obj_meta_str(obj, "creationTimestamp");
	int64_t t, s;

	if (!ts || cm_time_parse(ts, &t) < 0) {
		snprintf(out, n, "<unknown>");
		return;
	}
	s = (now_ms - t) / 1000;
	if (s < 0)
		s = 0;
	/* as Kubernetes' duration.HumanDuration */
	if (s < 120)
		snprintf(out, n, "%llds", (long long)s);
	else if (s < 600)
		s % 60 ? snprintf(out, n, "%lldm%llds", (long long)s / 60, (long long)s % 60)
		       : snprintf(out, n, "%lldm", (long long)s / 60);
	else if (s < 3 * 3600)
		snprintf(out, n, "%lldm", (long long)s / 60);
	else if (s < 8 * 3600)
		(s / 60) % 60 ? snprintf(out, n, "%lldh%lldm", (long long)s / 3600, (long long)(s / 60) % 60)
			      : snprintf(out, n, "%lldh", (long long)s / 3600);
	else if (s < 48 * 3600)
		snprintf(out, n, "%lldh", (long long)s / 3600);
	else if (s < 8 * 86400)
		(s / 3600) % 24 ? snprintf(out, n, "%lldd%lldh", (long long)s / 86400, (long long)(s / 3600) % 24)
				: snprintf(out, n, "%lldd", (long long)s / 86400);
	else if (s < 2 * 365 * 86400)
		snprintf(out, n, "%lldd", (long long)s / 86400);
	else
		snprintf(out, n, "%lldy", (long long)s / (365 * 86400));
}

int api_table_add_age(cJSON *cells, const cJSON *obj, int64_t now_ms)
{
	char age[32];

	api_table_age(now_ms, obj, age, sizeof(age));
	return cJSON_AddItemToArray(cells, cJSON_CreateString(age)) ? 0 : -ENOMEM;
}

int api_table_add_str(cJSON *cells, const char *s)
{
	return cJSON_AddItemToArray(cells, cJSON_CreateString(s ? s : "")) ? 0 : -ENOMEM;
}

int api_table_add_int(cJSON *cells, int64_t v)
{
	return cJSON_AddItemToArray(cells, cJSON_CreateNumber((double)v)) ? 0 : -ENOMEM;
}

/* One requirement of a selector, with the key it sorts by. */
struct req {
	const char *key;
	char *text;
};

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct req *)a)->key, ((const struct req *)b)->key);
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "k in (a,b)": the values sorted, as labels.Requirement.String. */
static char *requirement(const char *key, const char *op, const cJSON *values)
{
	int n = cJSON_GetArraySize(values), k = 0;
	const char **v = calloc((size_t)n + 1, sizeof(*v));
	const cJSON *e;
	struct cm_buf b = CM_BUF_INIT;

	if (!v)
		return NULL;
	cJSON_ArrayForEach(e, values) if (cJSON_IsString(e)) v[k++] = e->valuestring;
	qsort(v, (size_t)k, sizeof(*v), by_str);
	if (!strcmp(op, "Exists"))
		cm_buf_puts(&b, key);
	else if (!strcmp(op, "DoesNotExist"))
		cm_buf_printf(&b, "!%s", key);
	else {
		cm_buf_printf(&b, "%s %s (", key, !strcmp(op, "NotIn") ? "notin" : "in");
		for (int i = 0; i < k; i++)
			cm_buf_printf(&b, "%s%s", i ? "," : "", v[i]);
		cm_buf_putc(&b, ')');
	}
	free(v);
	return cm_buf_take(&b);
}

/* Sorts reqs by key, joins them with ",", frees them, and adds the cell. */
static int add_requirements(cJSON *cells, struct req *reqs, int n)
{
	struct cm_buf b = CM_BUF_INIT;
	int rc;

	qsort(reqs, (size_t)n, sizeof(*reqs), by_key);
	for (int i = 0; i < n; i++) {
		cm_buf_printf(&b, "%s%s", i ? "," : "", reqs[i].text ? reqs[i].text : "");
		free(reqs[i].text);
	}
	free(reqs);
	rc = api_table_add_str(cells, b.len ? b.data : "<none>");
	cm_buf_close(&b);
	return rc;
}

/* Appends a requirement "key=value" to reqs[*n] for each string of a label map. */
static void add_equalities(struct req *reqs, int *n, const cJSON *map)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, map) {
		struct cm_buf t = CM_BUF_INIT;

		if (!cJSON_IsString(e))
			continue;
		cm_buf_printf(&t, "%s=%s", e->string, e->valuestring);
		reqs[*n].key = e->string;
		reqs[(*n)++].text = cm_buf_take(&t);
	}
}

int api_table_add_labels(cJSON *cells, const cJSON *map)
{
	int n = 0;
	struct req *reqs = calloc((size_t)cJSON_GetArraySize(map) + 1, sizeof(*reqs));

	if (!reqs)
		return -ENOMEM;
	add_equalities(reqs, &n, map);
	return add_requirements(cells, reqs, n);
}

int api_table_add_selector(cJSON *cells, const cJSON *selector)
{
	const cJSON *ml = cJSON_GetObjectItemCaseSensitive(selector, "matchLabels");
	const cJSON *me = cJSON_GetObjectItemCaseSensitive(selector, "matchExpressions"), *e;
	struct req *reqs = calloc((size_t)(cJSON_GetArraySize(ml) + cJSON_GetArraySize(me)) + 1, sizeof(*reqs));
	int n = 0;

	if (!reqs)
		return -ENOMEM;
	add_equalities(reqs, &n, ml);
	cJSON_ArrayForEach(e, me) {
		const char *key = cm_json_get_str(e, "key");

		if (!key)
			continue;
		reqs[n].key = key;
		reqs[n++].text = requirement(key, cm_json_str_or(e, "operator", "In"),
					     cJSON_GetObjectItemCaseSensitive(e, "values"));
	}
	return add_requirements(cells, reqs, n);
}

int api_table_add_containers(cJSON *cells, const cJSON *containers)
{
	struct cm_buf names = CM_BUF_INIT, images = CM_BUF_INIT;
	const cJSON *c;
	int rc;

	cJSON_ArrayForEach(c, containers) {
		cm_buf_printf(&names, "%s%s", names.len ? "," : "", cm_json_str_or(c, "name", ""));
		cm_buf_printf(&images, "%s%s", images.len ? "," : "", cm_json_str_or(c, "image", ""));
	}
	rc = api_table_add_str(cells, names.data ? names.data : "");
	if (!rc)
		rc = api_table_add_str(cells, images.data ? images.data : "");
	cm_buf_close(&names);
	cm_buf_close(&images);
	return rc;
}

cJSON *api_table_new(const struct api_resource *r, const char *rv, const char *cont)
{
	const char *cols = r->strategy->columns ? r->strategy->columns : generic_columns;
	cJSON *t = cJSON_CreateObject(), *meta, *c = cJSON_Parse(cols);

	if (!t || !c)
		goto fail;
	cJSON_AddStringToObject(t, "kind", "Table");
	cJSON_AddStringToObject(t, "apiVersion", "meta.k8s.io/v1");
	meta = cJSON_AddObjectToObject(t, "metadata");
	if (!meta)
		goto fail;
	cJSON_AddStringToObject(meta, "resourceVersion", rv ? rv : "");
	if (cont)
		cJSON_AddStringToObject(meta, "continue", cont);
	cJSON_AddItemToObject(t, "columnDefinitions", c);
	c = NULL;
	if (!cJSON_AddArrayToObject(t, "rows"))
		goto fail;
	return t;
fail:
	cJSON_Delete(c);
	cJSON_Delete(t);
	return NULL;
}

int api_table_mode_parse(const char *accept, const char *include, enum api_table_mode *out)
{
	if (!accept || !strstr(accept, "as=Table")) {
		*out = API_TABLE_OFF; /* TableOptions are read only for a Table answer */
		return 0;
	}
	if (!include || !*include || !strcmp(include, "Metadata"))
		*out = API_TABLE_METADATA;
	else if (!strcmp(include, "Object"))
		*out = API_TABLE_OBJECT;
	else if (!strcmp(include, "None"))
		*out = API_TABLE_NONE;
	else
		return -EINVAL;
	return 0;
}

int api_table_add_row(cJSON *table, const struct api_resource *r, const cJSON *obj, int64_t now_ms,
		      enum api_table_mode mode)
{
	cJSON *rows = cJSON_GetObjectItemCaseSensitive(table, "rows");
	cJSON *row = cJSON_CreateObject(), *cells, *pom, *meta;
	int rc;

	if (!row)
		return -ENOMEM;
	cJSON_AddItemToArray(rows, row);
	cells = cJSON_AddArrayToObject(row, "cells");
	if (!cells)
		return -ENOMEM;
	if (r->strategy->cells) {
		rc = r->strategy->cells(obj, cells, now_ms);
	} else {
		rc = api_table_add_str(cells, api_obj_meta_str(obj, "name"));
		if (!rc)
			rc = api_table_add_age(cells, obj, now_ms);
	}
	if (rc < 0)
		return rc;
	if (mode == API_TABLE_NONE)
		return 0;
	if (mode == API_TABLE_OBJECT) {
		/* the object as stored carries its kind and apiVersion, as Kubernetes' converted object does */
		cJSON *whole = cm_json_copy(obj);

		if (!whole || !cJSON_AddItemToObject(row, "object", whole)) {
			cJSON_Delete(whole);
			return -ENOMEM;
		}
		return 0;
	}
	pom = cJSON_AddObjectToObject(row, "object");
	if (!pom)
		return -ENOMEM;
	cJSON_AddStringToObject(pom, "kind", "PartialObjectMetadata");
	cJSON_AddStringToObject(pom, "apiVersion", "meta.k8s.io/v1");
	meta = cm_json_copy(cJSON_GetObjectItemCaseSensitive(obj, "metadata"));
	if (!meta)
		return -ENOMEM;
	cJSON_AddItemToObject(pom, "metadata", meta);
	return 0;
}
