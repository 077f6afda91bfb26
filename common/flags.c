/* flags.c: the command-line flag parser and its generated --help text. */
#include "common/flags.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timeutil.h"

void cm_strlist_close(struct cm_strlist *l)
{
	if (l->cap) {
		for (size_t i = 0; i < l->n; i++)
			free((char *)l->items[i]);
		free(l->items);
	}
	l->items = NULL;
	l->n = 0;
	l->cap = 0;
}

/* Appends a copy of s[0..len) to l, which must own its storage (or be empty). */
static int strlist_push(struct cm_strlist *l, const char *s, size_t len)
{
	char *copy;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		const char **items = realloc(l->items, cap * sizeof(*items));
		if (!items)
			return -ENOMEM;
		l->items = items;
		l->cap = cap;
	}
	copy = strndup(s, len);
	if (!copy)
		return -ENOMEM;
	l->items[l->n++] = copy;
	return 0;
}

static const char *type_word(enum cm_flag_type t)
{
	switch (t) {
	case CM_FLAG_STRING:
		return "string";
	case CM_FLAG_INT:
		return "int";
	case CM_FLAG_INT64:
		return "int";
	case CM_FLAG_DURATION:
		return "duration";
	case CM_FLAG_BOOL:
		return "";
	case CM_FLAG_LIST:
		return "list";
	}
	return "";
}

/* Go's strconv.ParseBool spellings. Returns 0 or -1. */
static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
	static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};

	for (size_t i = 0; i < 6; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* A whole decimal integer in [min, max]. Returns 0 or -1. */
static int parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!*s || !(*s == '-' || *s == '+' || (*s >= '0' && *s <= '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Writes ms the way a person would type it: "0s", "250ms", "1.5s", "1m30s", "2h". */
static int format_duration(int64_t ms, struct cm_buf *out)
{
	int64_t h, m, s, rest;
	int rc = 0;

	if (ms == 0)
		return cm_buf_puts(out, "0s");
	if (ms < 0) {
		rc |= cm_buf_putc(out, '-');
		ms = ms == INT64_MIN ? INT64_MAX : -ms;
	}
	if (ms < 1000)
		return rc | cm_buf_printf(out, "%" PRId64 "ms", ms);
	h = ms / 3600000;
	m = ms / 60000 % 60;
	s = ms / 1000 % 60;
	rest = ms % 1000;
	if (h)
		rc |= cm_buf_printf(out, "%" PRId64 "h", h);
	if (m)
		rc |= cm_buf_printf(out, "%" PRId64 "m", m);
	if (rest) {
		char frac[8];
		int n = snprintf(frac, sizeof(frac), "%03d", (int)rest);
		while (n > 0 && frac[n - 1] == '0')
			frac[--n] = '\0';
		rc |= cm_buf_printf(out, "%" PRId64 ".%ss", s, frac);
	} else if (s) {
		rc |= cm_buf_printf(out, "%" PRId64 "s", s);
	}
	return rc;
}

/* Appends " (default X)" for a flag whose default is worth showing. */
static int put_default(const struct cm_flag *f, struct cm_buf *out)
{
	int rc = 0;

	switch (f->type) {
	case CM_FLAG_STRING: {
		const char *s = *(const char **)f->dest;
		if (s && *s)
			rc = cm_buf_printf(out, " (default \"%s\")", s);
		break;
	}
	case CM_FLAG_INT:
		rc = cm_buf_printf(out, " (default %d)", *(int *)f->dest);
		break;
	case CM_FLAG_INT64:
		rc = cm_buf_printf(out, " (default %" PRId64 ")", *(int64_t *)f->dest);
		break;
	case CM_FLAG_DURATION:
		rc |= cm_buf_puts(out, " (default ");
		rc |= format_duration(*(int64_t *)f->dest, out);
		rc |= cm_buf_putc(out, ')');
		break;
	case CM_FLAG_BOOL:
		if (*(bool *)f->dest)
			rc = cm_buf_puts(out, " (default true)");
		break;
	case CM_FLAG_LIST: {
		const struct cm_strlist *l = f->dest;
		if (!l->n)
			break;
		rc |= cm_buf_puts(out, " (default \"");
		for (size_t i = 0; i < l->n; i++)
			rc |= cm_buf_printf(out, "%s%s", i ? "," : "", l->items[i]);
		rc |= cm_buf_puts(out, "\")");
		break;
	}
	}
	return rc;
}

/* The width of "--name type" in the usage text. */
static size_t name_width(const struct cm_flag *f)
{
	const char *t = type_word(f->type);

	return 2 + strlen(f->name) + (*t ? 1 + strlen(t) : 0);
}

int cm_flags_usage(const struct cm_flag *flags, size_t n, const char *synopsis,
		   struct cm_buf *out)
{
	size_t width = strlen("-h, --help");
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		size_t w = name_width(&flags[i]);
		if (w > width)
			width = w;
	}
	rc |= cm_buf_printf(out, "usage: %s\n\nflags:\n", synopsis ? synopsis : "[flags]");
	for (size_t i = 0; i < n; i++) {
		const struct cm_flag *f = &flags[i];
		const char *t = type_word(f->type);
		int w = (int)name_width(f);
		rc |= cm_buf_printf(out, "  --%s%s%s%*s  %s", f->name, *t ? " " : "", t,
			      (int)width - w, "", f->help ? f->help : "");
		rc |= put_default(f, out);
		rc |= cm_buf_putc(out, '\n');
	}
	rc |= cm_buf_printf(out, "  %-*s  show this help\n", (int)width, "-h, --help");
	/* Every append above fails only with -ENOMEM: one error covers them. */
	return rc ? -ENOMEM : 0;
}

static const struct cm_flag *find(const struct cm_flag *flags, size_t n, const char *name,
				  size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
			return &flags[i];
	return NULL;
}

/* Stores value into f's destination. Returns 0, -EINVAL (message in err), or -ENOMEM. */
static int set_value(const struct cm_flag *f, const char *value, bool first_use,
		     struct cm_buf *err)
{
	const char *expected = NULL;
	long long v;

	switch (f->type) {
	case CM_FLAG_STRING:
		*(const char **)f->dest = value;
		return 0;
	case CM_FLAG_INT:
		if (parse_int(value, INT_MIN, INT_MAX, &v) == 0) {
			*(int *)f->dest = (int)v;
			return 0;
		}
		expected = "an integer";
		break;
	case CM_FLAG_INT64:
		if (parse_int(value, LLONG_MIN, LLONG_MAX, &v) == 0) {
			*(int64_t *)f->dest = v;
			return 0;
		}
		expected = "an integer";
		break;
	case CM_FLAG_DURATION:
		if (cm_duration_parse(value, (int64_t *)f->dest) == 0)
			return 0;
		expected = "a duration such as 5s, 100ms or 1m30s";
		break;
	case CM_FLAG_BOOL:
		if (parse_bool(value, (bool *)f->dest) == 0)
			return 0;
		expected = "true or false";
		break;
	case CM_FLAG_LIST: {
		struct cm_strlist *l = f->dest;
		const char *p = value;
		/* The first use replaces the default; later uses add to it. */
		if (first_use)
			cm_strlist_close(l);
		while (*p) {
			size_t len = strcspn(p, ",");
			if (len && strlist_push(l, p, len))
				return -ENOMEM;
			p += len;
			if (*p == ',')
				p++;
		}
		return 0;
	}
	}
	cm_buf_printf(err, "invalid value \"%s\" for flag --%s: expected %s", value, f->name,
		      expected);
	return -EINVAL;
}

int cm_flags_parse(const struct cm_flag *flags, size_t n, int argc, char **argv,
		   int *nargs, struct cm_buf *err)
{
	bool *used = calloc(n ? n : 1, sizeof(*used));
	int w = 1, rc = 0, i;

	if (!used)
		return -ENOMEM;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *value;
		const struct cm_flag *f;
		size_t len;

		if (strcmp(a, "--") == 0) {
			for (i++; i < argc; i++)
				argv[w++] = argv[i];
			break;
		}
		if (a[0] != '-' || a[1] == '\0') { /* "-" alone is an argument (stdin) */
			argv[w++] = argv[i];
			continue;
		}
		name = a + (a[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if ((len == 4 && strncmp(name, "help", 4) == 0) ||
		    (len == 1 && name[0] == 'h')) {
			cm_buf_reset(err);
			rc = cm_flags_usage(flags, n, argv[0], err);
			rc = rc ? rc : 1;
			goto out;
		}
		f = find(flags, n, name, len);
		if (!f) {
			cm_buf_printf(err, "unknown flag: --%.*s", (int)len, name);
			rc = -EINVAL;
			goto out;
		}
		if (eq) {
			value = eq + 1;
		} else if (f->type == CM_FLAG_BOOL) {
			value = "true"; /* a bool never takes the next argument */
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			cm_buf_printf(err, "flag needs an argument: --%s", f->name);
			rc = -EINVAL;
			goto out;
		}
		rc = set_value(f, value, !used[f - flags], err);
		if (rc)
			goto out;
		used[f - flags] = true;
	}
	*nargs = w - 1;
out:
	free(used);
	return rc;
}

void cm_flags_parse_or_exit(const struct cm_flag *flags, size_t n, const char *synopsis,
			    int argc, char **argv, int *nargs)
{
	struct cm_buf msg = CM_BUF_INIT;
	int rc = cm_flags_parse(flags, n, argc, argv, nargs, &msg);

	if (rc == 1) {
		cm_buf_reset(&msg);
		cm_flags_usage(flags, n, synopsis ? synopsis : argv[0], &msg);
		fputs(msg.data ? msg.data : "", stdout);
		cm_buf_close(&msg);
		exit(0);
	}
	if (rc < 0) {
		fprintf(stderr, "%s: %s\nsee %s --help\n", argv[0],
			msg.data ? msg.data : cm_strerror(rc), argv[0]);
		cm_buf_close(&msg);
		exit(2);
	}
	cm_buf_close(&msg);
}
