/* manifest.h: reading the objects of -f FILE|DIR|- (YAML or JSON, many documents, -R), flattening Lists. */
#ifndef MC_MANIFEST_H
#define MC_MANIFEST_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "ctl/args.h"
#include "ctl/client.h"

/*
 * Reads every file named in files ("-" is stdin; a directory contributes its
 * .yaml, .yml and .json files, recursively when recursive) and appends each
 * object to *out (a JSON array the caller owns; made when *out is NULL).
 * A kind: List document contributes its items. Returns 0, or MC_FAIL after
 * printing kubectl's error (a missing file: "error: the path \"x\" does not
 * exist"; a YAML error with file, line and column; an object without kind).
 */
int mc_manifest_load(struct mc_ctx *c, const struct mc_strv *files, bool recursive, cJSON **out);

#endif
