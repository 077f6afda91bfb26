/* write.h: object writing shared by verbs: create -f, and creating generated objects (run, create deployment, expose). */
#ifndef MC_WRITE_H
#define MC_WRITE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "ctl/cli.h"

/* create -f (and --save-config, --dry-run, -o). Returns 0 or MC_FAIL (printed). */
int mc_create_from_files(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
/*
 * POSTs each object of objs as kubectl create does and prints "kind/name
 * created" (or the object per output). dry_run: NULL/"none", "client" or
 * "server". Returns 0 or MC_FAIL (printed).
 */
int mc_create_objects(struct mc_ctx *c, cJSON *objs, const char *dry_run, const char *output, bool save_config);

#endif
