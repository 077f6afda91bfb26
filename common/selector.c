/* selector.c: Kubernetes label selectors: the string grammar, the LabelSelector object, matching. */
#include "common/selector.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct req {
	char *key;
	enum cm_sel_op op;
	char **vals; /* sorted; one value for EQ/NEQ/GT/LT, none for EXISTS/NOTEXISTS */
	int nvals;
};

struct cm_selector {
	struct req *reqs;
	int n, cap;
	bool nothing; /* a null LabelSelector: matches no object */
};

static void req_close(struct req *r)
{
	free(r->key);
	for (int i = 0; i < r->nvals; i++)
		free(r->vals[i]);
	free(r->vals);
}

void cm_selector_free(struct cm_selector *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++)
		req_close(&s->reqs[i]);
	free(s->reqs);
	free(s);
}

static int seterr(struct cm_buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int seterr(struct cm_buf *err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		cm_buf_vprintf(err, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Label names and values share one alphabet; the key may add a DNS prefix. */
static bool name_part_ok(const char *s, size_t len, size_t max, bool allow_empty)
{
	if (len == 0)
		return allow_empty;
	if (len > max || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

/* A DNS-1123 subdomain: dot-separated labels of [a-z0-9-], each starting and ending alphanumeric. */
static bool prefix_ok(const char *s, size_t len)
{
	if (len == 0 || len > 253)
		return false;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			char c = s[i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
				return false;
			continue;
		}
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		start = i + 1;
	}
	return true;
}

static bool key_ok(const char *k)
{
	const char *slash = strchr(k, '/');
	if (!slash)
		return name_part_ok(k, strlen(k), 63, false);
	if (strchr(slash + 1, '/'))
		return false;
	return prefix_ok(k, (size_t)(slash - k)) && name_part_ok(slash + 1, strlen(slash + 1), 63, false);
}

static bool int_ok(const char *v, long long *out)
{
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (!*v || *end || errno)
		return false;
	if (out)
		*out = x;
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Checks a requirement as Kubernetes' NewRequirement does, then sorts its values. */
static int req_check(struct req *r, struct cm_buf *err)
{
	if (!key_ok(r->key))
		return seterr(err, "invalid label key \"%s\": must be a qualified name (e.g. 'app' or "
			      "'example.com/app')", r->key);
	switch (r->op) {
	case CM_SEL_IN:
	case CM_SEL_NOTIN:
		if (r->nvals == 0)
			return seterr(err, "%s: for 'in', 'notin' operators, values set can't be empty", r->key);
		break;
	case CM_SEL_EQ:
	case CM_SEL_NEQ:
		if (r->nvals != 1)
			return seterr(err, "%s: exact-match compatibility requires one single value", r->key);
		break;
	case CM_SEL_EXISTS:
	case CM_SEL_NOTEXISTS:
		if (r->nvals != 0)
			return seterr(err, "%s: values set must be empty for exists and does not exist", r->key);
		break;
	case CM_SEL_GT:
	case CM_SEL_LT:
		if (r->nvals != 1 || !int_ok(r->vals[0], NULL))
			return seterr(err, "%s: for 'Gt', 'Lt' operators, exactly one integer value is required",
				      r->key);
		break;
	}
	for (int i = 0; i < r->nvals; i++)
		if (!name_part_ok(r->vals[i], strlen(r->vals[i]), 63, true))
			return seterr(err, "invalid label value \"%s\" for key \"%s\": must be 63 characters or "
				      "less, begin and end with an alphanumeric character, and contain only "
				      "alphanumerics, '-', '_' or '.'", r->vals[i], r->key);
	if (r->nvals > 1)
		qsort(r->vals, (size_t)r->nvals, sizeof(char *), cmp_str);
	return 0;
}

static struct cm_selector *sel_new(void)
{
	return calloc(1, sizeof(struct cm_selector));
}

/* Adds a requirement, taking over its key and values (freed on failure too). */
static int sel_add(struct cm_selector *s, struct req *r, struct cm_buf *err)
{
	int rc = req_check(r, err);
	if (rc)
		goto fail;
	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 4;
		struct req *nr = realloc(s->reqs, (size_t)cap * sizeof(*nr));
		if (!nr) {
			rc = -ENOMEM;
			goto fail;
		}
		s->reqs = nr;
		s->cap = cap;
	}
	s->reqs[s->n++] = *r;
	return 0;
fail:
	req_close(r);
	return rc;
}

static int req_push_val(struct req *r, const char *v, size_t len)
{
	char **nv = realloc(r->vals, (size_t)(r->nvals + 1) * sizeof(char *));
	if (!nv)
		return -ENOMEM;
	r->vals = nv;
	if (!(nv[r->nvals] = strndup(v, len)))
		return -ENOMEM;
	r->nvals++;
	return 0;
}

/* ---- the string grammar ---- */

struct lexer {
	const char *p;
};

static void skip_ws(struct lexer *lx)
{
	while (isspace((unsigned char)*lx->p))
		lx->p++;
}

static bool is_special(char c)
{
	return c == '\0' || isspace((unsigned char)c) || strchr("!=(),<>", c);
}

/* An identifier at the cursor: its start and length (0 if none). */
static size_t lex_ident(struct lexer *lx, const char **start)
{
	skip_ws(lx);
	*start = lx->p;
	while (!is_special(*lx->p))
		lx->p++;
	return (size_t)(lx->p - *start);
}

static bool ident_is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && !strncmp(s, word, n);
}

/* "(a, b,c)": values separated by commas; an empty slot is the empty value. */
static int parse_values(struct lexer *lx, struct req *r, struct cm_buf *err)
{
	skip_ws(lx);
	if (*lx->p != '(')
		return seterr(err, "found '%.20s', expected: '('", *lx->p ? lx->p : "<end>");
	lx->p++;
	for (;;) {
		const char *v;
		size_t n = lex_ident(lx, &v);
		int rc = req_push_val(r, v, n);
		if (rc)
			return rc;
		skip_ws(lx);
		if (*lx->p == ')') {
			lx->p++;
			return 0;
		}
		if (*lx->p != ',')
			return seterr(err, "found '%.20s', expected: ',' or ')'", *lx->p ? lx->p : "<end>");
		lx->p++;
	}
}

static int parse_req(struct lexer *lx, struct req *r, struct cm_buf *err)
{
	const char *k;
	size_t n;
	skip_ws(lx);
	if (*lx->p == '!') {
		lx->p++;
		r->op = CM_SEL_NOTEXISTS;
		n = lex_ident(lx, &k);
		if (!n)
			return seterr(err, "found '%.20s', expected: identifier after '!'",
				      *lx->p ? lx->p : "<end>");
		return (r->key = strndup(k, n)) ? 0 : -ENOMEM;
	}
	n = lex_ident(lx, &k);
	if (!n)
		return seterr(err, "found '%.20s', expected: identifier", *lx->p ? lx->p : "<end>");
	if (!(r->key = strndup(k, n)))
		return -ENOMEM;
	skip_ws(lx);
	const char *p = lx->p;
	if (*p == '\0' || *p == ',') {
		r->op = CM_SEL_EXISTS;
		return 0;
	}
	if (p[0] == '=' && p[1] == '=') {
		r->op = CM_SEL_EQ, lx->p += 2;
	} else if (p[0] == '=') {
		r->op = CM_SEL_EQ, lx->p += 1;
	} else if (p[0] == '!' && p[1] == '=') {
		r->op = CM_SEL_NEQ, lx->p += 2;
	} else if (p[0] == '>') {
		r->op = CM_SEL_GT, lx->p += 1;
	} else if (p[0] == '<') {
		r->op = CM_SEL_LT, lx->p += 1;
	} else {
		const char *w;
		size_t wn = lex_ident(lx, &w);
		if (ident_is(w, wn, "in"))
			r->op = CM_SEL_IN;
		else if (ident_is(w, wn, "notin"))
			r->op = CM_SEL_NOTIN;
		else
			return seterr(err, "found '%.20s', expected: in, notin, =, ==, !=, gt, lt",
				      wn ? w : (*p ? p : "<end>"));
		return parse_values(lx, r, err);
	}
	const char *v;
	size_t vn = lex_ident(lx, &v);
	return req_push_val(r, v, vn);
}

int cm_selector_parse(const char *s, struct cm_selector **out, struct cm_buf *err)
{
	struct cm_selector *sel = sel_new();
	struct lexer lx = {s ? s : ""};
	int rc = 0;
	if (!sel)
		return -ENOMEM;
	skip_ws(&lx);
	while (*lx.p) {
		struct req r = {0};
		if ((rc = parse_req(&lx, &r, err))) {
			req_close(&r);
			goto fail;
		}
		if ((rc = sel_add(sel, &r, err)))
			goto fail;
		skip_ws(&lx);
		if (*lx.p == ',') {
			lx.p++;
			skip_ws(&lx);
			if (!*lx.p) {
				rc = seterr(err, "found '<end>', expected: identifier after ','");
				goto fail;
			}
		} else if (*lx.p) {
			rc = seterr(err, "found '%.20s', expected: ',' or end of string", lx.p);
			goto fail;
		}
	}
	*out = sel;
	return 0;
fail:
	cm_selector_free(sel);
	return rc;
}

/* ---- the LabelSelector object ---- */

static int add_expression(struct cm_selector *sel, const cJSON *e, struct cm_buf *err)
{
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(e, "key");
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(e, "operator");
	const cJSON *vals = cJSON_GetObjectItemCaseSensitive(e, "values");
	struct req r = {0};
	int rc;
	if (!cJSON_IsObject(e) || !cJSON_IsString(key) || !cJSON_IsString(op))
		return seterr(err, "matchExpressions: each entry needs string key and operator");
	const char *o = op->valuestring;
	if (!strcmp(o, "In"))
		r.op = CM_SEL_IN;
	else if (!strcmp(o, "NotIn"))
		r.op = CM_SEL_NOTIN;
	else if (!strcmp(o, "Exists"))
		r.op = CM_SEL_EXISTS;
	else if (!strcmp(o, "DoesNotExist"))
		r.op = CM_SEL_NOTEXISTS;
	else
		return seterr(err, "\"%s\" is not a valid label selector operator", o);
	if (vals && !cJSON_IsNull(vals) && !cJSON_IsArray(vals))
		return seterr(err, "matchExpressions: values must be a list of strings");
	if (!(r.key = strdup(key->valuestring)))
		return -ENOMEM;
	const cJSON *v;
	const cJSON *vlist = cJSON_IsArray(vals) ? vals : NULL;
	cJSON_ArrayForEach(v, vlist)
	{
		if (!cJSON_IsString(v)) {
			req_close(&r);
			return seterr(err, "matchExpressions: values must be a list of strings");
		}
		if ((rc = req_push_val(&r, v->valuestring, strlen(v->valuestring)))) {
			req_close(&r);
			return rc;
		}
	}
	return sel_add(sel, &r, err);
}

int cm_selector_from_json(const cJSON *j, struct cm_selector **out, struct cm_buf *err)
{
	struct cm_selector *sel = sel_new();
	int rc = 0;
	if (!sel)
		return -ENOMEM;
	if (!j || cJSON_IsNull(j)) {
		sel->nothing = true;
		*out = sel;
		return 0;
	}
	if (!cJSON_IsObject(j)) {
		rc = seterr(err, "label selector must be an object");
		goto fail;
	}
	const cJSON *ml = cJSON_GetObjectItemCaseSensitive(j, "matchLabels");
	const cJSON *me = cJSON_GetObjectItemCaseSensitive(j, "matchExpressions");
	if ((ml && !cJSON_IsNull(ml) && !cJSON_IsObject(ml)) || (me && !cJSON_IsNull(me) && !cJSON_IsArray(me))) {
		rc = seterr(err, "label selector: matchLabels must be an object and matchExpressions a list");
		goto fail;
	}
	const cJSON *it;
	const cJSON *mlo = cJSON_IsObject(ml) ? ml : NULL;
	cJSON_ArrayForEach(it, mlo)
	{
		struct req r = {.op = CM_SEL_EQ};
		if (!cJSON_IsString(it)) {
			rc = seterr(err, "matchLabels: value of \"%s\" must be a string", it->string);
			goto fail;
		}
		if (!(r.key = strdup(it->string)) ||
		    req_push_val(&r, it->valuestring, strlen(it->valuestring))) {
			req_close(&r);
			rc = -ENOMEM;
			goto fail;
		}
		if ((rc = sel_add(sel, &r, err)))
			goto fail;
	}
	const cJSON *mea = cJSON_IsArray(me) ? me : NULL;
	cJSON_ArrayForEach(it, mea)
	{
		if ((rc = add_expression(sel, it, err)))
			goto fail;
	}
	*out = sel;
	return 0;
fail:
	cm_selector_free(sel);
	return rc;
}

/* ---- matching and printing ---- */

static bool has_val(const struct req *r, const char *v)
{
	for (int i = 0; i < r->nvals; i++)
		if (!strcmp(r->vals[i], v))
			return true;
	return false;
}

static bool req_matches(const struct req *r, const cJSON *labels)
{
	const cJSON *l = cJSON_IsObject(labels) ? cJSON_GetObjectItemCaseSensitive(labels, r->key) : NULL;
	const char *v = cJSON_IsString(l) ? l->valuestring : NULL;
	long long a, b;
	switch (r->op) {
	case CM_SEL_EQ:
	case CM_SEL_IN:
		return v && has_val(r, v);
	case CM_SEL_NEQ:
	case CM_SEL_NOTIN:
		return !v || !has_val(r, v);
	case CM_SEL_EXISTS:
		return v != NULL;
	case CM_SEL_NOTEXISTS:
		return v == NULL;
	case CM_SEL_GT:
	case CM_SEL_LT:
		if (!v || !int_ok(v, &a) || !int_ok(r->vals[0], &b))
			return false;
		return r->op == CM_SEL_GT ? a > b : a < b;
	}
	return false;
}

bool cm_selector_matches(const struct cm_selector *s, const cJSON *labels)
{
	if (!s || s->nothing)
		return false;
	for (int i = 0; i < s->n; i++)
		if (!req_matches(&s->reqs[i], labels))
			return false;
	return true;
}

bool cm_selector_empty(const struct cm_selector *s)
{
	return s && !s->nothing && s->n == 0;
}

int cm_selector_count(const struct cm_selector *s)
{
	return s ? s->n : 0;
}

static int cmp_req(const void *a, const void *b)
{
	const struct req *x = *(const struct req *const *)a, *y = *(const struct req *const *)b;
	int c = strcmp(x->key, y->key);
	return c ? c : (int)x->op - (int)y->op;
}

int cm_selector_format(const struct cm_selector *s, struct cm_buf *out)
{
	static const char *const ops[] = {
		[CM_SEL_EQ] = "=", [CM_SEL_NEQ] = "!=", [CM_SEL_GT] = ">", [CM_SEL_LT] = "<"};
	if (!s || s->nothing)
		return cm_buf_puts(out, "<none>");
	const struct req **sorted = malloc((size_t)(s->n ? s->n : 1) * sizeof(*sorted));
	int rc = 0;
	if (!sorted)
		return -ENOMEM;
	for (int i = 0; i < s->n; i++)
		sorted[i] = &s->reqs[i];
	qsort(sorted, (size_t)s->n, sizeof(*sorted), cmp_req);
	for (int i = 0; i < s->n && !rc; i++) {
		const struct req *r = sorted[i];
		if (i)
			rc = cm_buf_putc(out, ',');
		switch (r->op) {
		case CM_SEL_EXISTS:
			rc = rc ? rc : cm_buf_puts(out, r->key);
			break;
		case CM_SEL_NOTEXISTS:
			rc = rc ? rc : cm_buf_printf(out, "!%s", r->key);
			break;
		case CM_SEL_IN:
		case CM_SEL_NOTIN:
			rc = rc ? rc : cm_buf_printf(out, "%s %s (", r->key, r->op == CM_SEL_IN ? "in" : "notin");
			for (int j = 0; j < r->nvals && !rc; j++)
				rc = cm_buf_printf(out, "%s%s", j ? "," : "", r->vals[j]);
			rc = rc ? rc : cm_buf_putc(out, ')');
			break;
		default:
			rc = rc ? rc : cm_buf_printf(out, "%s%s%s", r->key, ops[r->op], r->vals[0]);
		}
	}
	free(sorted);
	return rc;
}
