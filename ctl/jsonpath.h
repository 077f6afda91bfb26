/* jsonpath.h: the subset of kubectl's JSONPath templates people use: fields, [n], [*], [a:b], filters, range/end, literals. */
#ifndef MC_JSONPATH_H
#define MC_JSONPATH_H

#include <cjson/cJSON.h>

#include "common/buf.h"

/*
 * Runs a template such as "{.items[*].metadata.name}" or
 * "{range .items[*]}{.metadata.name}{\"\\t\"}{.status.podIP}{\"\\n\"}{end}"
 * over data, appending the text to out. Several results of one expression
 * are separated by a space; strings print bare, objects and lists as compact
 * JSON. A field that is missing fails as kubectl does ("x is not found").
 * Returns 0, -EINVAL with the reason in err, or -ENOMEM.
 */
int mc_jsonpath_exec(const char *tmpl, const cJSON *data, struct cm_buf *out, struct cm_buf *err);

/*
 * The first value an expression (".metadata.name", "{.spec.replicas}")
 * selects in data, borrowed from it; NULL if none or the expression is bad.
 */
const cJSON *mc_jsonpath_first(const char *expr, const cJSON *data);

#endif
