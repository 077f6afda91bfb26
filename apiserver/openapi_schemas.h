/* openapi_schemas.h: the object schemas /openapi/v3 publishes, as a table of rows (openapi_schemas.c). */
#ifndef API_OPENAPI_SCHEMAS_H
#define API_OPENAPI_SCHEMAS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The table is a list of schemas, each a head row followed by its field rows.
 * A head row is a KIND (a top-level object: type is its apiVersion, and
 * apiVersion, kind and metadata are added to its fields), a TYPE (an object
 * used by others) or a SCALAR (a named non-object: type is the JSON type,
 * optionally followed by a space and a format, e.g. "string date-time"; two
 * types "integer|string" mean either). Schema names are
 * Kubernetes' ("io.k8s.api.core.v1.PodSpec") so clients find what they expect.
 *
 * A field's type is "string", "integer" (int32), "int64", "number",
 * "boolean", "object" (any object), "A|B|C" (a string out of those values),
 * "[]T" (a list), "map[string]T", or the last part of a schema's name
 * ("PodSpec"), which names a schema of the same package first, then of any.
 */
enum api_oa_row_kind { API_OA_KIND, API_OA_TYPE, API_OA_SCALAR, API_OA_FIELD, API_OA_REQUIRED };

struct api_oa_row {
	enum api_oa_row_kind what;
	const char *name; /* schema's full name, or field name */
	const char *type;
	const char *desc;
};

extern const struct api_oa_row api_oa_rows[];
extern const size_t api_oa_nrows;

/* Whether r opens a schema (KIND, TYPE or SCALAR). */
bool api_oa_is_head(const struct api_oa_row *r);
/* The length of name's package, its last dot included ("io.k8s.api.core.v1." of a PodSpec), or 0. */
size_t api_oa_package_len(const char *name);
/*
 * The row of the schema a field type ("PodSpec") names in schema from: one of
 * from's package first, then any whose last part matches; -1 if none.
 */
long api_oa_resolve(const char *from, const char *type);

#endif
