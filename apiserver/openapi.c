/* openapi.c: /openapi/v3 for kubectl (explain; validation left to the server), built once at start. */
#include "apiserver/openapi.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/openapi_schemas.h"
#include "apiserver/resources.h"
#include "common/crc32c.h"
#include "common/json.h"

#define REF_PREFIX "#/components/schemas/"

struct oa_doc {
	char key[128]; /* "api/v1", "apis/apps/v1" */
	char hash[20];
	struct cm_buf json;
};

struct api_openapi {
	struct oa_doc docs[API_NRES]; /* at most one per resource */
	int ndocs;
	struct cm_buf index;
};

/* The table cut into schemas: rows [head, end) of api_oa_rows, and the JSON built for each. */
struct oa_build {
	size_t *head, *end;
	cJSON **json;
	size_t n;
	struct cm_buf *err;
};

static const char *schema_name(const struct oa_build *b, size_t i)
{
	return api_oa_rows[b->head[i]].name;
}

/* The schema a field's type names (api_oa_resolve), as an index of b. */
static int find_short(const struct oa_build *b, const char *from, const char *type)
{
	long row = api_oa_resolve(from, type);

	for (size_t i = 0; row >= 0 && i < b->n; i++)
		if (b->head[i] == (size_t)row)
			return (int)i;
	return -1;
}

static int find_full(const struct oa_build *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(schema_name(b, i), name))
			return (int)i;
	return -1;
}

static cJSON *typed(const char *type, const char *format)
{
	cJSON *j = cJSON_CreateObject();

	if (j && (!cJSON_AddStringToObject(j, "type", type) || (format && !cJSON_AddStringToObject(j, "format", format)))) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static cJSON *string_enum(const char *values)
{
	cJSON *j = typed("string", NULL), *e = j ? cJSON_AddArrayToObject(j, "enum") : NULL;

	while (e && *values) {
		size_t n = strcspn(values, "|");
		char v[64];
		cJSON *s;

		snprintf(v, sizeof(v), "%.*s", (int)n, values);
		s = cJSON_CreateString(v);
		if (!s)
			break;
		cJSON_AddItemToArray(e, s);
		values += n + (values[n] == '|');
	}
	if (!e || *values) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

/* The schema of a field type (openapi_schemas.h's language) used in schema from; NULL: -ENOMEM, or -EINVAL in *rc. */
static cJSON *type_schema(const struct oa_build *b, const char *from, const char *type, int *rc)
{
	static const struct {
		const char *name, *type, *format;
	} prims[] = {{"string", "string", NULL},  {"integer", "integer", "int32"}, {"int64", "integer", "int64"},
		     {"number", "number", "double"}, {"boolean", "boolean", NULL},   {"object", "object", NULL}};
	const char *inner = NULL, *wrap = NULL;
	cJSON *j, *sub;
	int i;

	if (!strncmp(type, "[]", 2))
		inner = type + 2, wrap = "items";
	else if (!strncmp(type, "map[string]", 11))
		inner = type + 11, wrap = "additionalProperties";
	if (inner) {
		sub = type_schema(b, from, inner, rc);
		j = sub ? typed(wrap[0] == 'i' ? "array" : "object", NULL) : NULL;
		if (!j) {
			cJSON_Delete(sub);
			return NULL;
		}
		if (!cJSON_AddItemToObject(j, wrap, sub)) {
			cJSON_Delete(sub);
			cJSON_Delete(j);
			return NULL;
		}
		return j;
	}
	if (strchr(type, '|'))
		return string_enum(type);
	for (size_t p = 0; p < sizeof(prims) / sizeof(prims[0]); p++)
		if (!strcmp(type, prims[p].name))
			return typed(prims[p].type, prims[p].format);
	i = find_short(b, from, type);
	if (i < 0) {
		cm_buf_invalid(b->err, "openapi: %s: unknown type \"%s\"", from, type);
		*rc = -EINVAL;
		return NULL;
	}
	j = cJSON_CreateObject();
	if (j) {
		struct cm_buf ref = CM_BUF_INIT;

		if (cm_buf_printf(&ref, REF_PREFIX "%s", schema_name(b, (size_t)i)) < 0 ||
		    !cJSON_AddStringToObject(j, "$ref", ref.data)) {
			cJSON_Delete(j);
			j = NULL;
		}
		cm_buf_close(&ref);
	}
	return j;
}

/*
 * A property: its type's schema with a description. OpenAPI 3.0 ignores
 * the siblings of a $ref, so a reference goes in a one-item allOf, as
 * Kubernetes writes it and kubectl explain reads it.
 */
static int add_property(const struct oa_build *b, const char *from, cJSON *props, const char *name, const char *type,
			const char *desc)
{
	int rc = -ENOMEM;
	cJSON *t = type_schema(b, from, type, &rc), *p = t;

	if (!t)
		return rc;
	if (cJSON_GetObjectItem(t, "$ref")) {
		cJSON *all;

		p = cJSON_CreateObject();
		all = p ? cJSON_AddArrayToObject(p, "allOf") : NULL;
		if (!all) {
			cJSON_Delete(p);
			cJSON_Delete(t);
			return -ENOMEM;
		}
		cJSON_AddItemToArray(all, t);
	}
	if (!cJSON_AddStringToObject(p, "description", desc) || !cJSON_AddItemToObject(props, name, p)) {
		cJSON_Delete(p);
		return -ENOMEM;
	}
	return 0;
}

static int add_gvk(cJSON *s, const char *gv, const char *name)
{
	const char *slash = strchr(gv, '/'), *kind = strrchr(name, '.') + 1;
	cJSON *list = cJSON_AddArrayToObject(s, "x-kubernetes-group-version-kind"), *e = cJSON_CreateObject();
	char group[96];

	snprintf(group, sizeof(group), "%.*s", slash ? (int)(slash - gv) : 0, gv);
	if (!list || !e || !cJSON_AddStringToObject(e, "group", group) || !cJSON_AddStringToObject(e, "kind", kind) ||
	    !cJSON_AddStringToObject(e, "version", slash ? slash + 1 : gv)) {
		cJSON_Delete(e);
		return -ENOMEM;
	}
	return cJSON_AddItemToArray(list, e) ? 0 : -ENOMEM;
}

/*
 * A named non-object. One that takes two JSON types (Quantity, IntOrString)
 * is a oneOf with no type of its own, as Kubernetes writes them: kubectl
 * explain then shows the schema's name rather than one of the types.
 */
static cJSON *scalar_schema(const struct api_oa_row *h)
{
	const char *sp = strchr(h->type, ' '), *format = sp ? sp + 1 : NULL;
	size_t tlen = sp ? (size_t)(sp - h->type) : strlen(h->type), bar = strcspn(h->type, "|");
	char type[32];
	cJSON *s;

	snprintf(type, sizeof(type), "%.*s", (int)tlen, h->type);
	if (bar < tlen) {
		cJSON *one = cJSON_CreateArray();

		type[bar] = '\0';
		s = one ? cJSON_CreateObject() : NULL;
		if (!s || !cJSON_AddItemToObject(s, "oneOf", one) || !cJSON_AddItemToArray(one, typed(type, NULL)) ||
		    !cJSON_AddItemToArray(one, typed(type + bar + 1, NULL)) ||
		    (format && !cJSON_AddStringToObject(s, "format", format))) {
			if (!s || !cJSON_GetObjectItem(s, "oneOf"))
				cJSON_Delete(one);
			cJSON_Delete(s);
			return NULL;
		}
	} else {
		s = typed(type, format);
	}
	if (s && !cJSON_AddStringToObject(s, "description", h->desc)) {
		cJSON_Delete(s);
		s = NULL;
	}
	return s;
}

/* The JSON schema of table schema i into b->json[i]. */
static int build_schema(struct oa_build *b, size_t i)
{
	const struct api_oa_row *h = &api_oa_rows[b->head[i]];
	cJSON *s, *props, *req;
	int rc = -ENOMEM;

	if (h->what == API_OA_SCALAR) {
		b->json[i] = scalar_schema(h);
		return b->json[i] ? 0 : -ENOMEM;
	}
	s = typed("object", NULL);
	if (!s || !cJSON_AddStringToObject(s, "description", h->desc) || !(props = cJSON_AddObjectToObject(s, "properties")))
		goto fail;
	if (h->what == API_OA_KIND) {
		rc = add_property(b, h->name, props, "apiVersion", "string",
				  "The API group and version the object is written in, e.g. apps/v1.");
		if (!rc)
			rc = add_property(b, h->name, props, "kind", "string", "The object's kind, e.g. Pod.");
		if (!rc)
			rc = add_property(b, h->name, props, "metadata", "ObjectMeta",
					  "Name, namespace, labels, annotations and the fields the server keeps.");
		if (!rc)
			rc = add_gvk(s, h->type, h->name);
		if (rc < 0)
			goto fail;
	}
	req = cJSON_CreateArray();
	if (!req)
		goto fail;
	for (size_t r = b->head[i] + 1; r < b->end[i]; r++) {
		const struct api_oa_row *f = &api_oa_rows[r];

		rc = add_property(b, h->name, props, f->name, f->type, f->desc);
		if (!rc && f->what == API_OA_REQUIRED && !cJSON_AddItemToArray(req, cJSON_CreateString(f->name)))
			rc = -ENOMEM;
		if (rc < 0) {
			cJSON_Delete(req);
			goto fail;
		}
	}
	if (!cJSON_GetArraySize(req) || !cJSON_AddItemToObject(s, "required", req))
		cJSON_Delete(req); /* nothing required, or out of memory: then explain shows no -required- */
	b->json[i] = s;
	return 0;
fail:
	cJSON_Delete(s);
	return rc;
}

/* Cuts the table into schemas and builds each one. */
static int build_all(struct oa_build *b)
{
	int rc;

	b->head = calloc(api_oa_nrows, sizeof(*b->head));
	b->end = calloc(api_oa_nrows, sizeof(*b->end));
	b->json = calloc(api_oa_nrows, sizeof(*b->json));
	if (!b->head || !b->end || !b->json)
		return -ENOMEM;
	for (size_t r = 0; r < api_oa_nrows; r++) {
		if (api_oa_is_head(&api_oa_rows[r])) {
			b->head[b->n++] = r;
			continue;
		}
		if (!b->n || api_oa_rows[b->head[b->n - 1]].what == API_OA_SCALAR)
			return cm_buf_invalid(b->err, "openapi: field %s outside an object schema", api_oa_rows[r].name);
		b->end[b->n - 1] = r + 1;
	}
	for (size_t i = 0; i < b->n; i++) {
		if (b->end[i] < b->head[i] + 1)
			b->end[i] = b->head[i] + 1;
		if ((rc = build_schema(b, i)) < 0)
			return rc;
	}
	return 0;
}

/* Marks the schemas j refers to, and theirs. */
static void mark_refs(const struct oa_build *b, const cJSON *j, bool *need)
{
	const cJSON *c;

	if (cJSON_IsString(j) && j->string && !strcmp(j->string, "$ref") &&
	    !strncmp(j->valuestring, REF_PREFIX, strlen(REF_PREFIX))) {
		int i = find_full(b, j->valuestring + strlen(REF_PREFIX));

		if (i >= 0 && !need[i]) {
			need[i] = true;
			mark_refs(b, b->json[i], need);
		}
		return;
	}
	cJSON_ArrayForEach(c, j) mark_refs(b, c, need);
}

/* The kind's schema for resource r: a KIND row of r's group-version named ...<Kind>. */
static int kind_schema(const struct oa_build *b, const struct api_resource *r)
{
	char gv[128];

	snprintf(gv, sizeof(gv), "%s%s%s", r->group, *r->group ? "/" : "", r->version);
	for (size_t i = 0; i < b->n; i++) {
		const struct api_oa_row *h = &api_oa_rows[b->head[i]];

		if (h->what == API_OA_KIND && !strcmp(h->type, gv) &&
		    !strcmp(h->name + api_oa_package_len(h->name), r->kind))
			return (int)i;
	}
	return -1;
}

/*
 * The path of r's objects with a patch operation naming the kind and taking
 * fieldValidation: kubectl then sends fieldValidation=Strict and lets the
 * server check fields instead of validating against the schemas itself.
 */
static int add_path(cJSON *paths, const struct api_resource *r)
{
	char path[256];
	cJSON *item, *patch, *gvk, *params;

	snprintf(path, sizeof(path), "/%s%s/%s/%s%s/{name}", *r->group ? "apis/" : "api", r->group, r->version,
		 r->namespaced ? "namespaces/{namespace}/" : "", r->plural);
	item = cJSON_AddObjectToObject(paths, path);
	patch = item ? cJSON_AddObjectToObject(item, "patch") : NULL;
	gvk = patch ? cJSON_AddObjectToObject(patch, "x-kubernetes-group-version-kind") : NULL;
	params = cJSON_Parse("[{\"name\":\"fieldValidation\",\"in\":\"query\",\"schema\":{\"type\":\"string\"},"
			     "\"uniqueItems\":true}]");
	if (!gvk || !params || !cJSON_AddStringToObject(gvk, "group", r->group) ||
	    !cJSON_AddStringToObject(gvk, "version", r->version) || !cJSON_AddStringToObject(gvk, "kind", r->kind) ||
	    !cJSON_AddStringToObject(patch, "x-kubernetes-action", "patch")) {
		cJSON_Delete(params);
		return -ENOMEM;
	}
	if (!cJSON_AddItemToObject(patch, "parameters", params)) {
		cJSON_Delete(params);
		return -ENOMEM;
	}
	return 0;
}

/* The document of group-version gv (key "api/v1" or "apis/G/V") into d. */
static int build_doc(const struct oa_build *b, const struct api_resource *first, struct oa_doc *d)
{
	cJSON *doc = cJSON_CreateObject(), *paths, *info, *comps = NULL, *schemas = NULL;
	bool *need = calloc(b->n ? b->n : 1, sizeof(*need));
	int rc = -ENOMEM;

	paths = doc ? cJSON_AddObjectToObject(doc, "paths") : NULL;
	info = cJSON_Parse("{\"title\":\"Kubernetes\",\"version\":\"v1.32.0-minik8s\"}");
	if (!need || !paths || !info || !cJSON_AddStringToObject(doc, "openapi", "3.0.0") ||
	    !cJSON_AddItemToObject(doc, "info", info)) {
		cJSON_Delete(info);
		goto out;
	}
	for (int i = first->index; i < API_NRES; i++) {
		const struct api_resource *r = &api_resources[i];
		int k;

		if (strcmp(r->group, first->group) || strcmp(r->version, first->version))
			continue;
		if ((k = kind_schema(b, r)) < 0) {
			rc = cm_buf_invalid(b->err, "openapi: no schema for %s (%s)", r->kind, r->plural);
			goto out;
		}
		need[k] = true;
		mark_refs(b, b->json[k], need);
		if ((rc = add_path(paths, r)) < 0)
			goto out;
	}
	rc = -ENOMEM;
	comps = cJSON_AddObjectToObject(doc, "components");
	schemas = comps ? cJSON_AddObjectToObject(comps, "schemas") : NULL;
	for (size_t i = 0; schemas && i < b->n; i++) {
		cJSON *c;

		if (!need[i])
			continue;
		c = cJSON_Duplicate(b->json[i], 1);
		if (!c || !cJSON_AddItemToObject(schemas, schema_name(b, i), c)) {
			cJSON_Delete(c);
			goto out;
		}
	}
	if (!schemas || cm_json_print(doc, &d->json) < 0)
		goto out;
	/* the index's ?hash=: clients cache a document under its URL, so it must change with the content */
	snprintf(d->hash, sizeof(d->hash), "%08X%08X", (unsigned)cm_crc32c(0, d->json.data, d->json.len),
		 (unsigned)d->json.len);
	rc = 0;
out:
	free(need);
	cJSON_Delete(doc);
	return rc;
}

static void build_close(struct oa_build *b)
{
	for (size_t i = 0; b->json && i < b->n; i++)
		cJSON_Delete(b->json[i]);
	free(b->json);
	free(b->head);
	free(b->end);
}

static int build_index(struct api_openapi *o)
{
	int rc = cm_buf_puts(&o->index, "{\"paths\":{");

	for (int i = 0; !rc && i < o->ndocs; i++)
		rc = cm_buf_printf(&o->index, "%s\"%s\":{\"serverRelativeURL\":\"/openapi/v3/%s?hash=%s\"}", i ? "," : "",
				   o->docs[i].key, o->docs[i].key, o->docs[i].hash);
	return rc ? rc : cm_buf_puts(&o->index, "}}");
}

int api_openapi_new(struct api_openapi **out, struct cm_buf *err)
{
	struct api_openapi *o = calloc(1, sizeof(*o));
	struct oa_build b = {.err = err};
	int rc = o ? build_all(&b) : -ENOMEM;

	for (int i = 0; !rc && i < API_NRES; i++) {
		const struct api_resource *r = &api_resources[i];
		struct oa_doc *d = &o->docs[o->ndocs];

		snprintf(d->key, sizeof(d->key), "%s%s%s%s", *r->group ? "apis/" : "api/", r->group, *r->group ? "/" : "",
			 r->version);
		if (api_openapi_doc(o, d->key, NULL, NULL, NULL) == 0)
			continue; /* the group-version has its document */
		rc = build_doc(&b, r, d);
		o->ndocs++;
	}
	if (!rc)
		rc = build_index(o);
	build_close(&b);
	if (rc < 0) {
		api_openapi_free(o);
		return rc;
	}
	*out = o;
	return 0;
}

void api_openapi_free(struct api_openapi *o)
{
	if (!o)
		return;
	for (int i = 0; i < o->ndocs; i++)
		cm_buf_close(&o->docs[i].json);
	cm_buf_close(&o->index);
	free(o);
}

int api_openapi_doc(const struct api_openapi *o, const char *key, const char **json, size_t *len, const char **hash)
{
	for (int i = 0; i < o->ndocs; i++) {
		const struct oa_doc *d = &o->docs[i];

		if (strcmp(d->key, key) || !d->json.len)
			continue;
		if (json)
			*json = d->json.data;
		if (len)
			*len = d->json.len;
		if (hash)
			*hash = d->hash;
		return 0;
	}
	return -ENOENT;
}

void api_openapi_index(const struct api_openapi *o, const char **json, size_t *len)
{
	*json = o->index.data;
	*len = o->index.len;
}

static void handle_index(struct cm_http_req *req, void *ud)
{
	const char *json;
	size_t len;

	api_openapi_index(ud, &json, &len);
	cm_http_respond(req, 200, "application/json", json, len);
}

/*
 * A document. Asked with the index's hash, it may be cached for good (as
 * kube-apiserver answers); asked with another hash, the client is sent to the
 * current URL.
 */
static void handle_doc(struct cm_http_req *req, void *ud)
{
	const char *key = cm_http_req_param(req, "rest"), *want = cm_http_req_query(req, "hash"), *json, *hash;
	struct api_openapi *o = ud;
	char etag[32];
	size_t len;

	if (!key || api_openapi_doc(o, key, &json, &len, &hash) < 0) {
		cm_http_respond(req, 404, "text/plain", "404 page not found\n", 19);
		return;
	}
	if (want && strcmp(want, hash)) {
		char url[192];

		snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%s", key, hash);
		if (cm_http_req_add_header(req, "Location", url) < 0)
			cm_http_respond_error(req, 500, "out of memory");
		else
			cm_http_respond(req, 301, "text/plain", "", 0);
		return;
	}
	snprintf(etag, sizeof(etag), "\"%s\"", hash);
	if (cm_http_req_add_header(req, "Cache-Control", want ? "public, immutable" : "no-cache, private") < 0 ||
	    cm_http_req_add_header(req, "Etag", etag) < 0) {
		cm_http_respond_error(req, 500, "out of memory");
		return;
	}
	cm_http_respond(req, 200, "application/json", json, len);
}

int api_openapi_routes(struct api_openapi *o, struct cm_http_server *http)
{
	int rc = cm_http_server_route(http, "GET", "/openapi/v3", handle_index, o);

	return rc ? rc : cm_http_server_route(http, "GET", "/openapi/v3/{rest...}", handle_doc, o);
}
