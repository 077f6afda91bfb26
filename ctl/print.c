/* print.c: aligned tables, ages, and JSON indented as Go's encoding/json does. */
#include "ctl/print.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/timeutil.h"

#define PADDING 3
#define MIN_WIDTH 6

int mc_table_init(struct mc_table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->widths = calloc(ncols ? ncols : 1, sizeof(*t->widths));
	return t->widths ? 0 : -ENOMEM;
}

static void drop_rows(struct mc_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	t->nrows = 0;
}

void mc_table_close(struct mc_table *t)
{
	drop_rows(t);
	free(t->cells);
	free(t->widths);
	memset(t, 0, sizeof(*t));
}

/* Display width: counts UTF-8 code points, not bytes. */
static size_t width_of(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

int mc_table_add(struct mc_table *t, const char *const *cells)
{
	if (t->nrows == t->caprows) {
		size_t cap = t->caprows ? t->caprows * 2 : 16;
		char **c = realloc(t->cells, cap * t->ncols * sizeof(*c));
		if (!c)
			return -ENOMEM;
		t->cells = c;
		t->caprows = cap;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		char *copy = strdup(cells[i] ? cells[i] : "");
		size_t w;
		if (!copy) {
			for (size_t j = 0; j < i; j++)
				free(t->cells[t->nrows * t->ncols + j]);
			return -ENOMEM;
		}
		t->cells[t->nrows * t->ncols + i] = copy;
		w = width_of(copy) + PADDING;
		if (w < MIN_WIDTH)
			w = MIN_WIDTH;
		if (w > t->widths[i])
			t->widths[i] = w;
	}
	t->nrows++;
	return 0;
}

int mc_table_flush(struct mc_table *t, struct cm_buf *out)
{
	int rc = 0;

	for (size_t r = 0; r < t->nrows && !rc; r++) {
		for (size_t i = 0; i < t->ncols && !rc; i++) {
			const char *cell = t->cells[r * t->ncols + i];
			rc = cm_buf_puts(out, cell);
			if (i + 1 < t->ncols)
				for (size_t pad = width_of(cell); pad < t->widths[i] && !rc; pad++)
					rc = cm_buf_putc(out, ' ');
		}
		if (!rc)
			rc = cm_buf_putc(out, '\n');
	}
	drop_rows(t);
	return rc;
}

void mc_age_format(int64_t s, char *out, size_t n)
{
	long long h = s / 3600, d = s / 86400;

	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, n, "%llds", (long long)s);
	else if (s < 600)
		s % 60 ? snprintf(out, n, "%lldm%llds", (long long)s / 60, (long long)s % 60)
		       : snprintf(out, n, "%lldm", (long long)s / 60);
	else if (s < 3 * 3600)
		snprintf(out, n, "%lldm", (long long)s / 60);
	else if (s < 8 * 3600)
		(s / 60) % 60 ? snprintf(out, n, "%lldh%lldm", h, (long long)(s / 60) % 60) : snprintf(out, n, "%lldh", h);
	else if (s < 48 * 3600)
		snprintf(out, n, "%lldh", h);
	else if (s < 8 * 86400)
		h % 24 ? snprintf(out, n, "%lldd%lldh", d, h % 24) : snprintf(out, n, "%lldd", d);
	else if (s < 2LL * 365 * 86400)
		snprintf(out, n, "%lldd", d);
	else if (s < 8LL * 365 * 86400)
		(d % 365) ? snprintf(out, n, "%lldy%lldd", d / 365, d % 365) : snprintf(out, n, "%lldy", d / 365);
	else
		snprintf(out, n, "%lldy", d / 365);
}

void mc_age_of(const cJSON *obj, int64_t now_ms, char *out, size_t n)
{
	const char *ts = cm_json_get_str(obj, "metadata.creationTimestamp");
	int64_t t;

	if (!ts || cm_time_parse(ts, &t))
		snprintf(out, n, "<unknown>");
	else
		mc_age_format((now_ms - t) / 1000, out, n);
}

static int put_json_string(const char *s, struct cm_buf *out)
{
	int rc = cm_buf_putc(out, '"');

	for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
		switch (*p) {
		case '"':
			rc = cm_buf_puts(out, "\\\"");
			break;
		case '\\':
			rc = cm_buf_puts(out, "\\\\");
			break;
		case '\n':
			rc = cm_buf_puts(out, "\\n");
			break;
		case '\r':
			rc = cm_buf_puts(out, "\\r");
			break;
		case '\t':
			rc = cm_buf_puts(out, "\\t");
			break;
		case '<':
		case '>':
		case '&':
			rc = cm_buf_printf(out, "\\u%04x", *p);
			break;
		default:
			rc = *p < 0x20 ? cm_buf_printf(out, "\\u%04x", *p) : cm_buf_putc(out, (char)*p);
		}
	}
	return rc ? rc : cm_buf_putc(out, '"');
}

static int cmp_members(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static int indent(struct cm_buf *out, int depth)
{
	if (depth < 0)
		return 0; /* compact */
	int rc = cm_buf_putc(out, '\n');
	for (int i = 0; i < depth && !rc; i++)
		rc = cm_buf_puts(out, "    ");
	return rc;
}

/* depth < 0 prints compact (json.Marshal); else indented at depth (json.MarshalIndent). */
static int pretty(const cJSON *j, int depth, struct cm_buf *out)
{
	int rc = 0;

	if (cJSON_IsString(j))
		return put_json_string(j->valuestring, out);
	if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;
		if (d == floor(d) && fabs(d) < 1e15)
			return cm_buf_printf(out, "%.0f", d);
		return cm_buf_printf(out, "%.17g", d);
	}
	if (cJSON_IsBool(j))
		return cm_buf_puts(out, cJSON_IsTrue(j) ? "true" : "false");
	if (cJSON_IsNull(j) || !(cJSON_IsArray(j) || cJSON_IsObject(j)))
		return cm_buf_puts(out, "null");
	if (!j->child)
		return cm_buf_puts(out, cJSON_IsArray(j) ? "[]" : "{}");
	if (cJSON_IsArray(j)) {
		const cJSON *e;
		rc = cm_buf_putc(out, '[');
		cJSON_ArrayForEach(e, j)
		{
			if (!rc && e != j->child)
				rc = cm_buf_putc(out, ',');
			if (!rc)
				rc = indent(out, depth < 0 ? depth : depth + 1);
			if (!rc)
				rc = pretty(e, depth < 0 ? depth : depth + 1, out);
		}
		if (!rc)
			rc = indent(out, depth);
		return rc ? rc : cm_buf_putc(out, ']');
	}
	size_t n = (size_t)cJSON_GetArraySize(j), i = 0;
	const cJSON **m = malloc(n * sizeof(*m)), *e;
	if (!m)
		return -ENOMEM;
	cJSON_ArrayForEach(e, j) m[i++] = e;
	qsort(m, n, sizeof(*m), cmp_members);
	rc = cm_buf_putc(out, '{');
	for (i = 0; i < n && !rc; i++) {
		if (i)
			rc = cm_buf_putc(out, ',');
		if (!rc)
			rc = indent(out, depth < 0 ? depth : depth + 1);
		if (!rc)
			rc = put_json_string(m[i]->string, out);
		if (!rc)
			rc = cm_buf_puts(out, depth < 0 ? ":" : ": ");
		if (!rc)
			rc = pretty(m[i], depth < 0 ? depth : depth + 1, out);
	}
	free(m);
	if (!rc)
		rc = indent(out, depth);
	return rc ? rc : cm_buf_putc(out, '}');
}

int mc_json_pretty(const cJSON *j, struct cm_buf *out)
{
	int rc = pretty(j, 0, out);
	return rc ? rc : cm_buf_putc(out, '\n');
}

int mc_json_compact(const cJSON *j, struct cm_buf *out)
{
	return pretty(j, -1, out);
}

int mc_labels_string(const cJSON *obj, struct cm_buf *out)
{
	const cJSON *labels = cm_json_get(obj, "metadata.labels"), *l;
	size_t n = (size_t)cJSON_GetArraySize(labels), i = 0;
	const cJSON **m;
	int rc = 0;

	if (!cJSON_IsObject(labels) || n == 0)
		return cm_buf_puts(out, "<none>");
	m = malloc(n * sizeof(*m));
	if (!m)
		return -ENOMEM;
	cJSON_ArrayForEach(l, labels) m[i++] = l;
	qsort(m, n, sizeof(*m), cmp_members);
	for (i = 0; i < n && !rc; i++)
		rc = cm_buf_printf(out, "%s%s=%s", i ? "," : "", m[i]->string,
				   cJSON_IsString(m[i]) ? m[i]->valuestring : "");
	free(m);
	return rc;
}

/* Splits text into lines of cells (pointers into a copy); the Go tabwriter's model. */
struct tw_line {
	char **cells;
	size_t n;
};

static void tw_format(struct tw_line *lines, size_t l0, size_t l1, size_t col, size_t *widths)
{
	for (size_t i = l0; i < l1;) {
		if (lines[i].n <= col + 1) {
			i++;
			continue;
		}
		/* a block: consecutive lines with a terminated cell in this column */
		size_t j = i, w = 0;
		for (; j < l1 && lines[j].n > col + 1; j++) {
			size_t cw = width_of(lines[j].cells[col]) + 2;
			if (cw > w)
				w = cw;
		}
		for (size_t k = i; k < j; k++)
			widths[k * 64 + col] = w;
		tw_format(lines, i, j, col + 1, widths);
		i = j;
	}
}

int mc_tabwrite(const char *text, struct cm_buf *out)
{
	char *copy = strdup(text), *p, *save = NULL;
	struct tw_line *lines = NULL;
	size_t n = 0, cap = 0, *widths = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (p = copy; p && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (n == cap) {
			struct tw_line *nlv = realloc(lines, (cap = cap ? cap * 2 : 64) * sizeof(*lines));
			if (!nlv) {
				rc = -ENOMEM;
				goto done;
			}
			lines = nlv;
		}
		lines[n].cells = calloc(64, sizeof(char *));
		lines[n].n = 0;
		if (!lines[n].cells) {
			rc = -ENOMEM;
			goto done;
		}
		for (char *cell = p;; ) {
			char *tab = strchr(cell, '\t');
			if (tab)
				*tab = '\0';
			if (lines[n].n < 64)
				lines[n].cells[lines[n].n++] = cell;
			if (!tab)
				break;
			cell = tab + 1;
		}
		n++;
		p = nl ? nl + 1 : NULL;
	}
	(void)save;
	widths = calloc(n * 64 + 1, sizeof(*widths));
	if (!widths) {
		rc = -ENOMEM;
		goto done;
	}
	tw_format(lines, 0, n, 0, widths);
	for (size_t i = 0; i < n && !rc; i++) {
		for (size_t j = 0; j < lines[i].n && !rc; j++) {
			rc = cm_buf_puts(out, lines[i].cells[j]);
			if (j + 1 < lines[i].n)
				for (size_t w = width_of(lines[i].cells[j]); w < widths[i * 64 + j] && !rc; w++)
					rc = cm_buf_putc(out, ' ');
		}
		if (!rc)
			rc = cm_buf_putc(out, '\n');
	}
done:
	for (size_t i = 0; i < n; i++)
		free(lines[i].cells);
	free(lines);
	free(widths);
	free(copy);
	return rc;
}
