/* field_check.h: unknown fields at every depth, found through a compiled copy of the schema table. */
#ifndef API_FIELD_CHECK_H
#define API_FIELD_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

/*
 * Kubernetes decodes a body into Go structs and reports, as it goes, every
 * member that no struct field takes ("unknown field \"spec.bogus\"") and every
 * member given twice ("duplicate field \"spec.replicas\"": cm_json_parse_dups
 * finds those, as it drops them); fieldValidation decides whether those refuse
 * the request (Strict), become Warning headers (Warn, the default) or are
 * dropped silently (Ignore). This server keeps JSON trees, so it walks them
 * against openapi_schemas.c's table instead; a problem list holds both kinds.
 *
 * The table is compiled once at start into per-schema sorted field arrays
 * with each field's schema resolved, so a check costs a binary search per
 * member and no parsing. Only schemas that list their fields are checked:
 * plain "object" fields, maps and schemas without fields (deliberately left
 * open: affinity, lifecycle, projected volumes...) accept anything below them.
 */
struct api_field_check;

/* What one walk found, in document order: messages, each NUL-terminated, in text. */
struct api_field_problems {
	struct cm_buf text;
	size_t n;
};

#define API_FIELD_PROBLEMS_MAX 100 /* later problems are not listed: a body full of them stays cheap to answer */

/* Compiles the table. 0 and *out (free with api_field_check_free), or -ENOMEM. */
int api_field_check_new(struct api_field_check **out);
/* Frees fc; NULL does nothing. */
void api_field_check_free(struct api_field_check *fc);

/* The schema of a kind ("apps/v1", "Deployment"), or -1 when the table has none. */
int api_field_check_kind(const struct api_field_check *fc, const char *api_version, const char *kind);

#define API_FIELD_DIRECTIVES 1u /* members named "$..." (strategic merge patch directives) are not reported */
#define API_FIELD_PRUNE 2u      /* unknown members are removed, as Kubernetes' decoding drops them */

/*
 * Walks obj against schema (api_field_check_kind's answer; -1 checks nothing)
 * and appends what it finds to out; flags are API_FIELD_*. Returns 0, or
 * -ENOMEM (out then holds what was found so far, and obj may be partly
 * pruned).
 */
int api_field_check_walk(const struct api_field_check *fc, int schema, cJSON *obj, unsigned flags,
			 struct api_field_problems *out);

void api_field_problems_init(struct api_field_problems *p);
void api_field_problems_close(struct api_field_problems *p);
/*
 * Appends "<what> field \"<path>.<name>\"" (name may be NULL, path ""); past
 * API_FIELD_PROBLEMS_MAX does nothing. 0 or -ENOMEM (p unchanged).
 */
int api_field_problems_add(struct api_field_problems *p, const char *what, const char *path, const char *name);
/* Appends msg as it is (go-yaml's duplicate key reports); past API_FIELD_PROBLEMS_MAX does nothing. 0 or -ENOMEM. */
int api_field_problems_add_text(struct api_field_problems *p, const char *msg);
/* Forgets the problems but keeps the memory. */
void api_field_problems_reset(struct api_field_problems *p);
/* The message after prev (NULL: the first), or NULL after the last. */
const char *api_field_problems_next(const struct api_field_problems *p, const char *prev);

#endif
