/* openapi.h: /openapi/v3, the index and one document per group-version, built once at start. */
#ifndef API_OPENAPI_H
#define API_OPENAPI_H

#include <stddef.h>

#include "common/buf.h"
#include "common/http_server.h"

struct api_openapi;

/*
 * Builds every document from openapi_schemas.c and the served resources
 * (resources.c): for each group-version its kinds' paths (a patch operation
 * taking fieldValidation, which makes kubectl leave validation to the server)
 * and their schemas with every schema they refer to. Returns 0 and *out
 * (the caller frees it with api_openapi_free), -EINVAL with a message in err
 * when the table is inconsistent (an unknown type, a served kind without a
 * schema), or -ENOMEM.
 */
int api_openapi_new(struct api_openapi **out, struct cm_buf *err);
/* Frees o; NULL does nothing. */
void api_openapi_free(struct api_openapi *o);

/*
 * The JSON of the document at key ("api/v1", "apis/apps/v1") and its hash (what
 * the index's ?hash= carries), or -ENOENT. The strings stay o's.
 */
int api_openapi_doc(const struct api_openapi *o, const char *key, const char **json, size_t *len,
		    const char **hash);

/* The index's JSON: {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=..."},...}}; o's. */
void api_openapi_index(const struct api_openapi *o, const char **json, size_t *len);

/* Routes GET /openapi/v3 and /openapi/v3/{group-version} on http to o's documents. 0 or -ENOMEM. */
int api_openapi_routes(struct api_openapi *o, struct cm_http_server *http);

#endif
