/* authz_review.c: SelfSubjectAccessReview ("may I?"), read from JSON or from kubectl's protobuf, answered in JSON. */
#include "apiserver/authz.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/rest.h"
#include "apiserver/status.h"
#include "common/json.h"

/* One field of a protobuf message: its number and, for length-delimited ones, the bytes. */
struct pb_field {
	uint32_t num;
	int wire;
	uint64_t v;
	const unsigned char *p;
	size_t len;
};

static int pb_varint(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -EINVAL;
		v |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -EINVAL;
}

/* Reads the next field at *p; 0, 1 at the end, or -EINVAL on a malformed message (never reads past end). */
static int pb_next(const unsigned char **p, const unsigned char *end, struct pb_field *f)
{
	uint64_t key;

	if (*p >= end)
		return 1;
	if (pb_varint(p, end, &key) < 0)
		return -EINVAL;
	f->num = (uint32_t)(key >> 3);
	f->wire = (int)(key & 7);
	switch (f->wire) {
	case 0:
		return pb_varint(p, end, &f->v);
	case 1:
	case 5: {
		size_t n = f->wire == 1 ? 8 : 4;

		if ((size_t)(end - *p) < n)
			return -EINVAL;
		*p += n;
		return 0;
	}
	case 2:
		if (pb_varint(p, end, &f->v) < 0 || f->v > (uint64_t)(end - *p))
			return -EINVAL;
		f->p = *p;
		f->len = (size_t)f->v;
		*p += f->len;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Copies the string fields of a message (numbers 1..n) into a JSON object under the names given. */
static int pb_strings(const unsigned char *p, size_t len, const char *const *names, uint32_t n, cJSON *out)
{
	const unsigned char *end = p + len;
	struct pb_field f;
	int rc;

	while ((rc = pb_next(&p, end, &f)) == 0) {
		char *s;

		if (f.wire != 2 || f.num < 1 || f.num > n)
			continue;
		s = strndup((const char *)f.p, f.len);
		if (!s || !cJSON_AddStringToObject(out, names[f.num - 1], s)) {
			free(s);
			return -ENOMEM;
		}
		free(s);
	}
	return rc < 0 ? rc : 0;
}

/* The JSON form of a protobuf-encoded SelfSubjectAccessReview (in k8s' "k8s\0" + runtime.Unknown envelope). */
static int from_protobuf(const char *body, size_t len, cJSON **out)
{
	static const char *const ra_names[] = {"namespace", "verb", "group", "version", "resource", "subresource", "name"};
	static const char *const nra_names[] = {"path", "verb"};
	const unsigned char *p = (const unsigned char *)body, *end = p + len, *raw = NULL;
	size_t rawlen = 0;
	struct pb_field f, g;
	cJSON *j, *spec;
	int rc;

	if (len < 4 || memcmp(body, "k8s\0", 4))
		return -EINVAL;
	p += 4;
	while ((rc = pb_next(&p, end, &f)) == 0)
		if (f.num == 2 && f.wire == 2) {
			raw = f.p;
			rawlen = f.len;
		}
	if (rc < 0 || !raw)
		return -EINVAL;
	j = cJSON_CreateObject();
	spec = j ? cJSON_AddObjectToObject(j, "spec") : NULL;
	if (!spec) {
		cJSON_Delete(j);
		return -ENOMEM;
	}
	p = raw;
	end = raw + rawlen;
	while (rc >= 0 && (rc = pb_next(&p, end, &f)) == 0) {
		const unsigned char *q = f.p, *qend = f.p + f.len;

		if (f.num != 2 || f.wire != 2)
			continue;
		while (rc >= 0 && (rc = pb_next(&q, qend, &g)) == 0) {
			cJSON *o;

			if (g.wire != 2 || (g.num != 1 && g.num != 2))
				continue;
			o = cJSON_AddObjectToObject(spec, g.num == 1 ? "resourceAttributes" : "nonResourceAttributes");
			rc = o ? pb_strings(g.p, g.len, g.num == 1 ? ra_names : nra_names, g.num == 1 ? 7 : 2, o) : -ENOMEM;
		}
		if (rc == 1)
			rc = 0;
	}
	if (rc < 0) {
		cJSON_Delete(j);
		return rc;
	}
	*out = j;
	return 0;
}

static void reply_status(struct cm_http_req *req, cJSON *st)
{
	cm_http_respond_json(req, st ? api_status_code(st) : 500, st);
	cJSON_Delete(st);
}

static void handle_ssar(struct cm_http_req *req, struct api_server *srv, bool tls)
{
	struct api_user u;
	struct api_authz_attrs at = {0};
	const cJSON *ra, *nra;
	const char *reason = NULL, *ct = cm_http_req_header(req, "Content-Type");
	cJSON *j = NULL, *st;
	size_t len = 0;
	const char *body = cm_http_req_body(req, &len);
	struct cm_buf b = CM_BUF_INIT;
	bool allowed;
	int rc;

	if (api_auth_identify(srv->auth, req, tls, &u) < 0) {
		reply_status(req, api_status_unauthorized(NULL));
		return;
	}
	if (ct && strstr(ct, "protobuf"))
		rc = from_protobuf(body, len, &j);
	else
		rc = cm_json_parse(body, len, &j, NULL);
	if (rc < 0 || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		reply_status(req, api_status_bad_request("the body must be a SelfSubjectAccessReview"));
		return;
	}
	ra = cm_json_get(j, "spec.resourceAttributes");
	nra = cm_json_get(j, "spec.nonResourceAttributes");
	at.user = &u;
	at.resource_request = ra != NULL;
	if (ra) {
		at.verb = cm_json_str_or(ra, "verb", "");
		at.ns = cm_json_str_or(ra, "namespace", "");
		at.group = cm_json_str_or(ra, "group", "");
		at.resource = cm_json_str_or(ra, "resource", "");
		at.subresource = cm_json_str_or(ra, "subresource", "");
		at.name = cm_json_str_or(ra, "name", "");
	} else {
		at.verb = cm_json_str_or(nra, "verb", "");
		at.path = cm_json_str_or(nra, "path", "");
	}
	allowed = !srv->auth || api_auth_decide(srv->auth, &at, &reason);
	cJSON_DeleteItemFromObjectCaseSensitive(j, "status");
	st = cJSON_AddObjectToObject(j, "status");
	if (!st || !cJSON_AddBoolToObject(st, "allowed", allowed) ||
	    (reason && !cJSON_AddStringToObject(st, "reason", reason)) ||
	    cm_json_set_str(j, "apiVersion", "authorization.k8s.io/v1") < 0 ||
	    cm_json_set_str(j, "kind", "SelfSubjectAccessReview") < 0 || cm_json_print(j, &b) < 0)
		cm_http_respond_error(req, 500, "out of memory");
	else
		cm_http_respond_buf(req, 201, "application/json", &b);
	cm_buf_close(&b);
	cJSON_Delete(j);
}

static void handle_ssar_plain(struct cm_http_req *req, void *ud)
{
	handle_ssar(req, ud, false);
}

static void handle_ssar_tls(struct cm_http_req *req, void *ud)
{
	handle_ssar(req, ud, true);
}

int api_auth_routes(struct api_server *srv, struct cm_http_server *http, bool tls)
{
	return cm_http_server_route(http, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
				    tls ? handle_ssar_tls : handle_ssar_plain, srv);
}
