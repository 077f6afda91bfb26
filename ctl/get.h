/* get.h: the parts of minictl get that watch and other verbs share: options, the table printer, object output. */
#ifndef MC_GET_H
#define MC_GET_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "ctl/args.h"
#include "ctl/client.h"
#include "ctl/print.h"
#include "ctl/target.h"

struct mc_get_opts {
	const char *output, *selector, *field_selector, *sort_by;
	bool all_ns, show_labels, watch, watch_only, no_headers, ignore_not_found, show_kind, recursive, wide;
	bool show_managed_fields; /* keep metadata.managedFields in -o json|yaml */
	long chunk_size;
	struct mc_strv label_columns, files;
};

#define MC_GET_MAXCOLS 24

/* Prints Table rows: picks the columns once (from the first Table), then adds rows to t. */
struct mc_get_printer {
	bool wide, all_ns, show_labels, no_headers, ready;
	struct mc_strv label_columns; /* borrowed */
	int cols[MC_GET_MAXCOLS];     /* indexes of the shown columns */
	size_t ncols, rows;
	struct mc_table t;
};

/* The Accept header asking for a meta.k8s.io Table. */
extern const char mc_table_accept[];

/* Appends "?labelSelector=..&fieldSelector=..[&extra]" for o. Returns 0 or -ENOMEM. */
int mc_get_query(const struct mc_get_opts *o, const char *extra, struct cm_buf *out);
/* Chooses columns from table's definitions and adds the header row (once). Returns 0 or -ENOMEM. */
int mc_table_setup(struct mc_get_printer *p, const cJSON *table);
/* Adds table's rows to p (prefix "pod" makes names "pod/x"). Returns 0 or -ENOMEM. */
int mc_table_add_rows(struct mc_get_printer *p, const cJSON *table, const char *prefix);
/* Appends a target's objects (plain JSON) to arr. Returns 0, -ENOENT (404 with ignore_not_found), or MC_FAIL (printed). */
int mc_get_objects(struct mc_ctx *c, const struct mc_get_opts *o, const struct mc_target *t, cJSON *arr);
/* Sorts an array of objects by a JSONPath field. Returns 0 or -ENOMEM. */
int mc_sort_objects(cJSON *arr, const char *expr);
/*
 * Prints items per o->output (json, yaml, name, jsonpath=, custom-columns=); single prints the one object, not a List.
 * json and yaml drop each item's metadata.managedFields (from items) unless o->show_managed_fields, as kubectl.
 */
int mc_print_objects(struct mc_ctx *c, const struct mc_get_opts *o, cJSON *items, bool single);
/* get -w: list, then watch and print each change, re-watching through timeouts and restarts. Returns only on error. */
int mc_get_watch(struct mc_ctx *c, const struct mc_get_opts *o, const struct mc_targets *ts);

#endif
