/* describe.h: what minictl describe's layouts share: lines of tab-separated cells, maps, times; the Node's layout. */
#ifndef MC_DESCRIBE_H
#define MC_DESCRIBE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "ctl/client.h"

/* Appends one line indented by level (two spaces each); cells are separated by tabs for mc_tabwrite. */
void mc_desc_line(struct cm_buf *b, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A map (labels, annotations) as "title: k=v" then "\tk=v" lines, or "title: <none>". */
void mc_desc_map(struct cm_buf *b, int level, const char *title, const cJSON *m);
/* An RFC 3339 timestamp as kubectl describe prints one (RFC 1123 with a numeric zone), or "<unknown>". */
void mc_desc_time(const char *ts, char *when, size_t n);
/*
 * The Node o as kubectl describe node prints it, with its Lease (from
 * kube-node-lease), its non-terminated pods with their requests and limits,
 * and the resources they take of the node's allocatable; appended to b. Reads
 * what it needs through c; an answer it cannot get is said in the text.
 */
void mc_describe_node(struct mc_ctx *c, struct cm_buf *b, const cJSON *o);

#endif
