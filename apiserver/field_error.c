/* field_error.c: building and wording lists of field validation errors. */
#include "apiserver/field_error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void api_ferrs_init(struct api_ferrs *l)
{
	memset(l, 0, sizeof(*l));
}

void api_ferrs_close(struct api_ferrs *l)
{
	for (int i = 0; i < l->n; i++) {
		free(l->v[i].field);
		free(l->v[i].value);
		free(l->v[i].detail);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int api_ferrs_status(const struct api_ferrs *l)
{
	return l->oom ? -ENOMEM : 0;
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;
	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*oom = true;
	return d;
}

void api_ferrs_add(struct api_ferrs *l, enum api_ferr_type t, const char *field, const char *value,
		   const char *detail)
{
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 4;
		struct api_ferr *nv = realloc(l->v, (size_t)cap * sizeof(*nv));
		if (!nv) {
			l->oom = true;
			return;
		}
		l->v = nv;
		l->cap = cap;
	}
	struct api_ferr *e = &l->v[l->n++];
	e->type = t;
	e->field = dup_or_null(field ? field : "", &l->oom);
	e->value = dup_or_null(value, &l->oom);
	e->detail = dup_or_null(detail, &l->oom);
}

int api_quote(const char *s, struct cm_buf *out)
{
	int rc = cm_buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
		switch (*p) {
		case '"': rc = cm_buf_puts(out, "\\\""); break;
		case '\\': rc = cm_buf_puts(out, "\\\\"); break;
		case '\a': rc = cm_buf_puts(out, "\\a"); break;
		case '\b': rc = cm_buf_puts(out, "\\b"); break;
		case '\f': rc = cm_buf_puts(out, "\\f"); break;
		case '\n': rc = cm_buf_puts(out, "\\n"); break;
		case '\r': rc = cm_buf_puts(out, "\\r"); break;
		case '\t': rc = cm_buf_puts(out, "\\t"); break;
		case '\v': rc = cm_buf_puts(out, "\\v"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				rc = cm_buf_printf(out, "\\x%02x", *p);
			else
				rc = cm_buf_putc(out, (char)*p);
		}
	}
	return rc ? rc : cm_buf_putc(out, '"');
}

/* Adds with a value quoted as a Go string. */
static void add_quoted(struct api_ferrs *l, enum api_ferr_type t, const char *field, const char *value,
		       const char *detail)
{
	struct cm_buf q = CM_BUF_INIT;
	if (api_quote(value ? value : "", &q)) {
		l->oom = true;
		cm_buf_close(&q);
		return;
	}
	api_ferrs_add(l, t, field, q.data, detail);
	cm_buf_close(&q);
}

void api_ferr_required(struct api_ferrs *l, const char *field, const char *detail)
{
	api_ferrs_add(l, API_FERR_REQUIRED, field, NULL, detail);
}

void api_ferr_invalid(struct api_ferrs *l, const char *field, const char *value, const char *detail)
{
	add_quoted(l, API_FERR_INVALID, field, value, detail);
}

void api_ferr_invalid_int(struct api_ferrs *l, const char *field, int64_t value, const char *detail)
{
	char num[24];
	snprintf(num, sizeof(num), "%" PRId64, value);
	api_ferrs_add(l, API_FERR_INVALID, field, num, detail);
}

void api_ferr_duplicate(struct api_ferrs *l, const char *field, const char *value)
{
	add_quoted(l, API_FERR_DUPLICATE, field, value, NULL);
}

void api_ferr_not_found(struct api_ferrs *l, const char *field, const char *value)
{
	add_quoted(l, API_FERR_NOT_FOUND, field, value, NULL);
}

void api_ferr_not_supported(struct api_ferrs *l, const char *field, const char *value, const char *const *valid)
{
	struct cm_buf d = CM_BUF_INIT;
	int rc = 0;
	if (valid && valid[0]) {
		rc = cm_buf_puts(&d, "supported values: ");
		for (int i = 0; valid[i] && !rc; i++) {
			if (i)
				rc = cm_buf_puts(&d, ", ");
			rc = rc ? rc : api_quote(valid[i], &d);
		}
	}
	if (rc)
		l->oom = true;
	else
		add_quoted(l, API_FERR_NOT_SUPPORTED, field, value, d.data);
	cm_buf_close(&d);
}

void api_ferr_forbidden(struct api_ferrs *l, const char *field, const char *detail)
{
	api_ferrs_add(l, API_FERR_FORBIDDEN, field, NULL, detail);
}

void api_ferr_too_long(struct api_ferrs *l, const char *field, int64_t max)
{
	char d[64];
	snprintf(d, sizeof(d), "must have at most %" PRId64 " bytes", max);
	api_ferrs_add(l, API_FERR_TOO_LONG, field, NULL, d);
}

void api_ferr_too_many(struct api_ferrs *l, const char *field, int64_t actual, int64_t max)
{
	char v[24], d[64];
	snprintf(v, sizeof(v), "%" PRId64, actual);
	snprintf(d, sizeof(d), "must have at most %" PRId64 " items", max);
	api_ferrs_add(l, API_FERR_TOO_MANY, field, v, d);
}

static const struct {
	const char *word, *reason;
} types[] = {
	[API_FERR_NOT_FOUND] = {"Not found", "FieldValueNotFound"},
	[API_FERR_REQUIRED] = {"Required value", "FieldValueRequired"},
	[API_FERR_DUPLICATE] = {"Duplicate value", "FieldValueDuplicate"},
	[API_FERR_INVALID] = {"Invalid value", "FieldValueInvalid"},
	[API_FERR_NOT_SUPPORTED] = {"Unsupported value", "FieldValueNotSupported"},
	[API_FERR_FORBIDDEN] = {"Forbidden", "FieldValueForbidden"},
	[API_FERR_TOO_LONG] = {"Too long", "FieldValueTooLong"},
	[API_FERR_TOO_MANY] = {"Too many", "FieldValueTooMany"},
	[API_FERR_INTERNAL] = {"Internal error", "InternalError"},
};

const char *api_ferr_reason(enum api_ferr_type t)
{
	return types[t].reason;
}

int api_ferr_body(const struct api_ferr *e, struct cm_buf *out)
{
	int rc = cm_buf_puts(out, types[e->type].word);
	/* Kubernetes leaves the value out of these four kinds of message */
	bool show_value = e->type != API_FERR_REQUIRED && e->type != API_FERR_FORBIDDEN &&
			  e->type != API_FERR_TOO_LONG && e->type != API_FERR_INTERNAL;
	if (!rc && show_value)
		rc = cm_buf_printf(out, ": %s", e->value ? e->value : "null");
	if (!rc && e->detail && *e->detail)
		rc = cm_buf_printf(out, ": %s", e->detail);
	return rc;
}

int api_ferr_format(const struct api_ferr *e, struct cm_buf *out)
{
	int rc = 0;
	if (e->field && *e->field)
		rc = cm_buf_printf(out, "%s: ", e->field);
	return rc ? rc : api_ferr_body(e, out);
}

int api_ferrs_format(const struct api_ferrs *l, struct cm_buf *out)
{
	struct cm_buf *msgs = calloc((size_t)(l->n ? l->n : 1), sizeof(*msgs));
	int rc = 0, kept = 0;
	if (!msgs)
		return -ENOMEM;
	for (int i = 0; i < l->n && !rc; i++) {
		rc = api_ferr_format(&l->v[i], &msgs[kept]);
		bool dup = false;
		for (int j = 0; j < kept && !rc && !dup; j++)
			dup = !strcmp(msgs[j].data, msgs[kept].data);
		if (dup)
			cm_buf_reset(&msgs[kept]);
		else
			kept++;
	}
	if (!rc && kept > 1)
		rc = cm_buf_putc(out, '[');
	for (int i = 0; i < kept && !rc; i++)
		rc = cm_buf_printf(out, "%s%s", i ? ", " : "", msgs[i].data);
	if (!rc && kept > 1)
		rc = cm_buf_putc(out, ']');
	for (int i = 0; i < l->n; i++)
		cm_buf_close(&msgs[i]);
	free(msgs);
	return rc;
}
