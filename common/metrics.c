/* metrics.c: the metrics registry (hashed series lookups) and its Prometheus text rendering. */
#include "common/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum metric_type { COUNTER, GAUGE, HISTOGRAM };

static const char *const type_names[] = {"counter", "gauge", "histogram"};

/* The metrics sharing a name: HELP and TYPE are written once for them. */
struct family {
	char *name;
	char *help;
	enum metric_type type;
	struct cm_metric *first, *last; /* series in creation order, for stable output */
};

struct cm_metric {
	struct family *fam;
	char *labels;		/* "" when there are none */
	struct cm_metric *sibling; /* next series of the family */
	struct cm_metric *chain;   /* next in the hash bucket */
	double value;		/* counter, gauge */
	double *bounds;		/* histogram: upper bounds, ascending */
	uint64_t *counts;	/* histogram: per bucket, not cumulative */
	size_t nbuckets;
	uint64_t count;
	double sum;
};

/* A fixed table is plenty: daemons keep tens to hundreds of series. */
#define NHASH 256

struct cm_metrics {
	struct family **fams;
	size_t nfams, capfams;
	struct cm_metric *hash[NHASH];
};

static const double default_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
					 0.1,	 0.25,	0.5,	1,     2.5,  5,	    10};

int cm_metrics_new(struct cm_metrics **out)
{
	struct cm_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	*out = m;
	return 0;
}

static void metric_free(struct cm_metric *s)
{
	free(s->labels);
	free(s->bounds);
	free(s->counts);
	free(s);
}

void cm_metrics_free(struct cm_metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nfams; i++) {
		struct family *f = m->fams[i];
		for (struct cm_metric *s = f->first, *next; s; s = next) {
			next = s->sibling;
			metric_free(s);
		}
		free(f->name);
		free(f->help);
		free(f);
	}
	free(m->fams);
	free(m);
}

/* FNV-1a over name, a separator, then labels. */
static size_t series_hash(const char *name, const char *labels)
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (const char *p = labels; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % NHASH;
}

static struct family *family_find(struct cm_metrics *m, const char *name)
{
	for (size_t i = 0; i < m->nfams; i++)
		if (strcmp(m->fams[i]->name, name) == 0)
			return m->fams[i];
	return NULL;
}

static struct family *family_add(struct cm_metrics *m, const char *name, const char *help,
				 enum metric_type type)
{
	struct family *f;

	if (m->nfams == m->capfams) {
		size_t cap = m->capfams ? m->capfams * 2 : 16;
		struct family **fams = realloc(m->fams, cap * sizeof(*fams));
		if (!fams)
			return NULL;
		m->fams = fams;
		m->capfams = cap;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->name = strdup(name);
	f->help = strdup(help ? help : "");
	if (!f->name || !f->help) {
		free(f->name);
		free(f->help);
		free(f);
		return NULL;
	}
	f->type = type;
	m->fams[m->nfams++] = f;
	return f;
}

/* Finds or creates name{labels} of the given type; see metrics.h. */
static struct cm_metric *lookup(struct cm_metrics *m, const char *name, const char *help,
				const char *labels, enum metric_type type,
				const double *buckets, size_t nbuckets)
{
	size_t h;
	struct cm_metric *s;
	struct family *f;

	if (!m || !name)
		return NULL;
	if (!labels)
		labels = "";
	h = series_hash(name, labels);
	for (s = m->hash[h]; s; s = s->chain)
		if (strcmp(s->fam->name, name) == 0 && strcmp(s->labels, labels) == 0)
			return s->fam->type == type ? s : NULL;
	f = family_find(m, name);
	if (f && f->type != type)
		return NULL;
	if (type == HISTOGRAM) {
		if (!buckets) {
			buckets = default_buckets;
			nbuckets = sizeof(default_buckets) / sizeof(default_buckets[0]);
		}
		for (size_t i = 1; i < nbuckets; i++)
			if (!(buckets[i] > buckets[i - 1]))
				return NULL; /* bounds must ascend */
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->labels = strdup(labels);
	if (!s->labels)
		goto fail;
	if (type == HISTOGRAM) {
		s->nbuckets = nbuckets;
		s->bounds = malloc((nbuckets ? nbuckets : 1) * sizeof(*s->bounds));
		s->counts = calloc(nbuckets ? nbuckets : 1, sizeof(*s->counts));
		if (!s->bounds || !s->counts)
			goto fail;
		if (nbuckets)
			memcpy(s->bounds, buckets, nbuckets * sizeof(*buckets));
	}
	if (!f) {
		f = family_add(m, name, help, type);
		if (!f)
			goto fail;
	}
	s->fam = f;
	if (f->last)
		f->last->sibling = s;
	else
		f->first = s;
	f->last = s;
	s->chain = m->hash[h];
	m->hash[h] = s;
	return s;
fail:
	metric_free(s);
	return NULL;
}

struct cm_metric *cm_metrics_counter(struct cm_metrics *m, const char *name, const char *help,
				     const char *labels)
{
	return lookup(m, name, help, labels, COUNTER, NULL, 0);
}

struct cm_metric *cm_metrics_gauge(struct cm_metrics *m, const char *name, const char *help,
				   const char *labels)
{
	return lookup(m, name, help, labels, GAUGE, NULL, 0);
}

struct cm_metric *cm_metrics_histogram(struct cm_metrics *m, const char *name, const char *help,
				       const char *labels, const double *buckets, size_t nbuckets)
{
	return lookup(m, name, help, labels, HISTOGRAM, buckets, nbuckets);
}

void cm_metric_inc(struct cm_metric *c)
{
	cm_metric_add(c, 1);
}

void cm_metric_add(struct cm_metric *c, double v)
{
	if (!c || c->fam->type == HISTOGRAM)
		return;
	/* A counter only goes up; Prometheus reads a decrease as a restart. */
	if (c->fam->type == COUNTER && !(v >= 0))
		return;
	c->value += v;
}

void cm_metric_set(struct cm_metric *g, double v)
{
	if (g && g->fam->type == GAUGE)
		g->value = v;
}

void cm_metric_observe(struct cm_metric *h, double v)
{
	size_t i;

	if (!h || h->fam->type != HISTOGRAM)
		return;
	for (i = 0; i < h->nbuckets; i++)
		if (v <= h->bounds[i]) {
			h->counts[i]++;
			break;
		}
	h->count++;
	h->sum += v;
}

double cm_metric_value(const struct cm_metric *c)
{
	if (!c)
		return 0;
	return c->fam->type == HISTOGRAM ? (double)c->count : c->value;
}

/* Appends v as Prometheus writes numbers: shortest round-trip form, +Inf, -Inf, NaN. */
static int put_number(struct cm_buf *out, double v)
{
	char s[32];

	if (isnan(v))
		return cm_buf_puts(out, "NaN");
	if (isinf(v))
		return cm_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
	snprintf(s, sizeof(s), "%.15g", v);
	if (strtod(s, NULL) != v)
		snprintf(s, sizeof(s), "%.17g", v);
	return cm_buf_puts(out, s);
}

/* HELP text escapes backslash and newline (format 0.0.4). */
static int put_help(struct cm_buf *out, const char *help)
{
	int rc = 0;

	for (const char *p = help; *p; p++) {
		if (*p == '\\')
			rc |= cm_buf_puts(out, "\\\\");
		else if (*p == '\n')
			rc |= cm_buf_puts(out, "\\n");
		else
			rc |= cm_buf_putc(out, *p);
	}
	return rc;
}

static int render_histogram(const struct cm_metric *s, struct cm_buf *out)
{
	const char *name = s->fam->name, *sep = *s->labels ? "," : "";
	uint64_t cum = 0;
	int rc = 0;

	for (size_t i = 0; i < s->nbuckets; i++) {
		cum += s->counts[i];
		rc |= cm_buf_printf(out, "%s_bucket{%s%sle=\"", name, s->labels, sep);
		rc |= put_number(out, s->bounds[i]);
		rc |= cm_buf_printf(out, "\"} %llu\n", (unsigned long long)cum);
	}
	rc |= cm_buf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, s->labels, sep,
		      (unsigned long long)s->count);
	if (*s->labels)
		rc |= cm_buf_printf(out, "%s_sum{%s} ", name, s->labels);
	else
		rc |= cm_buf_printf(out, "%s_sum ", name);
	rc |= put_number(out, s->sum);
	if (*s->labels)
		rc |= cm_buf_printf(out, "\n%s_count{%s} %llu\n", name, s->labels,
			      (unsigned long long)s->count);
	else
		rc |= cm_buf_printf(out, "\n%s_count %llu\n", name, (unsigned long long)s->count);
	return rc;
}

int cm_metrics_render(const struct cm_metrics *m, struct cm_buf *out)
{
	int rc = cm_buf_reserve(out, 0);

	if (rc)
		return rc;
	for (size_t i = 0; i < m->nfams; i++) {
		const struct family *f = m->fams[i];
		rc |= cm_buf_printf(out, "# HELP %s ", f->name);
		rc |= put_help(out, f->help);
		rc |= cm_buf_printf(out, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
		for (const struct cm_metric *s = f->first; s; s = s->sibling) {
			if (f->type == HISTOGRAM) {
				rc |= render_histogram(s, out);
				continue;
			}
			if (*s->labels)
				rc |= cm_buf_printf(out, "%s{%s} ", f->name, s->labels);
			else
				rc |= cm_buf_printf(out, "%s ", f->name);
			rc |= put_number(out, s->value);
			rc |= cm_buf_putc(out, '\n');
		}
	}
	/* Every append fails only with -ENOMEM: one error covers them all. */
	return rc ? -ENOMEM : 0;
}
