/* json.h: typed, path-based access to cJSON trees, and etcd's int64-as-string convention. */
#ifndef CM_JSON_H
#define CM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

/*
 * Paths are dot-separated member names; a number indexes an array:
 * "metadata.name", "spec.containers.0.image". A name that itself holds a dot
 * is written with a backslash: "metadata.labels.app\.kubernetes\.io/name".
 */

/* The item at path (root itself for "" or NULL), or NULL if any step is missing. Borrowed. */
cJSON *cm_json_get(const cJSON *root, const char *path);
/* The string at path, or NULL if missing or not a string. Borrowed. */
const char *cm_json_get_str(const cJSON *root, const char *path);
/* The string at path, or def if missing or not a string. */
const char *cm_json_str_or(const cJSON *root, const char *path, const char *def);
/* The JSON type name of j for error messages: "string", "number", "boolean", "null", "array", "object". */
const char *cm_json_type_name(const cJSON *j);
/* The name Go's encoding/json gives j in "cannot unmarshal X into ...": as above, but "bool". */
const char *cm_json_go_type_name(const cJSON *j);

/*
 * Reads an int64 given as a JSON number or as a decimal string (etcd writes
 * int64 as strings). Returns 0, -ENOENT if missing, or -EINVAL if of another
 * type, fractional or out of range; *out is unchanged on failure.
 */
int cm_json_get_int64(const cJSON *root, const char *path, int64_t *out);
/* As cm_json_get_int64, returning def when missing or malformed. */
int64_t cm_json_int64_or(const cJSON *root, const char *path, int64_t def);
/* Reads a JSON boolean. Returns 0, -ENOENT, or -EINVAL. */
int cm_json_get_bool(const cJSON *root, const char *path, bool *out);

/*
 * Checked readers for decoding requests: on a wrong type they append to err a
 * message that names the field ("spec.replicas: expected integer, got string")
 * and return -EINVAL; a missing field returns -ENOENT and writes nothing.
 */
int cm_json_read_str(const cJSON *root, const char *path, const char **out, struct cm_buf *err);
int cm_json_read_int64(const cJSON *root, const char *path, int64_t *out, struct cm_buf *err);
int cm_json_read_bool(const cJSON *root, const char *path, bool *out, struct cm_buf *err);

/* Adds name: "v" (int64 as a decimal string, etcd's style). Returns 0 or -ENOMEM. */
int cm_json_add_int64_str(cJSON *obj, const char *name, int64_t v);
/*
 * Sets the member at path, creating intermediate objects, replacing what was
 * there. Takes ownership of item, also on failure (it is freed). Returns 0,
 * -EINVAL if a step is not an object, or -ENOMEM.
 */
int cm_json_set(cJSON *root, const char *path, cJSON *item);
/* As cm_json_set with a copied string. */
int cm_json_set_str(cJSON *root, const char *path, const char *s);

/* Arrays and objects nested deeper than this are refused by cm_json_parse (cJSON allows 1000). */
#define CM_JSON_MAX_DEPTH 100

/*
 * Parses text[0..len) (need not be NUL-terminated). Returns 0 with *out owned
 * by the caller, or -EINVAL with a message in err naming the offset ("invalid
 * JSON at offset 5"; err may be NULL). Trailing whitespace is accepted, other
 * trailing data (a NUL too) is not; nesting deeper than CM_JSON_MAX_DEPTH is
 * -EINVAL ("nested deeper than 100 levels"). A member repeated in an object
 * keeps its last value, as Go clients read it. cJSON cannot tell running out
 * of memory from bad syntax, so both come back as -EINVAL (-ENOMEM only when
 * removing duplicates fails).
 */
int cm_json_parse(const char *text, size_t len, cJSON **out, struct cm_buf *err);
/*
 * As cm_json_parse, and appends to dups the path of each member a later one of
 * the same name overrode ("spec.replicas", "spec.containers[0].name"), each
 * NUL-terminated, for Kubernetes' "duplicate field" reports. On failure dups
 * may hold some paths.
 */
int cm_json_parse_dups(const char *text, size_t len, cJSON **out, struct cm_buf *err, struct cm_buf *dups);
/* Appends the compact form of j to out. Returns 0 or -ENOMEM. */
int cm_json_print(const cJSON *j, struct cm_buf *out);
/* Deep equality (member order ignored). */
bool cm_json_equal(const cJSON *a, const cJSON *b);
/* A deep copy owned by the caller, or NULL on -ENOMEM. */
cJSON *cm_json_copy(const cJSON *j);

#endif
