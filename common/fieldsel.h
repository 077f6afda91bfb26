/* fieldsel.h: Kubernetes field selectors (?fieldSelector=) and the field labels they read. */
#ifndef CM_FIELDSEL_H
#define CM_FIELDSEL_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

/*
 * A field selector is an AND of "field=value", "field==value" and
 * "field!=value" terms; a backslash escapes ',', '=' and '\' in values.
 */
struct cm_fieldsel;

/*
 * Parses ?fieldSelector=. "" gives the empty selector. Field names are not
 * checked here (see cm_fieldsel_check). Returns 0 (*out owned by the
 * caller), -EINVAL with a message in err, or -ENOMEM.
 */
int cm_fieldsel_parse(const char *s, struct cm_fieldsel **out, struct cm_buf *err);

/*
 * Checks that every field the selector names is one cm_field_get knows.
 * Returns 0, or -EINVAL with "field label not supported: X" in err (the
 * apiserver's 400 message).
 */
int cm_fieldsel_check(const struct cm_fieldsel *s, struct cm_buf *err);

/*
 * As cm_fieldsel_check, but only the fields in allowed (a NULL-terminated
 * list, e.g. a resource's supported field labels) pass. Every resource
 * supports metadata.name and metadata.namespace without listing them.
 */
int cm_fieldsel_check_allowed(const struct cm_fieldsel *s, const char *const *allowed, struct cm_buf *err);

/* Whether obj satisfies every term; a term on an unknown field never matches. */
bool cm_fieldsel_matches(const struct cm_fieldsel *s, const cJSON *obj);

/*
 * If the selector requires field to equal a value (field=value), returns that
 * value (borrowed from s), else NULL. Lets a server narrow a scan, e.g. by
 * metadata.name or spec.nodeName.
 */
const char *cm_fieldsel_required(const struct cm_fieldsel *s, const char *field);

bool cm_fieldsel_empty(const struct cm_fieldsel *s);
void cm_fieldsel_free(struct cm_fieldsel *s);

/*
 * Reads a field label of obj as Kubernetes' field selectors see it:
 * metadata.name, metadata.namespace, spec.nodeName, spec.schedulerName,
 * spec.serviceAccountName, spec.restartPolicy, spec.hostNetwork,
 * spec.unschedulable, status.phase, status.podIP, status.nominatedNodeName,
 * involvedObject.{kind,namespace,name,uid,apiVersion,resourceVersion,fieldPath},
 * reason, reportingComponent, source, type. A missing field reads as ""
 * (booleans as "true"/"false", missing as "false"). Returns 0 with *out
 * borrowed from obj or static, or -EINVAL for a field it does not know.
 */
int cm_field_get(const cJSON *obj, const char *field, const char **out);

#endif
