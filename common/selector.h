/* selector.h: Kubernetes label selectors and field selectors, parsed once and matched many times. */
#ifndef CM_SELECTOR_H
#define CM_SELECTOR_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

/*
 * A label selector is an AND of requirements on an object's labels. The empty
 * selector matches everything; the "nothing" selector (what a null
 * LabelSelector means in Kubernetes) matches no object at all.
 */
struct cm_selector;

enum cm_sel_op {
	CM_SEL_EQ,        /* key=value or key==value: the label is present with that value */
	CM_SEL_NEQ,       /* key!=value: absent, or present with another value */
	CM_SEL_IN,        /* key in (a,b): present with one of the values */
	CM_SEL_NOTIN,     /* key notin (a,b): absent, or present with none of the values */
	CM_SEL_EXISTS,    /* key: present, whatever its value */
	CM_SEL_NOTEXISTS, /* !key: absent */
	CM_SEL_GT,        /* key>n: present with an integer value greater than n */
	CM_SEL_LT,        /* key<n: present with an integer value less than n */
};

/*
 * Parses the string form used in ?labelSelector= and `-l`:
 * "app=web,tier!=db,env in (prod, staging),!canary,track". Whitespace around
 * tokens is ignored; "" gives the empty selector. On success *out is owned by
 * the caller (cm_selector_free). Returns 0, -EINVAL with a message in err
 * (when err is not NULL) naming what was wrong, or -ENOMEM.
 */
int cm_selector_parse(const char *s, struct cm_selector **out, struct cm_buf *err);

/*
 * Builds a selector from a metav1.LabelSelector object: matchLabels (AND of
 * equalities) and matchExpressions ({key, operator In|NotIn|Exists|
 * DoesNotExist, values}). sel NULL or JSON null gives the "nothing" selector;
 * {} gives the empty one. Returns 0 (*out owned by the caller), -EINVAL with
 * a message in err for a malformed object (In without values, Exists with
 * values, an unknown operator, non-string values), or -ENOMEM.
 */
int cm_selector_from_json(const cJSON *sel, struct cm_selector **out, struct cm_buf *err);

/* Whether labels (a JSON object of strings, or NULL for none) satisfy s. */
bool cm_selector_matches(const struct cm_selector *s, const cJSON *labels);

/* True for the selector that matches everything. */
bool cm_selector_empty(const struct cm_selector *s);

/* Number of requirements (0 for the empty and the nothing selector). */
int cm_selector_count(const struct cm_selector *s);

/*
 * Appends the canonical string form (requirements sorted by key, set values
 * sorted, as kubectl prints them: "app=web,env in (prod,staging)"). The
 * nothing selector prints as "<none>". Returns 0 or -ENOMEM.
 */
int cm_selector_format(const struct cm_selector *s, struct cm_buf *out);

void cm_selector_free(struct cm_selector *s);

#endif
