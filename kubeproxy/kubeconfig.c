/* kubeconfig.c: a libyaml event walk that finds the clusters' server URLs, and the current context's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "kubeproxy/kubeconfig.h"

/*
 * A kubeconfig is small and its shape fixed, so the walk keeps only the last
 * mapping key at each depth: enough to tell clusters[].name from
 * clusters[].cluster.server, contexts[].context.cluster and current-context.
 */
#define MAX_DEPTH 16

struct cluster {
	char *name, *server;
};

struct walk {
	char *keys[MAX_DEPTH];
	int is_key[MAX_DEPTH]; /* in a mapping: the next scalar is a key */
	int depth;
	char *current_context;
	char *ctx_name, *ctx_cluster; /* the context being read */
	char *want_cluster;           /* the current context's cluster */
	struct cluster cl[32];
	int ncl;
};


static int strlist_add(struct cm_strlist *l, const char *s)
{
	char *c = strdup(s);

	if (!c)
		return -ENOMEM;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		const char **items = malloc(cap * sizeof(*items));
		if (!items) {
			free(c);
			return -ENOMEM;
		}
		for (size_t i = 0; i < l->n; i++)
			items[i] = l->cap ? l->items[i] : strdup(l->items[i]);
		if (l->cap)
			free(l->items);
		l->items = items;
		l->cap = cap;
	}
	l->items[l->n++] = c;
	return 0;
}

static void set(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
}

static const char *key_at(struct walk *w, int d)
{
	return d >= 1 && d <= w->depth ? w->keys[d - 1] : NULL;
}

static bool key_is(struct walk *w, int d, const char *k)
{
	const char *x = key_at(w, d);
	return x && !strcmp(x, k);
}

/* A scalar value under the current key path. */
static void on_value(struct walk *w, const char *v)
{
	int d = w->depth;

	if (d == 1 && key_is(w, 1, "current-context"))
		set(&w->current_context, v);
	/* clusters: [ {name: X, cluster: {server: U}} ]: depth 1 clusters, 2 list item, 3 cluster */
	if (key_is(w, 1, "clusters") && w->ncl > 0) {
		struct cluster *c = &w->cl[w->ncl - 1];
		if (d == 2 && key_is(w, 2, "name"))
			set(&c->name, v);
		if (d == 3 && key_is(w, 2, "cluster") && key_is(w, 3, "server"))
			set(&c->server, v);
	}
	if (key_is(w, 1, "contexts")) {
		if (d == 2 && key_is(w, 2, "name"))
			set(&w->ctx_name, v);
		if (d == 3 && key_is(w, 2, "context") && key_is(w, 3, "cluster"))
			set(&w->ctx_cluster, v);
	}
}

static void context_done(struct walk *w)
{
	if (w->ctx_name && w->ctx_cluster && w->current_context &&
	    !strcmp(w->ctx_name, w->current_context))
		set(&w->want_cluster, w->ctx_cluster);
}

int kp_kubeconfig_servers(const char *path, struct cm_strlist *out, struct cm_buf *err)
{
	/* Contexts may come before current-context: remember them all by a second pass. */
	struct walk w;
	yaml_parser_t parser;
	yaml_event_t ev;
	FILE *f = fopen(path, "rb");
	int rc = 0, done = 0;
	char *ctx_pairs[64][2];
	int nctx = 0;

	if (!f)
		return -errno;
	memset(&w, 0, sizeof(w));
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = cm_buf_invalid(err, "%s: %s at line %zu", path,
					    parser.problem ? parser.problem : "bad YAML",
					    parser.problem_mark.line + 1);
			break;
		}
		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
			if (w.depth == 1 && key_is(&w, 1, "clusters") && w.ncl < 32)
				w.ncl++;
			if (w.depth < MAX_DEPTH) {
				w.depth++;
				w.is_key[w.depth - 1] = 1;
			}
			break;
		case YAML_MAPPING_END_EVENT:
			if (w.depth == 2 && key_is(&w, 1, "contexts") && nctx < 64) {
				ctx_pairs[nctx][0] = w.ctx_name;
				ctx_pairs[nctx][1] = w.ctx_cluster;
				nctx++;
				w.ctx_name = w.ctx_cluster = NULL;
			}
			free(w.keys[w.depth - 1]);
			w.keys[w.depth - 1] = NULL;
			w.depth--;
			if (w.depth > 0)
				w.is_key[w.depth - 1] = 1;
			break;
		case YAML_SEQUENCE_END_EVENT:
			if (w.depth > 0)
				w.is_key[w.depth - 1] = 1;
			break;
		case YAML_SCALAR_EVENT:
			if (w.depth > 0 && w.is_key[w.depth - 1]) {
				set(&w.keys[w.depth - 1], (const char *)ev.data.scalar.value);
				w.is_key[w.depth - 1] = 0;
			} else {
				on_value(&w, (const char *)ev.data.scalar.value);
				if (w.depth > 0)
					w.is_key[w.depth - 1] = 1;
			}
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	for (int i = 0; i < nctx; i++) {
		w.ctx_name = ctx_pairs[i][0];
		w.ctx_cluster = ctx_pairs[i][1];
		if (rc == 0)
			context_done(&w);
		free(w.ctx_name);
		free(w.ctx_cluster);
	}
	w.ctx_name = w.ctx_cluster = NULL;
	for (int i = 0; i < w.ncl && rc == 0; i++) {
		if (!w.cl[i].server)
			continue;
		if (w.want_cluster && (!w.cl[i].name || strcmp(w.cl[i].name, w.want_cluster)))
			continue;
		rc = strlist_add(out, w.cl[i].server);
	}
	if (rc == 0 && out->n == 0)
		rc = -ENOENT;
	for (int i = 0; i < w.ncl; i++) {
		free(w.cl[i].name);
		free(w.cl[i].server);
	}
	for (int i = 0; i < MAX_DEPTH; i++)
		free(w.keys[i]);
	free(w.current_context);
	free(w.want_cluster);
	return rc;
}
