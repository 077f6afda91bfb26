/* flags.h: the command-line flag parser every binary uses, with --help generated from the table. */
#ifndef CM_FLAGS_H
#define CM_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"

enum cm_flag_type {
	CM_FLAG_STRING,   /* dest: const char ** (points into argv or keeps its default) */
	CM_FLAG_INT,      /* dest: int * */
	CM_FLAG_INT64,    /* dest: int64_t * */
	CM_FLAG_DURATION, /* dest: int64_t * in milliseconds; "5s", "100ms", "1m" */
	CM_FLAG_BOOL,     /* dest: bool *; "--x", "--x=true|false"; never takes the next argument */
	CM_FLAG_LIST,     /* dest: struct cm_strlist *; comma-separated, repeatable; the
			     first use on the command line replaces the default */
};

/*
 * A list of strings. A default is written as {items, n} (cap 0: the items are
 * borrowed and never freed). Once the parser sets the list it owns copies of
 * the strings and the array (cap > 0); cm_strlist_close frees them and leaves
 * the list empty. Closing a borrowed list only empties it.
 */
struct cm_strlist {
	const char **items;
	size_t n;
	size_t cap;
};
void cm_strlist_close(struct cm_strlist *l);

struct cm_flag {
	const char *name; /* without the dashes: "data-dir" */
	enum cm_flag_type type;
	void *dest; /* holds the default before parsing; --help prints it */
	const char *help;
};

/*
 * Parses argv[1..argc) against flags[0..n). Accepts --name=value, --name value,
 * -name as --name; "--" ends the flags. Arguments that are not flags are left
 * for the caller: they are moved, in order, to argv[1..*nargs] (so argv is
 * reordered). Returns 0; 1 if --help or -h was given (the usage is in err);
 * -EINVAL with a message in err ("unknown flag: --foo",
 * "invalid value \"x\" for flag --port: expected an integer"); or -ENOMEM.
 * On failure the flags before the bad one have been set: lists among them
 * must still be closed (the process normally exits instead).
 */
int cm_flags_parse(const struct cm_flag *flags, size_t n, int argc, char **argv,
		   int *nargs, struct cm_buf *err);
/* Appends the usage text: the synopsis line, then one line per flag with its type, default and help. */
int cm_flags_usage(const struct cm_flag *flags, size_t n, const char *synopsis,
		   struct cm_buf *out);
/*
 * For main(): parses, prints the usage to stdout and exits 0 on --help, prints
 * the error and the hint "see --help" to stderr and exits 2 on a bad flag.
 */
void cm_flags_parse_or_exit(const struct cm_flag *flags, size_t n, const char *synopsis,
			    int argc, char **argv, int *nargs);

#endif
