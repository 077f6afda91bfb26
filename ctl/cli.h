/* cli.h: minictl's commands: the table of verbs, their help, and the flag parsing every verb shares. */
#ifndef MC_CLI_H
#define MC_CLI_H

#include <stdio.h>

#include "ctl/args.h"
#include "ctl/client.h"

/* A verb: what `minictl --help` lists and `minictl VERB --help` prints. */
struct mc_cmd {
	const char *name;
	const char *group;      /* heading in minictl --help */
	const char *short_help; /* one line */
	const char *long_help;  /* description and examples, as kubectl's */
	const char *usage;      /* "minictl get [flags] TYPE [NAME...]" */
	int (*run)(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
};

/* What mc_cmd_parse says to do next. */
#define MC_GO 0   /* run the command */
#define MC_STOP 2 /* help was printed: exit 0 */

/*
 * Parses a verb's arguments against its flags and the global ones, then
 * resolves the connection (kubeconfig). On -h/--help prints the verb's help
 * and returns MC_STOP; on a bad flag prints kubectl's "error: ... See
 * 'minictl get --help' for usage." and returns MC_FAIL; otherwise MC_GO with
 * the positional arguments in pos and those after "--" in dash (borrowed
 * from argv; close both lists).
 */
int mc_cmd_parse(struct mc_ctx *c, const struct mc_cmd *cmd, const struct mc_flag *flags, size_t n, int argc,
		 char **argv, struct mc_strv *pos, struct mc_strv *dash);
/* Prints "error: msg\nSee 'minictl VERB --help' for usage." and returns MC_FAIL. */
int mc_usage_error(struct mc_ctx *c, const struct mc_cmd *cmd, const char *msg);

/* The verb named name, or NULL. */
const struct mc_cmd *mc_cmd_find(const char *name);
/* The i-th verb, NULL past the end (completion lists them). */
const struct mc_cmd *mc_cmd_at(int i);

/*
 * Runs minictl: argv[0] is the program, then global flags and a verb in any
 * order. Output goes to out and err. Returns the exit status.
 */
int mc_main(int argc, char **argv, FILE *out, FILE *err);

/* The verbs, one run function each (ctl/cmd_*.c). */
int mc_run_get(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_describe(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_apply(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_create(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_replace(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_delete(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_run(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_expose(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_scale(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_set(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_label(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_annotate(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_rollout(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_logs(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_exec(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv); /* cmd_exec.c */
int mc_run_cordon(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_drain(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_wait(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_cluster_info(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_api_resources(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_version(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_config(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_completion(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_edit(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_top(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_options(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv);
int mc_run_auth(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv); /* cmd_auth.c */

#endif
