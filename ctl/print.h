/* print.h: kubectl's output shapes: aligned tables, AGE strings, indented JSON, -o name. */
#ifndef MC_PRINT_H
#define MC_PRINT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

/*
 * Rows of cells aligned as kubectl's tabwriter does: each column as wide as
 * its widest cell plus 3 spaces (at least 6), the last column unpadded.
 * Widths are remembered across flushes, so rows printed later (get -w) line
 * up with the header printed first.
 */
struct mc_table {
	size_t ncols;
	char **cells;   /* nrows * ncols owned strings */
	size_t nrows, caprows;
	size_t *widths; /* ncols */
};

/* Returns 0 or -ENOMEM. */
int mc_table_init(struct mc_table *t, size_t ncols);
void mc_table_close(struct mc_table *t);
/* Adds a row of ncols cells (copied; NULL prints as ""). Returns 0 or -ENOMEM. */
int mc_table_add(struct mc_table *t, const char *const *cells);
/* Appends the rows added since the last flush to out and forgets them. Returns 0 or -ENOMEM. */
int mc_table_flush(struct mc_table *t, struct cm_buf *out);

/* Kubernetes' HumanDuration of a span in seconds: "45s", "3m20s", "5h", "12d", "3y". */
void mc_age_format(int64_t seconds, char *out, size_t n);
/* The age of an object's metadata.creationTimestamp at now_ms, or "<unknown>". */
void mc_age_of(const cJSON *obj, int64_t now_ms, char *out, size_t n);

/*
 * Appends j as kubectl -o json prints it: keys sorted, 4-space indentation,
 * Go's escaping of <, > and &. Returns 0 or -ENOMEM.
 */
int mc_json_pretty(const cJSON *j, struct cm_buf *out);

/* As mc_json_pretty without indentation or final newline: Go's json.Marshal of a map. */
int mc_json_compact(const cJSON *j, struct cm_buf *out);

/*
 * Aligns tab-separated cells as Go's text/tabwriter with kubectl describe's
 * settings (padding 2): a column is as wide as the widest of its cells in
 * the run of consecutive lines that have it; the last cell of a line is not
 * padded. Appends the result to out. Returns 0 or -ENOMEM.
 */
int mc_tabwrite(const char *text, struct cm_buf *out);

/* "app=web,tier=fe" from metadata.labels, or "<none>". */
int mc_labels_string(const cJSON *obj, struct cm_buf *out);

#endif
