/* status.h: Kubernetes Status objects for every error the API returns, built in this one place. */
#ifndef API_STATUS_H
#define API_STATUS_H

#include <cjson/cJSON.h>

#include "apiserver/field_error.h"

/*
 * Every constructor returns a new tree owned by the caller, or NULL on
 * -ENOMEM:
 *   {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
 *    "message":..., "reason":..., "details":{...}, "code":...}
 * group is "" (or NULL) for the core group; resource is the plural lower-case
 * name ("pods", "deployments"); kind the CamelCase kind ("Pod"). Messages are
 * worded as kube-apiserver words them, which kubectl prints verbatim.
 */

/* A Failure with the given code, reason and message, and no details. */
cJSON *api_status_new(int code, const char *reason, const char *message);

/*
 * 404 NotFound: `pods "web" not found`, `deployments.apps "web" not found`;
 * with resource NULL: "the server could not find the requested resource".
 */
cJSON *api_status_not_found(const char *group, const char *resource, const char *name);
/* 409 AlreadyExists: `pods "web" already exists`. */
cJSON *api_status_already_exists(const char *group, const char *resource, const char *name);
/*
 * 409 Conflict: `Operation cannot be fulfilled on pods "web": <why>`; why NULL
 * means a stale resourceVersion ("the object has been modified; please apply
 * your changes to the latest version and try again").
 */
cJSON *api_status_conflict(const char *group, const char *resource, const char *name, const char *why);
/*
 * 422 Invalid: `Pod "Bad_Name" is invalid: metadata.name: Invalid value: ...`,
 * with details.causes one per error ({reason, message, field}).
 */
cJSON *api_status_invalid(const char *group, const char *kind, const char *name, const struct api_ferrs *errs);
/* 400 BadRequest with message as given. */
cJSON *api_status_bad_request(const char *message);
/*
 * 405 MethodNotAllowed: `<action> is not supported on resources of kind
 * "pods"`, or with action NULL "the server does not allow this method on the
 * requested resource".
 */
cJSON *api_status_method_not_allowed(const char *group, const char *resource, const char *action);
/* 410 Gone / 410 Expired (a compacted resourceVersion: "too old resource version: 5 (10)"). */
cJSON *api_status_gone(const char *message);
cJSON *api_status_expired(const char *message);
/* 403 Forbidden: `pods "web" is forbidden: <why>` (or `pods is forbidden: <why>` without name). */
cJSON *api_status_forbidden(const char *group, const char *resource, const char *name, const char *why);
/* 401 Unauthorized; message NULL gives "Unauthorized". */
cJSON *api_status_unauthorized(const char *message);
/* 413 RequestEntityTooLarge: "Request entity too large: limit is <limit>". */
cJSON *api_status_too_large(long long limit);
/*
 * 415 UnsupportedMediaType: "the body of the request was in an unknown
 * format - accepted media types include: <accepted>".
 */
cJSON *api_status_unsupported_media_type(const char *accepted);
/* 429 TooManyRequests with details.retryAfterSeconds (omitted when <= 0). */
cJSON *api_status_too_many_requests(const char *message, int retry_after_seconds);
/* 500 InternalError: "Internal error occurred: <err>", details.causes[{message: err}]. */
cJSON *api_status_internal(const char *err);
/* 503 ServiceUnavailable with message as given. */
cJSON *api_status_unavailable(const char *message);
/* 504 Timeout: "Timeout: <message>", details.retryAfterSeconds when > 0. */
cJSON *api_status_timeout(const char *message, int retry_after_seconds);

/* The Success status a DELETE may answer: details {name, group, kind: resource, uid}. */
cJSON *api_status_success(const char *group, const char *resource, const char *name, const char *uid);

/*
 * Maps one of our errors (negative errno or -CM_E*) to its Status; the only
 * such table. -ENOENT NotFound, -EEXIST AlreadyExists, -CM_ECONFLICT
 * Conflict, -CM_ECOMPACTED Expired, -CM_EFUTUREREV Timeout, -EINVAL and
 * -CM_EBADREQUEST BadRequest, -CM_ETOOLARGE / -E2BIG RequestEntityTooLarge
 * (413, message as given), -CM_ESTORETOOLARGE a 500 with etcd's message and
 * no reason (as kube-apiserver passes etcd's refusal on), -EACCES / -EPERM Forbidden, -CM_ENOTLEADER /
 * -CM_ENOQUORUM / -CM_ESTOPPED / -ETIMEDOUT ServiceUnavailable or Timeout,
 * anything else InternalError. message, when not NULL, replaces the default
 * wording where Kubernetes' carries free text (bad request, expired, internal,
 * forbidden, conflict reason). NULL on -ENOMEM.
 */
cJSON *api_status_from_err(int err, const char *group, const char *resource, const char *name,
			   const char *message);

/* The HTTP code of a Status tree (its "code"), or 500 if it has none. */
int api_status_code(const cJSON *status);

#endif
