/* jsonpath.c: a small evaluator for kubectl's JSONPath templates (no recursion "..", no functions). */
#include "ctl/jsonpath.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

/* A set of borrowed nodes, the results of an expression so far. */
struct nodes {
	const cJSON **v;
	size_t n, cap;
};

static int push(struct nodes *s, const cJSON *j)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		const cJSON **v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = j;
	return 0;
}

static bool is_ident(char c)
{
	return c && !strchr(".[]{}()@$=!<> \t\"'", c);
}

/* Compares a node with a literal from a filter: numbers numerically, else as text. */
static bool filter_match(const cJSON *v, const char *op, const char *lit)
{
	int cmp;

	if (!v)
		return false;
	if (cJSON_IsNumber(v)) {
		double d = strtod(lit, NULL);
		cmp = v->valuedouble < d ? -1 : v->valuedouble > d;
	} else if (cJSON_IsString(v)) {
		cmp = strcmp(v->valuestring, lit);
	} else if (cJSON_IsBool(v)) {
		cmp = strcmp(cJSON_IsTrue(v) ? "true" : "false", lit);
	} else {
		return false;
	}
	if (!strcmp(op, "=="))
		return cmp == 0;
	if (!strcmp(op, "!="))
		return cmp != 0;
	if (!strcmp(op, "<"))
		return cmp < 0;
	if (!strcmp(op, ">"))
		return cmp > 0;
	if (!strcmp(op, "<="))
		return cmp <= 0;
	if (!strcmp(op, ">="))
		return cmp >= 0;
	return false;
}

static int eval(const char *expr, size_t len, const cJSON *root, struct nodes *out, struct cm_buf *err);

/* One bracket step "[...]" on every node of cur; p points after "[", returns past "]". */
static int bracket(const char **pp, const char *end, const cJSON *root, struct nodes *cur, struct nodes *next,
		   struct cm_buf *err)
{
	const char *p = *pp, *close = memchr(p, ']', (size_t)(end - p));
	int rc = 0;

	if (!close)
		return cm_buf_invalid(err, "unterminated array");
	if (*p == '?') {
		/* [?(@.path OP literal)] or [?(@.path)] */
		const char *q = p + 1, *fend;
		char op[3] = "", lit[256] = "";
		const char *path, *path_end;
		/* The closing "]" of a filter is after its ")"; find the last ")" before a "]". */
		close = strstr(p, ")]");
		if (*q != '(' || !close || close > end)
			return cm_buf_invalid(err, "unrecognized filter");
		q++;
		fend = close;
		while (*q == ' ')
			q++;
		if (*q != '@')
			return cm_buf_invalid(err, "unrecognized filter");
		path = ++q;
		while (q < fend && !strchr("=!<> ", *q))
			q++;
		path_end = q;
		while (q < fend && *q == ' ')
			q++;
		if (q < fend) {
			size_t ol = 0;
			while (q < fend && strchr("=!<>", *q) && ol < 2)
				op[ol++] = *q++;
			op[ol] = '\0';
			while (q < fend && *q == ' ')
				q++;
			if (*q == '"' || *q == '\'') {
				const char *lend = memchr(q + 1, *q, (size_t)(fend - q - 1));
				if (!lend)
					return cm_buf_invalid(err, "unterminated string in filter");
				snprintf(lit, sizeof(lit), "%.*s", (int)(lend - q - 1), q + 1);
			} else {
				snprintf(lit, sizeof(lit), "%.*s", (int)(fend - q), q);
				for (size_t n = strlen(lit); n && lit[n - 1] == ' ';)
					lit[--n] = '\0';
			}
		}
		for (size_t i = 0; i < cur->n && !rc; i++) {
			const cJSON *e;
			cJSON_ArrayForEach(e, cur->v[i])
			{
				struct nodes r = {0};
				if (eval(path, (size_t)(path_end - path), e, &r, NULL) == 0 && r.n > 0 &&
				    (!op[0] || filter_match(r.v[0], op, lit)))
					rc = push(next, e);
				free(r.v);
				if (rc)
					break;
			}
		}
		*pp = close + 2;
		return rc;
	}
	if (*p == '\'' || *p == '"') {
		/* ['name.with.dots'] */
		const char *q = memchr(p + 1, *p, (size_t)(close - p - 1));
		if (!q)
			return cm_buf_invalid(err, "unterminated string");
		for (size_t i = 0; i < cur->n && !rc; i++) {
			const cJSON *c = cur->v[i];
			if (cJSON_IsObject(c))
				cJSON_ArrayForEach(c, cur->v[i]) if (strlen(c->string) == (size_t)(q - p - 1) &&
								    !strncmp(c->string, p + 1, (size_t)(q - p - 1)))
				{
					rc = push(next, c);
					break;
				}
		}
		*pp = close + 1;
		return rc;
	}
	{
		char spec[64];
		const char *colon;
		long a = 0, b = 0;
		bool slice, has_b = false;
		if ((size_t)(close - p) >= sizeof(spec))
			return cm_buf_invalid(err, "invalid array index");
		memcpy(spec, p, (size_t)(close - p));
		spec[close - p] = '\0';
		colon = strchr(spec, ':');
		slice = colon || !strcmp(spec, "*");
		if (strcmp(spec, "*") != 0) {
			char *e;
			a = strtol(spec, &e, 10);
			if (colon && colon[1]) {
				b = strtol(colon + 1, NULL, 10);
				has_b = true;
			}
			if (!colon && (*e || e == spec))
				return cm_buf_invalid(err, "invalid array index %s", spec);
		}
		for (size_t i = 0; i < cur->n && !rc; i++) {
			const cJSON *arr = cur->v[i];
			long n = cJSON_GetArraySize(arr), from = a, to = has_b ? b : n;
			if (cJSON_IsObject(arr) && !strcmp(spec, "*")) {
				const cJSON *e;
				cJSON_ArrayForEach(e, arr) if ((rc = push(next, e))) break;
				continue;
			}
			if (!cJSON_IsArray(arr))
				continue;
			if (from < 0)
				from += n;
			if (to < 0)
				to += n;
			if (!slice) {
				if (from < 0 || from >= n)
					return cm_buf_invalid(err, "array index out of bounds: index %ld, length %ld", a, n);
				rc = push(next, cJSON_GetArrayItem(arr, (int)from));
				continue;
			}
			for (long k = from < 0 ? 0 : from; k < to && k < n && !rc; k++)
				rc = push(next, cJSON_GetArrayItem(arr, (int)k));
		}
		*pp = close + 1;
		return rc;
	}
	(void)root;
}

/* Evaluates a path expression (".a.b[0].c", "$.x", "@.y") from root. */
static int eval(const char *expr, size_t len, const cJSON *root, struct nodes *out, struct cm_buf *err)
{
	const char *p = expr, *end = expr + len;
	struct nodes cur = {0}, next = {0};
	int rc = push(&cur, root);

	while (!rc && p < end && (*p == ' ' || *p == '$' || *p == '@'))
		p++;
	while (!rc && p < end) {
		next.n = 0;
		if (*p == '.') {
			const char *name = ++p;
			char key[256];
			size_t klen = 0;
			while (p < end && (is_ident(*p) || (*p == '\\' && p + 1 < end))) {
				if (*p == '\\')
					p++; /* "\." is a dot inside a name */
				if (klen + 1 < sizeof(key))
					key[klen++] = *p;
				p++;
			}
			key[klen] = '\0';
			if (p == name) {
				if (p < end && *p == '*') {
					p++;
					for (size_t i = 0; i < cur.n && !rc; i++) {
						const cJSON *e;
						cJSON_ArrayForEach(e, cur.v[i]) if ((rc = push(&next, e))) break;
					}
				}
				/* "." alone selects the current node */
				else if (p >= end || *p == '[') {
					for (size_t i = 0; i < cur.n && !rc; i++)
						rc = push(&next, cur.v[i]);
				} else {
					rc = cm_buf_invalid(err, "unrecognized character in action: %c", *p);
				}
			} else {
				for (size_t i = 0; i < cur.n && !rc; i++) {
					const cJSON *c;
					if (!cJSON_IsObject(cur.v[i]))
						continue;
					cJSON_ArrayForEach(c, cur.v[i]) if (!strcmp(c->string, key))
					{
						rc = push(&next, c);
						break;
					}
				}
				if (!rc && next.n == 0 && cur.n > 0)
					rc = cm_buf_invalid(err, "%s is not found", key);
			}
		} else if (*p == '[') {
			p++;
			rc = bracket(&p, end, root, &cur, &next, err);
		} else if (*p == ' ') {
			p++;
			continue;
		} else {
			rc = cm_buf_invalid(err, "unrecognized character in action: %c", *p);
		}
		if (!rc) {
			struct nodes t = cur;
			cur = next;
			next = t;
		}
	}
	for (size_t i = 0; i < cur.n && !rc; i++)
		rc = push(out, cur.v[i]);
	free(cur.v);
	free(next.v);
	return rc;
}

static int print_value(const cJSON *v, struct cm_buf *out)
{
	char *s;
	int rc;

	if (cJSON_IsString(v))
		return cm_buf_puts(out, v->valuestring);
	s = cJSON_PrintUnformatted(v);
	if (!s)
		return -ENOMEM;
	rc = cm_buf_puts(out, s);
	free(s);
	return rc;
}

/* Unescapes a template string literal {"\n"} into out. */
static int put_literal(const char *s, size_t len, struct cm_buf *out)
{
	int rc = 0;

	for (size_t i = 0; i < len && !rc; i++) {
		if (s[i] == '\\' && i + 1 < len) {
			char c = s[++i];
			rc = cm_buf_putc(out, c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c);
		} else {
			rc = cm_buf_putc(out, s[i]);
		}
	}
	return rc;
}

/* Finds the "}" that closes the action starting at p (after "{"), skipping quoted text. */
static const char *action_end(const char *p)
{
	char q = 0;

	for (; *p; p++) {
		if (q) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == '}') {
			return p;
		}
	}
	return NULL;
}

/* Runs tmpl[0..len) on data; a {range X}...{end} block runs its body once per node of X. */
static int run(const char *tmpl, size_t len, const cJSON *data, struct cm_buf *out, struct cm_buf *err)
{
	const char *p = tmpl, *end = tmpl + len;
	int rc = 0;

	while (p < end && !rc) {
		const char *open = memchr(p, '{', (size_t)(end - p)), *close, *a;
		size_t alen;
		if (!open) {
			rc = cm_buf_append(out, p, (size_t)(end - p));
			break;
		}
		if ((rc = cm_buf_append(out, p, (size_t)(open - p))))
			break;
		close = action_end(open + 1);
		if (!close || close > end)
			return cm_buf_invalid(err, "unclosed action");
		a = open + 1;
		alen = (size_t)(close - a);
		while (alen && *a == ' ')
			a++, alen--;
		while (alen && a[alen - 1] == ' ')
			alen--;
		if (alen >= 2 && (a[0] == '"' || a[0] == '\'') && a[alen - 1] == a[0]) {
			rc = put_literal(a + 1, alen - 2, out);
		} else if (alen > 6 && !strncmp(a, "range ", 6)) {
			/* Find the matching {end}, counting nested ranges. */
			const char *body = close + 1, *q = body, *body_end = NULL, *after = NULL;
			int depth = 1;
			while (q < end) {
				const char *o = memchr(q, '{', (size_t)(end - q)), *c;
				if (!o)
					break;
				c = action_end(o + 1);
				if (!c)
					break;
				if (!strncmp(o + 1, "range ", 6))
					depth++;
				else if (c - o - 1 == 3 && !strncmp(o + 1, "end", 3) && --depth == 0) {
					body_end = o;
					after = c + 1;
					break;
				}
				q = c + 1;
			}
			if (!body_end)
				return cm_buf_invalid(err, "range without end");
			struct nodes r = {0};
			rc = eval(a + 6, alen - 6, data, &r, err);
			for (size_t i = 0; i < r.n && !rc; i++)
				rc = run(body, (size_t)(body_end - body), r.v[i], out, err);
			free(r.v);
			p = after;
			continue;
		} else if (alen == 3 && !strncmp(a, "end", 3)) {
			return cm_buf_invalid(err, "not in range, nothing to end");
		} else {
			struct nodes r = {0};
			rc = eval(a, alen, data, &r, err);
			for (size_t i = 0; i < r.n && !rc; i++) {
				if (i)
					rc = cm_buf_putc(out, ' ');
				if (!rc)
					rc = print_value(r.v[i], out);
			}
			free(r.v);
		}
		p = close + 1;
	}
	return rc;
}

int mc_jsonpath_exec(const char *tmpl, const cJSON *data, struct cm_buf *out, struct cm_buf *err)
{
	return run(tmpl, strlen(tmpl), data, out, err);
}

const cJSON *mc_jsonpath_first(const char *expr, const cJSON *data)
{
	struct nodes r = {0};
	const cJSON *v = NULL;
	size_t len = strlen(expr);

	if (len >= 2 && expr[0] == '{' && expr[len - 1] == '}') {
		expr++;
		len -= 2;
	}
	if (eval(expr, len, data, &r, NULL) == 0 && r.n > 0)
		v = r.v[0];
	free(r.v);
	return v;
}
