/* discovery_agg.c: aggregated discovery (APIGroupDiscoveryList) for /api and /apis, folded from the plain lists. */
#include "apiserver/discovery.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/crc32c.h"
#include "common/json.h"

/*
 * kubectl asks /api and /apis for this first; answered in it, kubectl learns
 * every group's resources in two requests instead of one per group-version.
 * The documents are folded from the plain APIResourceLists, so the two forms
 * cannot disagree; the resource table is fixed, so they are built once.
 */
#define AGG_GROUP "apidiscovery.k8s.io"
#define AGG_KIND "APIGroupDiscoveryList"

static const char *const agg_versions[] = {[API_DISCOVERY_V2BETA1] = "v2beta1", [API_DISCOVERY_V2] = "v2"};

struct agg_doc {
	struct cm_buf json;
	char content_type[96];
	char etag[24]; /* quoted, as the header carries it */
};

struct api_discovery {
	struct agg_doc docs[2][3]; /* [core][enum api_discovery_as]; PLAIN unused */
};

/* Adds responseKind {group, version, kind} to o; what a failure leaves goes with o. false on -ENOMEM. */
static bool add_response_kind(cJSON *o, const char *group, const char *version, const char *kind)
{
	cJSON *k = cJSON_AddObjectToObject(o, "responseKind");

	return k && cJSON_AddStringToObject(k, "group", group) && cJSON_AddStringToObject(k, "version", version) &&
	       cJSON_AddStringToObject(k, "kind", kind);
}

/* Adds a copy of from's array field name to to, when from has a non-empty one. 0 or -ENOMEM. */
static int copy_array(cJSON *to, const cJSON *from, const char *name)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(from, name);
	cJSON *c;

	if (!cJSON_IsArray(a) || !cJSON_GetArraySize(a))
		return 0;
	c = cJSON_Duplicate(a, 1);
	if (!c || !cJSON_AddItemToObject(to, name, c)) {
		cJSON_Delete(c);
		return -ENOMEM;
	}
	return 0;
}

/* Adds item to array, or frees it; 0 or -ENOMEM (also when item is NULL: its making failed). */
static int append(cJSON *array, cJSON *item)
{
	if (!item || !array || !cJSON_AddItemToArray(array, item)) {
		cJSON_Delete(item);
		return -ENOMEM;
	}
	return 0;
}

/* The APIResourceDiscovery of a plain entry (no subresources yet). */
static cJSON *resource_of(const cJSON *e, const char *group, const char *version)
{
	cJSON *r = cJSON_CreateObject();
	bool namespaced = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "namespaced"));
	int rc = r ? 0 : -ENOMEM;

	if (!rc && (!cJSON_AddStringToObject(r, "resource", cm_json_str_or(e, "name", "")) ||
		    !add_response_kind(r, group, version, cm_json_str_or(e, "kind", "")) ||
		    !cJSON_AddStringToObject(r, "scope", namespaced ? "Namespaced" : "Cluster") ||
		    !cJSON_AddStringToObject(r, "singularResource", cm_json_str_or(e, "singularName", ""))))
		rc = -ENOMEM;
	if (!rc)
		rc = copy_array(r, e, "verbs");
	if (!rc)
		rc = copy_array(r, e, "shortNames");
	if (!rc)
		rc = copy_array(r, e, "categories");
	if (rc) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

/* The APISubresourceDiscovery of a plain "parent/sub" entry; group and version default to the list's. */
static cJSON *subresource_of(const cJSON *e, const char *sub, const char *group, const char *version)
{
	cJSON *s = cJSON_CreateObject();

	if (!s || !cJSON_AddStringToObject(s, "subresource", sub) ||
	    !add_response_kind(s, cm_json_str_or(e, "group", group), cm_json_str_or(e, "version", version),
			       cm_json_str_or(e, "kind", "")) ||
	    copy_array(s, e, "verbs") < 0) {
		cJSON_Delete(s);
		return NULL;
	}
	return s;
}

/* Folds "parent/sub" into parent's subresources (the plain list names the parent first). 0 or -ENOMEM. */
static int fold_subresource(cJSON *resources, const cJSON *e, const char *name, const char *slash, const char *group,
			    const char *version)
{
	size_t plen = (size_t)(slash - name);
	cJSON *r, *subs;

	cJSON_ArrayForEach(r, resources)
	{
		const char *rn = cm_json_str_or(r, "resource", "");

		if (strlen(rn) != plen || strncmp(rn, name, plen))
			continue;
		subs = cJSON_GetObjectItemCaseSensitive(r, "subresources");
		if (!subs)
			subs = cJSON_AddArrayToObject(r, "subresources");
		return append(subs, subresource_of(e, slash + 1, group, version));
	}
	return 0; /* a subresource of nothing listed: not discoverable either way */
}

cJSON *api_discovery_aggregate_version(const cJSON *list)
{
	const char *gv = cm_json_str_or(list, "groupVersion", ""), *slash = strchr(gv, '/'), *version;
	char group[128];
	cJSON *out = cJSON_CreateObject(), *resources;
	const cJSON *e;
	int rc = 0;

	snprintf(group, sizeof(group), "%.*s", slash ? (int)(slash - gv) : 0, gv);
	version = slash ? slash + 1 : gv;
	if (!out || !cJSON_AddStringToObject(out, "version", version) ||
	    !(resources = cJSON_AddArrayToObject(out, "resources"))) {
		cJSON_Delete(out);
		return NULL;
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(list, "resources"))
	{
		const char *name = cm_json_str_or(e, "name", ""), *sub = strchr(name, '/');

		rc = sub ? fold_subresource(resources, e, name, sub, group, version)
			 : append(resources, resource_of(e, group, version));
		if (rc)
			break;
	}
	if (rc || !cJSON_AddStringToObject(out, "freshness", "Current")) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

/* One APIGroupDiscovery: the group's metadata and its one version. */
static cJSON *group_item(const char *group, const char *version)
{
	cJSON *list = api_discovery_resource_list(group, version), *item = cJSON_CreateObject(), *meta, *versions;
	int rc = -ENOMEM;

	if (!list || !item || !(meta = cJSON_AddObjectToObject(item, "metadata")))
		goto out;
	if (*group && !cJSON_AddStringToObject(meta, "name", group))
		goto out;
	if (!cJSON_AddNullToObject(meta, "creationTimestamp") || !(versions = cJSON_AddArrayToObject(item, "versions")))
		goto out;
	rc = append(versions, api_discovery_aggregate_version(list));
out:
	cJSON_Delete(list);
	if (rc) {
		cJSON_Delete(item);
		return NULL;
	}
	return item;
}

/* The APIGroupDiscoveryList of /api (core) or /apis, apiVersion set later. */
static cJSON *group_list(bool core)
{
	cJSON *doc = cJSON_CreateObject(), *items;
	const char *name, *version;
	int rc = -ENOMEM;

	if (!doc || !cJSON_AddStringToObject(doc, "kind", AGG_KIND) || !cJSON_AddStringToObject(doc, "apiVersion", "") ||
	    !cJSON_AddObjectToObject(doc, "metadata") || !(items = cJSON_AddArrayToObject(doc, "items")))
		goto out;
	if (core) {
		rc = append(items, group_item("", "v1"));
	} else {
		rc = 0;
		for (size_t i = 0; !rc && (name = api_discovery_group(i, &version)); i++)
			rc = append(items, group_item(name, version));
	}
out:
	if (rc) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

/* Prints doc into d as apidiscovery.k8s.io/<as> (its apiVersion set so), with its Content-Type and ETag. 0 or -ENOMEM. */
static int doc_fill(struct agg_doc *d, cJSON *doc, enum api_discovery_as as)
{
	char api_version[32];
	cJSON *v;

	snprintf(api_version, sizeof(api_version), "%s/%s", AGG_GROUP, agg_versions[as]);
	v = cJSON_CreateString(api_version);
	if (!v || !cJSON_ReplaceItemInObjectCaseSensitive(doc, "apiVersion", v)) {
		cJSON_Delete(v);
		return -ENOMEM;
	}
	if (cm_json_print(doc, &d->json) < 0)
		return -ENOMEM;
	snprintf(d->content_type, sizeof(d->content_type), "application/json;g=%s;v=%s;as=%s", AGG_GROUP,
		 agg_versions[as], AGG_KIND);
	/* clients keep the document and ask again with If-None-Match: the tag must change with the content */
	snprintf(d->etag, sizeof(d->etag), "\"%08X%08X\"", (unsigned)cm_crc32c(0, d->json.data, d->json.len),
		 (unsigned)d->json.len);
	return 0;
}

int api_discovery_new(struct api_discovery **out)
{
	struct api_discovery *d = calloc(1, sizeof(*d));
	int rc = d ? 0 : -ENOMEM;

	for (int core = 0; !rc && core < 2; core++) {
		cJSON *doc = group_list(core);

		rc = doc ? doc_fill(&d->docs[core][API_DISCOVERY_V2BETA1], doc, API_DISCOVERY_V2BETA1) : -ENOMEM;
		if (!rc)
			rc = doc_fill(&d->docs[core][API_DISCOVERY_V2], doc, API_DISCOVERY_V2);
		cJSON_Delete(doc);
	}
	if (rc) {
		api_discovery_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void api_discovery_free(struct api_discovery *d)
{
	if (!d)
		return;
	for (int core = 0; core < 2; core++)
		for (int as = 0; as < 3; as++)
			cm_buf_close(&d->docs[core][as].json);
	free(d);
}

/* s[0..n) with blanks around it cut, as a length-bounded view. */
static const char *trim(const char *s, size_t *n)
{
	while (*n && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

static bool eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp(s, lit, n);
}

/* One media range of Accept, r[0..n): what it asks, or -1 for a form we do not serve (protobuf, Table). */
static int media_range(const char *r, size_t n)
{
	const char *semi = memchr(r, ';', n), *type = r, *g = NULL, *v = NULL, *as = NULL;
	size_t tlen = semi ? (size_t)(semi - r) : n, glen = 0, vlen = 0, aslen = 0;

	type = trim(type, &tlen);
	while (semi) {
		const char *p = semi + 1, *next = memchr(p, ';', n - (size_t)(p - r)), *eqs;
		size_t plen = next ? (size_t)(next - p) : n - (size_t)(p - r), klen;

		p = trim(p, &plen);
		eqs = memchr(p, '=', plen);
		if (eqs) {
			klen = (size_t)(eqs - p);
			if (eq(p, klen, "g"))
				g = eqs + 1, glen = plen - klen - 1;
			else if (eq(p, klen, "v"))
				v = eqs + 1, vlen = plen - klen - 1;
			else if (eq(p, klen, "as"))
				as = eqs + 1, aslen = plen - klen - 1;
		}
		semi = next;
	}
	if (eq(type, tlen, "*/*") || eq(type, tlen, "application/*"))
		return API_DISCOVERY_PLAIN;
	if (!eq(type, tlen, "application/json"))
		return -1;
	if (!g && !as)
		return API_DISCOVERY_PLAIN;
	if (!g || !v || !as || !eq(g, glen, AGG_GROUP) || !eq(as, aslen, AGG_KIND))
		return -1;
	if (eq(v, vlen, "v2"))
		return API_DISCOVERY_V2;
	if (eq(v, vlen, "v2beta1"))
		return API_DISCOVERY_V2BETA1;
	return -1;
}

enum api_discovery_as api_discovery_accept(const char *accept)
{
	/* the first range we can serve wins: kubectl lists them in the order it prefers */
	while (accept && *accept) {
		const char *comma = strchr(accept, ',');
		size_t n = comma ? (size_t)(comma - accept) : strlen(accept);
		int as = media_range(accept, n);

		if (as >= 0)
			return (enum api_discovery_as)as;
		accept = comma ? comma + 1 : NULL;
	}
	return API_DISCOVERY_PLAIN;
}

bool api_discovery_serve(const struct api_discovery *d, struct cm_http_req *req, bool core)
{
	enum api_discovery_as as = api_discovery_accept(cm_http_req_header(req, "Accept"));
	const char *inm = cm_http_req_header(req, "If-None-Match");
	const struct agg_doc *doc;

	if (!d || as == API_DISCOVERY_PLAIN)
		return false;
	doc = &d->docs[core][as];
	/* the answer depends on Accept: caches must key on it */
	if (cm_http_req_add_header(req, "Etag", doc->etag) < 0 || cm_http_req_add_header(req, "Vary", "Accept") < 0 ||
	    cm_http_req_add_header(req, "Cache-Control", "public") < 0) {
		cm_http_respond_error(req, 500, "out of memory");
		return true;
	}
	if (inm && !strcmp(inm, doc->etag))
		cm_http_respond(req, 304, NULL, "", 0);
	else
		cm_http_respond(req, 200, doc->content_type, doc->json.data, doc->json.len);
	return true;
}
