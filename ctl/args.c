/* args.c: kubectl-style argument parsing (pflag's rules: --name=v, --name v, -n v, -nv, -ojson, "--"). */
#include "ctl/args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int mc_strv_push(struct mc_strv *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		const char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return 0;
}

void mc_strv_close(struct mc_strv *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static const struct mc_flag *find_long(const struct mc_flag *const *tables, const size_t *ntables, size_t nt,
				       const char *name, size_t len)
{
	for (size_t t = 0; t < nt; t++)
		for (size_t i = 0; i < ntables[t]; i++)
			if (strlen(tables[t][i].name) == len && strncmp(tables[t][i].name, name, len) == 0)
				return &tables[t][i];
	return NULL;
}

static const struct mc_flag *find_short(const struct mc_flag *const *tables, const size_t *ntables, size_t nt, char c)
{
	for (size_t t = 0; t < nt; t++)
		for (size_t i = 0; i < ntables[t]; i++)
			if (tables[t][i].shorthand == c)
				return &tables[t][i];
	return NULL;
}

static int set_value(const struct mc_flag *f, const char *v, struct cm_buf *err)
{
	switch (f->type) {
	case MC_FLAG_STRING:
		*(const char **)f->dest = v;
		return 0;
	case MC_FLAG_BOOL:
		if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "True") ||
		    !strcmp(v, "TRUE")) {
			*(bool *)f->dest = true;
			return 0;
		}
		if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "f") || !strcmp(v, "False") ||
		    !strcmp(v, "FALSE")) {
			*(bool *)f->dest = false;
			return 0;
		}
		break;
	case MC_FLAG_INT: {
		char *end;
		long n;
		errno = 0;
		n = strtol(v, &end, 10);
		if (*v && !*end && !errno) {
			*(long *)f->dest = n;
			return 0;
		}
		break;
	}
	case MC_FLAG_ARRAY:
		return mc_strv_push(f->dest, v);
	}
	return cm_buf_invalid(err, "invalid argument \"%s\" for \"--%s\" flag", v, f->name);
}

int mc_args_parse(const struct mc_flag *const *tables, const size_t *ntables, size_t nt, int argc, char **argv,
		  struct mc_strv *pos, struct mc_strv *dash, struct cm_buf *err)
{
	int rc;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct mc_flag *f;

		if (!strcmp(a, "--")) {
			for (i++; i < argc; i++)
				if ((rc = mc_strv_push(dash, argv[i])))
					return rc;
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return 1;
		if (a[0] == '-' && a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			f = find_long(tables, ntables, nt, name, len);
			if (!f)
				return cm_buf_invalid(err, "unknown flag: --%.*s", (int)len, name);
			if (eq)
				rc = set_value(f, eq + 1, err);
			else if (f->type == MC_FLAG_BOOL)
				rc = set_value(f, "true", err);
			else if (i + 1 < argc)
				rc = set_value(f, argv[++i], err);
			else
				return cm_buf_invalid(err, "flag needs an argument: --%s", f->name);
			if (rc)
				return rc;
		} else if (a[0] == '-' && a[1]) {
			/* A run of one-letter flags: booleans may be grouped (-it), the last may take a value. */
			for (const char *p = a + 1; *p; p++) {
				f = find_short(tables, ntables, nt, *p);
				if (!f)
					return cm_buf_invalid(err, "unknown shorthand flag: '%c' in %s", *p, a);
				if (f->type == MC_FLAG_BOOL) {
					if (p[1] == '=') {
						rc = set_value(f, p + 2, err);
						if (rc)
							return rc;
						break;
					}
					*(bool *)f->dest = true;
					continue;
				}
				if (p[1])
					rc = set_value(f, p[1] == '=' ? p + 2 : p + 1, err);
				else if (i + 1 < argc)
					rc = set_value(f, argv[++i], err);
				else
					return cm_buf_invalid(err, "flag needs an argument: '%c' in %s", *p, a);
				if (rc)
					return rc;
				break;
			}
		} else if ((rc = mc_strv_push(pos, a))) {
			return rc;
		}
	}
	return 0;
}

static int cmp_flags(const void *a, const void *b)
{
	return strcmp((*(const struct mc_flag *const *)a)->name, (*(const struct mc_flag *const *)b)->name);
}

int mc_args_usage(const struct mc_flag *flags, size_t n, struct cm_buf *out)
{
	const struct mc_flag **sorted = malloc((n ? n : 1) * sizeof(*sorted));
	int rc = 0;

	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		sorted[i] = &flags[i];
	qsort(sorted, n, sizeof(*sorted), cmp_flags);
	for (size_t i = 0; i < n && !rc; i++) {
		const struct mc_flag *f = sorted[i];
		const char *def = f->def ? f->def : f->type == MC_FLAG_BOOL ? "false" : f->type == MC_FLAG_ARRAY ? "[]" : "''";
		if (f->shorthand)
			rc = cm_buf_printf(out, "    -%c, --%s=%s:\n\t%s\n\n", f->shorthand, f->name, def, f->help);
		else
			rc = cm_buf_printf(out, "    --%s=%s:\n\t%s\n\n", f->name, def, f->help);
	}
	free(sorted);
	return rc;
}
