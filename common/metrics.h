/* metrics.h: a Prometheus text-format registry of counters, gauges and histograms. */
#ifndef CM_METRICS_H
#define CM_METRICS_H

#include <stddef.h>

#include "common/buf.h"

struct cm_metrics;
struct cm_metric;

/* Returns 0 with a new empty registry, or -ENOMEM. */
int cm_metrics_new(struct cm_metrics **out);
/* Frees the registry and every metric in it; NULL does nothing. */
void cm_metrics_free(struct cm_metrics *m);

/*
 * Finds or creates the series name{labels}. labels is NULL or the inside of
 * the braces, already quoted: "verb=\"GET\",resource=\"pods\"". The registry
 * owns the series; the pointer stays valid until cm_metrics_free. NULL on
 * -ENOMEM or if name was registered with another type.
 */
struct cm_metric *cm_metrics_counter(struct cm_metrics *m, const char *name, const char *help,
				     const char *labels);
struct cm_metric *cm_metrics_gauge(struct cm_metrics *m, const char *name, const char *help,
				   const char *labels);
/*
 * Buckets (upper bounds, strictly ascending, else NULL) are copied; NULL means
 * the default latency buckets in seconds, 0.0005 to 10. A series found again
 * keeps the buckets it was made with.
 */
struct cm_metric *cm_metrics_histogram(struct cm_metrics *m, const char *name, const char *help,
				       const char *labels, const double *buckets, size_t nbuckets);

/*
 * Each accepts NULL (a series that failed to register), so callers need not
 * check. An operation that does not fit the type is ignored (set on a counter,
 * observe on a gauge), as is a negative add to a counter. cm_metric_value
 * returns a counter's or gauge's value, a histogram's observation count.
 * Not thread-safe: a registry belongs to one loop.
 */
void cm_metric_inc(struct cm_metric *c);
void cm_metric_add(struct cm_metric *c, double v);
void cm_metric_set(struct cm_metric *g, double v);
void cm_metric_observe(struct cm_metric *h, double v);
double cm_metric_value(const struct cm_metric *c);

/* Appends the exposition text (version 0.0.4). Returns 0 or -ENOMEM. */
int cm_metrics_render(const struct cm_metrics *m, struct cm_buf *out);

#endif
