/* yaml.h: YAML to JSON as Kubernetes reads manifests (libyaml + YAML 1.1 scalars), and JSON to YAML as kubectl prints it. */
#ifndef CM_YAML_H
#define CM_YAML_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

/*
 * Parses every document of text[0..len) into a JSON array owned by the
 * caller (*out), skipping empty documents (a lone "---" or comments only).
 * Plain scalars resolve as go-yaml v2 does (what kubectl and the apiserver
 * use): null ~ "" -> null; yes/no/on/off/true/false/y/n in their three
 * casings -> booleans; integers in decimal, 0x hex, 0o and leading-0 octal,
 * 0b binary; YAML-style floats ("08" unquoted is 8, quoted stays a string);
 * anything else, and every quoted or block scalar, is a string. Anchors,
 * aliases and "<<" merge keys are expanded. Keys that are not strings are
 * written as their text. JSON is YAML, so JSON input works too.
 * name (may be NULL) prefixes error messages: "x.yaml:3:7: mapping values
 * are not allowed in this context" (line and column from 1).
 * Returns 0, -EINVAL with the message in err (when not NULL), or -ENOMEM.
 * *out is unchanged on failure.
 */
int cm_yaml_parse_all(const char *text, size_t len, const char *name, cJSON **out, struct cm_buf *err);
/*
 * As cm_yaml_parse_all, but a key given twice in a map is no error: the
 * later value wins (go-yaml's lenient decoding, as the apiserver reads apply
 * bodies) and dups gets "line N: key \"k\" already set in map" (N the later
 * key's line, as go-yaml's strict decoding words it), NUL-terminated, one
 * per duplicate. dups NULL: as cm_yaml_parse_all.
 */
int cm_yaml_parse_all_dups(const char *text, size_t len, const char *name, cJSON **out, struct cm_buf *err,
			   struct cm_buf *dups);

/*
 * Appends j as block YAML the way kubectl -o yaml prints it: object keys
 * sorted, list items at their parent's indentation, strings quoted only when
 * they would read back as something else, multi-line strings as "|" blocks.
 * Returns 0 or -ENOMEM.
 */
int cm_yaml_emit(const cJSON *j, struct cm_buf *out);

#endif
