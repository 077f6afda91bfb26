/* status.c: Kubernetes Status objects (kind Status) and the one mapping from our error codes to them. */
#include "apiserver/status.h"

#include <errno.h>
#include <string.h>

#include "common/err.h"

/* "pods", or "deployments.apps" outside the core group: Kubernetes' GroupResource.String(). */
static int qualified(struct cm_buf *b, const char *what, const char *group)
{
	if (group && *group)
		return cm_buf_printf(b, "%s.%s", what, group);
	return cm_buf_puts(b, what ? what : "");
}

static cJSON *status_base(const char *st, const char *reason, const char *message)
{
	cJSON *s = cJSON_CreateObject();
	if (!s)
		return NULL;
	if (!cJSON_AddStringToObject(s, "kind", "Status") || !cJSON_AddStringToObject(s, "apiVersion", "v1") ||
	    !cJSON_AddObjectToObject(s, "metadata") || !cJSON_AddStringToObject(s, "status", st))
		goto fail;
	if (message && !cJSON_AddStringToObject(s, "message", message))
		goto fail;
	if (reason && !cJSON_AddStringToObject(s, "reason", reason))
		goto fail;
	return s;
fail:
	cJSON_Delete(s);
	return NULL;
}

/* Adds details {name, group, kind} (empty members left out, as Go's omitempty does). */
static cJSON *add_details(cJSON *s, const char *name, const char *group, const char *kind)
{
	cJSON *d = cJSON_AddObjectToObject(s, "details");
	if (!d)
		return NULL;
	if (name && *name && !cJSON_AddStringToObject(d, "name", name))
		return NULL;
	if (group && *group && !cJSON_AddStringToObject(d, "group", group))
		return NULL;
	if (kind && *kind && !cJSON_AddStringToObject(d, "kind", kind))
		return NULL;
	return d;
}

/* Adds "code" last, where Kubernetes puts it, and hands s back (or frees it on failure). */
static cJSON *finish(cJSON *s, int code, int ok)
{
	if (!s)
		return NULL;
	if (!ok || !cJSON_AddNumberToObject(s, "code", code)) {
		cJSON_Delete(s);
		return NULL;
	}
	return s;
}

cJSON *api_status_new(int code, const char *reason, const char *message)
{
	return finish(status_base("Failure", reason, message), code, 1);
}

/* A Failure about one named object: message built from fmt around the qualified resource. */
static cJSON *about_object(int code, const char *reason, const char *group, const char *resource,
			   const char *name, const char *before, const char *after)
{
	struct cm_buf m = CM_BUF_INIT;
	cJSON *s = NULL;
	int rc = cm_buf_puts(&m, before);
	rc = rc ? rc : qualified(&m, resource, group);
	if (!rc && name && *name) {
		rc = cm_buf_putc(&m, ' ');
		rc = rc ? rc : api_quote(name, &m);
	}
	rc = rc ? rc : cm_buf_puts(&m, after);
	if (!rc && (s = status_base("Failure", reason, m.data)))
		s = finish(s, code, add_details(s, name, group, resource) != NULL);
	cm_buf_close(&m);
	return s;
}

cJSON *api_status_not_found(const char *group, const char *resource, const char *name)
{
	if (!resource || !*resource) {
		/* a path that names no resource: Kubernetes' generic 404, with empty details */
		cJSON *s = status_base("Failure", "NotFound", "the server could not find the requested resource");
		return s ? finish(s, 404, cJSON_AddObjectToObject(s, "details") != NULL) : NULL;
	}
	return about_object(404, "NotFound", group, resource, name, "", " not found");
}

cJSON *api_status_already_exists(const char *group, const char *resource, const char *name)
{
	return about_object(409, "AlreadyExists", group, resource, name, "", " already exists");
}

cJSON *api_status_conflict(const char *group, const char *resource, const char *name, const char *why)
{
	struct cm_buf after = CM_BUF_INIT;
	cJSON *s = NULL;
	if (!cm_buf_printf(&after, ": %s",
			   why ? why
			       : "the object has been modified; please apply your changes to the latest version "
				 "and try again"))
		s = about_object(409, "Conflict", group, resource, name, "Operation cannot be fulfilled on ",
				 after.data);
	cm_buf_close(&after);
	return s;
}

cJSON *api_status_forbidden(const char *group, const char *resource, const char *name, const char *why)
{
	struct cm_buf after = CM_BUF_INIT;
	cJSON *s = NULL;
	if (!cm_buf_printf(&after, " is forbidden: %s", why ? why : "access denied"))
		s = about_object(403, "Forbidden", group, resource, name, "", after.data);
	cm_buf_close(&after);
	return s;
}

static int add_causes(cJSON *details, const struct api_ferrs *errs)
{
	cJSON *causes = cJSON_AddArrayToObject(details, "causes");
	struct cm_buf body = CM_BUF_INIT;
	if (!causes)
		return -ENOMEM;
	for (int i = 0; i < errs->n; i++) {
		cJSON *c = cJSON_CreateObject();
		cm_buf_reset(&body);
		if (!c || !cJSON_AddItemToArray(causes, c) ||
		    !cJSON_AddStringToObject(c, "reason", api_ferr_reason(errs->v[i].type)) ||
		    api_ferr_body(&errs->v[i], &body) || !cJSON_AddStringToObject(c, "message", body.data) ||
		    (errs->v[i].field && *errs->v[i].field && !cJSON_AddStringToObject(c, "field", errs->v[i].field))) {
			if (c && !c->prev)
				cJSON_Delete(c);
			cm_buf_close(&body);
			return -ENOMEM;
		}
	}
	cm_buf_close(&body);
	return 0;
}

cJSON *api_status_invalid(const char *group, const char *kind, const char *name, const struct api_ferrs *errs)
{
	struct cm_buf m = CM_BUF_INIT;
	cJSON *s = NULL, *d;
	int rc = qualified(&m, kind, group);
	rc = rc ? rc : cm_buf_putc(&m, ' ');
	rc = rc ? rc : api_quote(name ? name : "", &m);
	rc = rc ? rc : cm_buf_puts(&m, " is invalid: ");
	rc = rc ? rc : api_ferrs_format(errs, &m);
	if (!rc && (s = status_base("Failure", "Invalid", m.data))) {
		d = add_details(s, name, group, kind);
		s = finish(s, 422, d && !add_causes(d, errs));
	}
	cm_buf_close(&m);
	return s;
}

cJSON *api_status_bad_request(const char *message)
{
	return api_status_new(400, "BadRequest", message);
}

cJSON *api_status_method_not_allowed(const char *group, const char *resource, const char *action)
{
	if (!action)
		return api_status_new(405, "MethodNotAllowed",
				      "the server does not allow this method on the requested resource");
	struct cm_buf m = CM_BUF_INIT, qr = CM_BUF_INIT;
	cJSON *s = NULL;
	if (!qualified(&qr, resource, group) && !cm_buf_printf(&m, "%s is not supported on resources of kind ", action) &&
	    !api_quote(qr.data, &m) && (s = status_base("Failure", "MethodNotAllowed", m.data)))
		s = finish(s, 405, add_details(s, NULL, group, resource) != NULL);
	cm_buf_close(&m);
	cm_buf_close(&qr);
	return s;
}

cJSON *api_status_gone(const char *message)
{
	return api_status_new(410, "Gone", message);
}

cJSON *api_status_expired(const char *message)
{
	return api_status_new(410, "Expired", message);
}

cJSON *api_status_unauthorized(const char *message)
{
	return api_status_new(401, "Unauthorized", message ? message : "Unauthorized");
}

cJSON *api_status_too_large(long long limit)
{
	struct cm_buf m = CM_BUF_INIT;
	cJSON *s = NULL;
	if (!cm_buf_printf(&m, "Request entity too large: limit is %lld", limit))
		s = api_status_new(413, "RequestEntityTooLarge", m.data);
	cm_buf_close(&m);
	return s;
}

cJSON *api_status_unsupported_media_type(const char *accepted)
{
	struct cm_buf m = CM_BUF_INIT;
	cJSON *s = NULL;
	if (!cm_buf_printf(&m, "the body of the request was in an unknown format - accepted media types include: %s",
			   accepted ? accepted : ""))
		s = api_status_new(415, "UnsupportedMediaType", m.data);
	cm_buf_close(&m);
	return s;
}

/* Adds details.retryAfterSeconds to a status about to be finished. */
static cJSON *with_retry(cJSON *s, int code, int retry)
{
	cJSON *d;
	if (!s || retry <= 0)
		return finish(s, code, 1);
	d = cJSON_AddObjectToObject(s, "details");
	return finish(s, code, d && cJSON_AddNumberToObject(d, "retryAfterSeconds", retry));
}

cJSON *api_status_too_many_requests(const char *message, int retry_after_seconds)
{
	return with_retry(status_base("Failure", "TooManyRequests", message), 429, retry_after_seconds);
}

cJSON *api_status_timeout(const char *message, int retry_after_seconds)
{
	struct cm_buf m = CM_BUF_INIT;
	cJSON *s = NULL;
	if (!cm_buf_printf(&m, "Timeout: %s", message ? message : ""))
		s = with_retry(status_base("Failure", "Timeout", m.data), 504, retry_after_seconds);
	cm_buf_close(&m);
	return s;
}

cJSON *api_status_internal(const char *err)
{
	struct cm_buf m = CM_BUF_INIT;
	cJSON *s = NULL, *d, *causes, *c;
	err = err ? err : "";
	if (!cm_buf_printf(&m, "Internal error occurred: %s", err) &&
	    (s = status_base("Failure", "InternalError", m.data))) {
		int ok = (d = cJSON_AddObjectToObject(s, "details")) && (causes = cJSON_AddArrayToObject(d, "causes")) &&
			 (c = cJSON_CreateObject()) && cJSON_AddItemToArray(causes, c) &&
			 cJSON_AddStringToObject(c, "message", err);
		s = finish(s, 500, ok);
	}
	cm_buf_close(&m);
	return s;
}

cJSON *api_status_unavailable(const char *message)
{
	return api_status_new(503, "ServiceUnavailable", message);
}

cJSON *api_status_success(const char *group, const char *resource, const char *name, const char *uid)
{
	cJSON *s = status_base("Success", NULL, NULL), *d;
	if (!s)
		return NULL;
	d = add_details(s, name, group, resource);
	return finish(s, 200, d && (!uid || !*uid || cJSON_AddStringToObject(d, "uid", uid)));
}

cJSON *api_status_from_err(int err, const char *group, const char *resource, const char *name,
			   const char *message)
{
	switch (err) {
	case -ENOENT:
		return api_status_not_found(group, resource, name);
	case -EEXIST:
		return api_status_already_exists(group, resource, name);
	case -CM_ECONFLICT:
		return api_status_conflict(group, resource, name, message);
	case -CM_ECOMPACTED:
		return api_status_expired(message ? message : "too old resource version");
	case -CM_EFUTUREREV:
		return api_status_timeout(message ? message : "Too large resource version", 1);
	case -EINVAL:
	case -CM_EBADREQUEST:
		return api_status_bad_request(message ? message : cm_strerror(err));
	case -CM_ESTORETOOLARGE:
		/*
		 * kube-apiserver passes etcd's refusal on as it comes: a 500 with
		 * etcd's message and no reason (an error that is not a Status), not
		 * a 413, which it keeps for request bodies over its own limit.
		 */
		return api_status_new(500, NULL, cm_strerror(err));
	case -E2BIG:
	case -CM_ETOOLARGE:
		return api_status_new(413, "RequestEntityTooLarge",
				      message ? message : "Request entity too large");
	case -EACCES:
	case -EPERM:
		return api_status_forbidden(group, resource, name, message);
	case -CM_ENOTLEADER:
	case -CM_ENOQUORUM:
	case -CM_ESTOPPED:
		return api_status_unavailable(message ? message : cm_strerror(err));
	case -ETIMEDOUT:
		return api_status_timeout(message ? message : "request did not complete within the allowed duration", 0);
	default:
		return api_status_internal(message ? message : cm_strerror(err));
	}
}

int api_status_code(const cJSON *status)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(status, "code");
	return cJSON_IsNumber(c) ? c->valueint : 500;
}
