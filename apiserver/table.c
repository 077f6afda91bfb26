/* table.c: meta.k8s.io/v1 Table answers (kubectl get's columns), rows from each resource's strategy. */
#include "apiserver/table.h"

#include <errno.h>
#include <stdio.h>
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

int api_table_add_row(cJSON *table, const struct api_resource *r, const cJSON *obj, int64_t now_ms)
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
