/* object.c: server-side edits of stored objects: resourceVersion splicing, metadata, spec comparison. */
#include "apiserver/object.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/timeutil.h"

int api_obj_splice_rv(const char *text, size_t len, int64_t rv, struct cm_buf *out)
{
	static const char needle[] = "\"metadata\":{";
	const char *p = memmem(text, len, needle, sizeof(needle) - 1);
	size_t at;
	int rc;

	if (!p)
		return cm_buf_append(out, text, len);
	at = (size_t)(p - text) + sizeof(needle) - 1;
	rc = cm_buf_append(out, text, at);
	if (!rc)
		rc = cm_buf_printf(out, "\"resourceVersion\":\"%lld\"%s", (long long)rv, text[at] == '}' ? "" : ",");
	if (!rc)
		rc = cm_buf_append(out, text + at, len - at);
	return rc;
}

cJSON *api_obj_parse_stored(const char *text, size_t len, int64_t rv)
{
	cJSON *j = NULL;

	if (cm_json_parse(text, len, &j, NULL) < 0)
		return NULL;
	if (!cJSON_IsObject(j) || api_obj_set_rv(j, rv) < 0) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

void api_obj_order(cJSON *obj)
{
	static const char *const first[] = {"metadata", "kind", "apiVersion"};

	for (int i = 0; i < 3; i++) {
		cJSON *it = cJSON_DetachItemFromObjectCaseSensitive(obj, first[i]);

		if (!it)
			continue;
		/* cJSON has no insert-at-front for objects: splice by hand. */
		it->prev = NULL;
		it->next = obj->child;
		if (obj->child) {
			it->prev = obj->child->prev;
			obj->child->prev = it;
		} else {
			it->prev = it;
		}
		obj->child = it;
	}
}

cJSON *api_obj_meta(cJSON *obj)
{
	cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

	if (cJSON_IsObject(m))
		return m;
	m = cJSON_CreateObject();
	if (!m)
		return NULL;
	if (cm_json_set(obj, "metadata", m) < 0)
		return NULL;
	return m;
}

int api_obj_meta_set(cJSON *obj, const char *name, const char *value)
{
	cJSON *m = api_obj_meta(obj), *s;

	if (!m)
		return -ENOMEM;
	s = cJSON_CreateString(value);
	if (!s)
		return -ENOMEM;
	cJSON_DeleteItemFromObjectCaseSensitive(m, name);
	cJSON_AddItemToObject(m, name, s);
	return 0;
}

int api_obj_set_rv(cJSON *obj, int64_t rv)
{
	char b[24];

	snprintf(b, sizeof(b), "%lld", (long long)rv);
	return api_obj_meta_set(obj, "resourceVersion", b);
}

const char *api_obj_meta_str(const cJSON *obj, const char *name)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *v = m ? cJSON_GetObjectItemCaseSensitive(m, name) : NULL;

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool member_equal(const cJSON *a, const cJSON *b, const char *name)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, name);
	const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, name);

	if (!x || !y)
		return !x && !y;
	return cm_json_equal(x, y);
}

bool api_obj_spec_equal(const cJSON *a, const cJSON *b)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, a) {
		if (!strcmp(it->string, "metadata") || !strcmp(it->string, "status"))
			continue;
		if (!member_equal(a, b, it->string))
			return false;
	}
	cJSON_ArrayForEach(it, b) {
		if (!strcmp(it->string, "metadata") || !strcmp(it->string, "status"))
			continue;
		if (!cJSON_GetObjectItemCaseSensitive(a, it->string))
			return false;
	}
	return true;
}

bool api_obj_equal_ignoring_rv(const cJSON *a, const cJSON *b)
{
	const cJSON *ma = cJSON_GetObjectItemCaseSensitive(a, "metadata");
	const cJSON *mb = cJSON_GetObjectItemCaseSensitive(b, "metadata");
	const cJSON *it;
	int na = 0, nb = 0;

	if (!api_obj_spec_equal(a, b) || !member_equal(a, b, "status"))
		return false;
	if (!ma || !mb)
		return !ma && !mb;
	cJSON_ArrayForEach(it, ma) {
		if (!strcmp(it->string, "resourceVersion"))
			continue;
		na++;
		if (!member_equal(ma, mb, it->string))
			return false;
	}
	cJSON_ArrayForEach(it, mb) {
		if (strcmp(it->string, "resourceVersion"))
			nb++;
	}
	return na == nb;
}

int api_obj_finalizers(const cJSON *obj)
{
	const cJSON *f = cm_json_get(obj, "metadata.finalizers");

	return cJSON_IsArray(f) ? cJSON_GetArraySize(f) : 0;
}

int api_obj_copy_member(cJSON *obj, const cJSON *from, const char *name)
{
	const cJSON *src = from ? cJSON_GetObjectItemCaseSensitive(from, name) : NULL;
	cJSON *c;

	cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
	if (!src)
		return 0;
	c = cJSON_Duplicate(src, 1);
	if (!c)
		return -ENOMEM;
	cJSON_AddItemToObject(obj, name, c);
	return 0;
}

void api_obj_now(int64_t now_ms, char *out)
{
	if (cm_time_format(now_ms, 0, out) < 0)
		strcpy(out, "1970-01-01T00:00:00Z");
}
