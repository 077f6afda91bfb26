/* write.h: object writing shared by verbs: create -f, and creating generated objects (run, create deployment, expose). */
#ifndef MC_WRITE_H
#define MC_WRITE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "ctl/cli.h"

/* create -f (and --save-config, --dry-run, -o). Returns 0 or MC_FAIL (printed). */
int mc_create_from_files(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
/* How generated objects are created: what kubectl's generators send and say. */
struct mc_create_opts {
	const char *dry_run;       /* NULL/"none", "client" or "server" */
	const char *output;        /* -o, or NULL for the action line */
	bool save_config;          /* add the last-applied annotation */
	const char *field_manager; /* NULL: "kubectl-create" */
	const char *verb;          /* NULL: "created"; expose says "exposed" */
};

/*
 * POSTs each object of objs as kubectl create does and prints "kind/name
 * <verb>" (or the object per output). Returns 0 or MC_FAIL (printed).
 */
int mc_create_objects(struct mc_ctx *c, cJSON *objs, const struct mc_create_opts *o);

#endif
