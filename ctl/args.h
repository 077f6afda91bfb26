/* args.h: kubectl-style argument parsing: long and one-letter flags, -ojson, "--" for a command line. */
#ifndef MC_ARGS_H
#define MC_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

enum mc_flag_type {
	MC_FLAG_STRING, /* dest: const char ** (points into argv) */
	MC_FLAG_BOOL,   /* dest: bool *; "--x", "--x=false" */
	MC_FLAG_INT,    /* dest: long * */
	MC_FLAG_ARRAY,  /* dest: struct mc_strv *; repeatable, every use appended */
};

/* A growable list of borrowed strings (they point into argv). */
struct mc_strv {
	const char **v;
	size_t n, cap;
};
/* Appends s (borrowed). Returns 0 or -ENOMEM. */
int mc_strv_push(struct mc_strv *l, const char *s);
/* Frees the array (not the strings) and empties the list. */
void mc_strv_close(struct mc_strv *l);

struct mc_flag {
	const char *name;  /* "namespace" */
	char shorthand;    /* 'n', or 0 */
	enum mc_flag_type type;
	void *dest;
	const char *def;   /* the default as --help shows it ("false", "''", "-1") */
	const char *help;
};

/*
 * Parses argv[0..argc) (no program or command name) against the flag tables
 * (searched in order: a command's own flags first, then the global ones).
 * Positional arguments go to pos, those after "--" to dash (both borrowed
 * from argv). Returns 0, 1 if -h/--help was given, -EINVAL with kubectl's
 * message in err ("unknown flag: --foo", "flag needs an argument: 'n' in -n",
 * "invalid argument \"x\" for \"--replicas\" flag"), or -ENOMEM.
 */
int mc_args_parse(const struct mc_flag *const *tables, const size_t *ntables, size_t nt, int argc, char **argv,
		  struct mc_strv *pos, struct mc_strv *dash, struct cm_buf *err);

/* Appends the flags of one table as kubectl prints "Options:" (sorted by name). */
int mc_args_usage(const struct mc_flag *flags, size_t n, struct cm_buf *out);

#endif
