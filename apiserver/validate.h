/* validate.h: Kubernetes' checks on names, labels, annotations and generateName, with its messages. */
#ifndef API_VALIDATE_H
#define API_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "apiserver/field_error.h"

/* Which rule a kind's names follow. */
enum api_name_rule {
	API_NAME_DNS1123_SUBDOMAIN, /* most kinds: pods, deployments, configmaps, nodes, ... (<= 253) */
	API_NAME_DNS1123_LABEL,     /* namespaces (<= 63) */
	API_NAME_DNS1035_LABEL,     /* services: starts with a letter (<= 63) */
	API_NAME_PATH_SEGMENT,      /* RBAC objects ("system:node"): not "." or "..", no '/' or '%' */
};

/* Limits Kubernetes applies. */
#define API_DNS1123_SUBDOMAIN_MAX 253
#define API_DNS1123_LABEL_MAX 63
#define API_LABEL_VALUE_MAX 63
#define API_ANNOTATIONS_MAX (256 * 1024) /* sum of the lengths of keys and values */
#define API_GENERATED_SUFFIX_LEN 5

/*
 * Each check appends one error per problem to l, as field.Invalid(field,
 * value, msg) with Kubernetes' msg, e.g. `metadata.name: Invalid value:
 * "Bad_Name": a lowercase RFC 1123 subdomain must consist of ...`. They
 * append nothing for a valid value. Allocation failures are recorded in l.
 */

/*
 * value as a name under rule. prefix: value is a generateName, whose
 * trailing '-' is allowed (it is checked as if it were a letter).
 */
void api_validate_name(struct api_ferrs *l, const char *field, const char *value, enum api_name_rule rule,
		       bool prefix);
/* Whether value is a valid name under rule (no messages). */
bool api_name_ok(const char *value, enum api_name_rule rule);

/* A label key / annotation key: a qualified name, "[prefix/]name". */
void api_validate_qualified_name(struct api_ferrs *l, const char *field, const char *value);
/* A label value (may be empty, at most 63 characters). */
void api_validate_label_value(struct api_ferrs *l, const char *field, const char *value);

/*
 * labels: an object of strings (NULL or JSON null is valid). Keys are
 * reported against field ("metadata.labels"), values against
 * field[key] ("metadata.labels[app]").
 */
void api_validate_labels(struct api_ferrs *l, const char *field, const cJSON *labels);
/* annotations: keys are qualified names (case-insensitive), total size at most 256 KiB. */
void api_validate_annotations(struct api_ferrs *l, const char *field, const cJSON *annotations);

/*
 * metadata of an object being created or updated: name (or generateName)
 * by rule, namespace required for a namespaced kind (a DNS-1123 label) and
 * forbidden otherwise, labels, annotations. A missing name with a
 * generateName is fine (the server generates the name).
 */
void api_validate_object_meta(struct api_ferrs *l, const cJSON *meta, bool namespaced, enum api_name_rule rule);

/*
 * The name for a generateName base: base cut to leave room for the suffix
 * (at most 63 - 5 characters kept) and 5 characters drawn from rnd in
 * Kubernetes' alphabet (no vowels, no confusable digits), e.g. "web-" ->
 * "web-x7k2q". rnd is the caller's randomness, so this stays a pure
 * function. Returns 0 with *out owned by the caller, or -ENOMEM.
 */
int api_generate_name(const char *base, uint64_t rnd, char **out);

#endif
