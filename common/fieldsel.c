/* fieldsel.c: Kubernetes field selectors: "a=b,c!=d" terms matched against field labels of an object. */
#include "common/fieldsel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct term {
	char *field;
	char *value;
	bool neq;
};

struct cm_fieldsel {
	struct term *terms;
	int n;
};

void cm_fieldsel_free(struct cm_fieldsel *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++) {
		free(s->terms[i].field);
		free(s->terms[i].value);
	}
	free(s->terms);
	free(s);
}

bool cm_fieldsel_empty(const struct cm_fieldsel *s)
{
	return !s || s->n == 0;
}

/*
 * Undoes the backslash escapes of a value; an unescaped ',' or '=' or an
 * unknown escape is an error, as in Kubernetes (the value is ambiguous).
 */
static int unescape(const char *s, size_t len, char **out, struct cm_buf *err)
{
	char *v = malloc(len + 1), *w = v;
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '\\') {
			if (i + 1 == len || !strchr("\\,=", s[i + 1])) {
				free(v);
				if (err)
					cm_buf_printf(err, "invalid field selector: invalid escape sequence in value '%.*s'",
						      (int)len, s);
				return -EINVAL;
			}
			c = s[++i];
		} else if (c == ',' || c == '=') {
			free(v);
			if (err)
				cm_buf_printf(err, "invalid field selector: unescaped '%c' in value '%.*s'", c,
					      (int)len, s);
			return -EINVAL;
		}
		*w++ = c;
	}
	*w = '\0';
	*out = v;
	return 0;
}

/* Splits one term at its first operator, looking past escaped characters. */
static int parse_term(const char *t, size_t len, struct term *out, struct cm_buf *err)
{
	for (size_t i = 0; i < len; i++) {
		if (t[i] == '\\') {
			i++;
			continue;
		}
		size_t oplen = 0;
		bool neq = false;
		if (t[i] == '!' && i + 1 < len && t[i + 1] == '=')
			oplen = 2, neq = true;
		else if (t[i] == '=' && i + 1 < len && t[i + 1] == '=')
			oplen = 2;
		else if (t[i] == '=')
			oplen = 1;
		if (!oplen)
			continue;
		if (i == 0)
			break;
		if (!(out->field = strndup(t, i)))
			return -ENOMEM;
		out->neq = neq;
		int rc = unescape(t + i + oplen, len - i - oplen, &out->value, err);
		if (rc) {
			free(out->field);
			out->field = NULL;
		}
		return rc;
	}
	if (err)
		cm_buf_printf(err, "invalid selector: '%.*s'; can't understand '%.*s'", (int)len, t, (int)len, t);
	return -EINVAL;
}

int cm_fieldsel_parse(const char *s, struct cm_fieldsel **out, struct cm_buf *err)
{
	struct cm_fieldsel *fs = calloc(1, sizeof(*fs));
	int rc = 0, cap = 0;
	if (!fs)
		return -ENOMEM;
	s = s ? s : "";
	const char *p = s;
	while (*p) {
		/* a term ends at the first unescaped comma */
		const char *e = p;
		while (*e && *e != ',') {
			if (*e == '\\' && e[1])
				e++;
			e++;
		}
		if (e > p) {
			if (fs->n == cap) {
				cap = cap ? cap * 2 : 4;
				struct term *nt = realloc(fs->terms, (size_t)cap * sizeof(*nt));
				if (!nt) {
					rc = -ENOMEM;
					goto fail;
				}
				fs->terms = nt;
			}
			struct term t = {0};
			if ((rc = parse_term(p, (size_t)(e - p), &t, err)))
				goto fail;
			fs->terms[fs->n++] = t;
		}
		p = *e ? e + 1 : e;
	}
	*out = fs;
	return 0;
fail:
	cm_fieldsel_free(fs);
	return rc;
}

/* Field labels whose value is a string at the same path in the object. */
static const char *const string_fields[] = {
	"metadata.name",
	"metadata.namespace",
	"spec.nodeName",
	"spec.schedulerName",
	"spec.serviceAccountName",
	"spec.restartPolicy",
	"status.phase",
	"status.podIP",
	"status.nominatedNodeName",
	"involvedObject.kind",
	"involvedObject.namespace",
	"involvedObject.name",
	"involvedObject.uid",
	"involvedObject.apiVersion",
	"involvedObject.resourceVersion",
	"involvedObject.fieldPath",
	"reason",
	"reportingComponent",
	"type",
};

static const char *const bool_fields[] = {"spec.hostNetwork", "spec.unschedulable"};

/* Follows a dotted path of object members (field labels hold no escapes). */
static const cJSON *walk(const cJSON *obj, const char *path)
{
	const char *p = path;
	while (obj && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		const cJSON *next = NULL, *c;
		if (!cJSON_IsObject(obj))
			return NULL;
		cJSON_ArrayForEach(c, obj)
		{
			if (c->string && strlen(c->string) == n && !strncmp(c->string, p, n)) {
				next = c;
				break;
			}
		}
		obj = next;
		p = dot ? dot + 1 : p + n;
	}
	return obj;
}

int cm_field_get(const cJSON *obj, const char *field, const char **out)
{
	for (size_t i = 0; i < sizeof(string_fields) / sizeof(string_fields[0]); i++) {
		if (strcmp(field, string_fields[i]))
			continue;
		const cJSON *v = walk(obj, field);
		*out = cJSON_IsString(v) ? v->valuestring : "";
		return 0;
	}
	for (size_t i = 0; i < sizeof(bool_fields) / sizeof(bool_fields[0]); i++) {
		if (strcmp(field, bool_fields[i]))
			continue;
		*out = cJSON_IsTrue(walk(obj, field)) ? "true" : "false";
		return 0;
	}
	if (!strcmp(field, "source")) {
		/* events: the field label "source" is source.component */
		const cJSON *v = walk(obj, "source.component");
		*out = cJSON_IsString(v) ? v->valuestring : "";
		return 0;
	}
	return -EINVAL;
}

int cm_fieldsel_check(const struct cm_fieldsel *s, struct cm_buf *err)
{
	const char *v;
	for (int i = 0; s && i < s->n; i++) {
		if (cm_field_get(NULL, s->terms[i].field, &v)) {
			if (err)
				cm_buf_printf(err, "field label not supported: %s", s->terms[i].field);
			return -EINVAL;
		}
	}
	return 0;
}

int cm_fieldsel_check_allowed(const struct cm_fieldsel *s, const char *const *allowed, struct cm_buf *err)
{
	int rc = cm_fieldsel_check(s, err);
	for (int i = 0; !rc && s && i < s->n; i++) {
		const char *f = s->terms[i].field;
		bool ok = !strcmp(f, "metadata.name") || !strcmp(f, "metadata.namespace");
		for (int j = 0; !ok && allowed && allowed[j]; j++)
			ok = !strcmp(f, allowed[j]);
		if (!ok) {
			if (err)
				cm_buf_printf(err, "field label not supported: %s", f);
			rc = -EINVAL;
		}
	}
	return rc;
}

bool cm_fieldsel_matches(const struct cm_fieldsel *s, const cJSON *obj)
{
	for (int i = 0; s && i < s->n; i++) {
		const char *v;
		if (cm_field_get(obj, s->terms[i].field, &v))
			return false;
		if ((strcmp(v, s->terms[i].value) == 0) == s->terms[i].neq)
			return false;
	}
	return true;
}

const char *cm_fieldsel_required(const struct cm_fieldsel *s, const char *field)
{
	for (int i = 0; s && i < s->n; i++)
		if (!s->terms[i].neq && !strcmp(s->terms[i].field, field))
			return s->terms[i].value;
	return NULL;
}
