/* patch_json.c: RFC 6902 JSON patch over RFC 6901 JSON pointers, applied all or nothing. */
#include "apiserver/patch.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int fail(struct cm_buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct cm_buf *err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		cm_buf_vprintf(err, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A pointer split into unescaped reference tokens. */
struct ptr {
	char **tok;
	int n;
};

static void ptr_close(struct ptr *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->tok[i]);
	free(p->tok);
	p->tok = NULL;
	p->n = 0;
}

static int ptr_parse(const char *s, struct ptr *p, struct cm_buf *err)
{
	memset(p, 0, sizeof(*p));
	if (!*s)
		return 0;
	if (*s != '/')
		return fail(err, "invalid JSON pointer \"%s\": must be empty or start with '/'", s);
	const char *q = s;
	while (*q == '/') {
		q++;
		size_t len = strcspn(q, "/");
		char *t = malloc(len + 1), *w = t;
		char **nt = realloc(p->tok, (size_t)(p->n + 1) * sizeof(char *));
		if (!t || !nt) {
			free(t);
			if (nt)
				p->tok = nt;
			ptr_close(p);
			return -ENOMEM;
		}
		p->tok = nt;
		p->tok[p->n++] = t;
		for (size_t i = 0; i < len; i++) {
			if (q[i] != '~') {
				*w++ = q[i];
				continue;
			}
			if (i + 1 < len && (q[i + 1] == '0' || q[i + 1] == '1')) {
				*w++ = q[++i] == '0' ? '~' : '/';
				continue;
			}
			ptr_close(p);
			return fail(err, "invalid JSON pointer \"%s\": '~' must be followed by 0 or 1", s);
		}
		*w = '\0';
		q += len;
	}
	return 0;
}

/* An array index: digits, no leading zero; "-" is n (one past the end) when allowed. */
static int array_index(const cJSON *arr, const char *tok, bool allow_end, int *out)
{
	int n = cJSON_GetArraySize(arr);
	if (allow_end && !strcmp(tok, "-")) {
		*out = n;
		return 0;
	}
	if (!*tok || (tok[0] == '0' && tok[1]) || strlen(tok) > 9)
		return -EINVAL;
	for (const char *c = tok; *c; c++)
		if (!isdigit((unsigned char)*c))
			return -EINVAL;
	int i = atoi(tok);
	if (i > n || (i == n && !allow_end))
		return -EINVAL;
	*out = i;
	return 0;
}

/* The value at the first n tokens of p, or NULL. */
static cJSON *walk(cJSON *doc, const struct ptr *p, int n)
{
	cJSON *cur = doc;
	for (int i = 0; i < n && cur; i++) {
		int idx;
		if (cJSON_IsObject(cur))
			cur = cJSON_GetObjectItemCaseSensitive(cur, p->tok[i]);
		else if (cJSON_IsArray(cur) && !array_index(cur, p->tok[i], false, &idx))
			cur = cJSON_GetArrayItem(cur, idx);
		else
			cur = NULL;
	}
	return cur;
}

/*
 * Inserts v before position idx by appending it and rotating the old tail
 * behind it (cJSON_InsertItemInArray of Debian's libcjson 1.7.15 fails for
 * positions past 0). Cannot fail once v is valid.
 */
static void array_insert(cJSON *arr, int idx, cJSON *v)
{
	int tail = cJSON_GetArraySize(arr) - idx;
	cJSON_AddItemToArray(arr, v);
	for (int k = 0; k < tail; k++)
		cJSON_AddItemToArray(arr, cJSON_DetachItemFromArray(arr, idx));
}

/* Adds v (taken over, freed on failure) at path p of *doc. */
static int do_add(cJSON **doc, const struct ptr *p, const char *path, cJSON *v, struct cm_buf *err)
{
	int idx;
	if (p->n == 0) {
		cJSON_Delete(*doc);
		*doc = v;
		return 0;
	}
	cJSON *parent = walk(*doc, p, p->n - 1);
	const char *last = p->tok[p->n - 1];
	if (cJSON_IsObject(parent)) {
		cJSON *old = cJSON_GetObjectItemCaseSensitive(parent, last);
		if (old)
			return cJSON_ReplaceItemInObjectCaseSensitive(parent, last, v) ? 0 : (cJSON_Delete(v), -ENOMEM);
		if (!cJSON_AddItemToObject(parent, last, v))
			return cJSON_Delete(v), -ENOMEM;
		return 0;
	}
	if (cJSON_IsArray(parent) && !array_index(parent, last, true, &idx)) {
		array_insert(parent, idx, v);
		return 0;
	}
	cJSON_Delete(v);
	if (cJSON_IsArray(parent))
		return fail(err, "add operation: invalid index \"%s\" in path \"%s\"", last, path);
	return fail(err, "add operation does not apply: doc is missing path: \"%s\"", path);
}

/* Detaches the value at p (which must exist and not be the root). */
static int do_detach(cJSON *doc, const struct ptr *p, const char *op, const char *path, cJSON **out,
		     struct cm_buf *err)
{
	if (p->n == 0)
		return fail(err, "%s operation: the whole document cannot be removed", op);
	cJSON *parent = walk(doc, p, p->n - 1), *item = walk(doc, p, p->n);
	if (!item)
		return fail(err, "%s operation does not apply: doc is missing path: \"%s\"", op, path);
	*out = cJSON_DetachItemViaPointer(parent, item);
	return 0;
}

static const char *member_str(const cJSON *op, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(op, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int apply_one(cJSON **doc, const cJSON *op, int i, struct cm_buf *err)
{
	const char *kind = member_str(op, "op"), *path = member_str(op, "path"), *from = member_str(op, "from");
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
	struct ptr p = {0}, f = {0};
	cJSON *item = NULL;
	int rc;
	if (!cJSON_IsObject(op) || !kind)
		return fail(err, "operation %d: missing \"op\"", i);
	if (!path)
		return fail(err, "operation %d (%s): missing \"path\"", i, kind);
	if ((rc = ptr_parse(path, &p, err)))
		return rc;
	if (!strcmp(kind, "add") || !strcmp(kind, "replace") || !strcmp(kind, "test")) {
		if (!value) {
			rc = fail(err, "operation %d (%s): missing \"value\"", i, kind);
		} else if (!strcmp(kind, "test")) {
			cJSON *cur = walk(*doc, &p, p.n);
			if (!cur || !cJSON_Compare(cur, value, 1))
				rc = fail(err, "testing value %s failed: test failed", path);
		} else if (!strcmp(kind, "replace") && !walk(*doc, &p, p.n)) {
			rc = fail(err, "replace operation does not apply: doc is missing key: %s", path);
		} else if (!(item = cJSON_Duplicate(value, 1))) {
			rc = -ENOMEM;
		} else {
			rc = do_add(doc, &p, path, item, err);
		}
	} else if (!strcmp(kind, "remove")) {
		if (!(rc = do_detach(*doc, &p, kind, path, &item, err)))
			cJSON_Delete(item);
	} else if (!strcmp(kind, "move") || !strcmp(kind, "copy")) {
		if (!from) {
			rc = fail(err, "operation %d (%s): missing \"from\"", i, kind);
		} else if (!(rc = ptr_parse(from, &f, err))) {
			size_t fl = strlen(from);
			if (!strcmp(kind, "move") && !strncmp(path, from, fl) && path[fl] == '/')
				rc = fail(err, "move operation: \"%s\" cannot be moved into its own child \"%s\"", from,
					  path);
			else if (!strcmp(kind, "move") && !strcmp(path, from))
				rc = walk(*doc, &f, f.n) ? 0 : fail(err, "move operation does not apply: doc is missing from path: \"%s\"", from);
			else if (!strcmp(kind, "move"))
				rc = do_detach(*doc, &f, kind, from, &item, err);
			else if (!walk(*doc, &f, f.n))
				rc = fail(err, "copy operation does not apply: doc is missing from path: \"%s\"", from);
			else if (!(item = cJSON_Duplicate(walk(*doc, &f, f.n), 1)))
				rc = -ENOMEM;
			if (!rc && item)
				rc = do_add(doc, &p, path, item, err);
		}
	} else {
		rc = fail(err, "operation %d: unexpected op \"%s\"", i, kind);
	}
	ptr_close(&p);
	ptr_close(&f);
	return rc;
}

int api_patch_json(const cJSON *doc, const cJSON *patch, cJSON **out, struct cm_buf *err)
{
	if (!cJSON_IsArray(patch))
		return fail(err, "a JSON patch must be a list of operations");
	/* Kubernetes' bound on the work one request may ask for */
	if (cJSON_GetArraySize(patch) > API_JSON_PATCH_MAX_OPS)
		return fail(err, "The allowed maximum operations in a JSON patch is %d, got %d", API_JSON_PATCH_MAX_OPS,
			    cJSON_GetArraySize(patch));
	cJSON *work = cJSON_Duplicate(doc, 1);
	int i = 0, rc = 0;
	if (!work)
		return doc ? -ENOMEM : fail(err, "no document to patch");
	const cJSON *op;
	cJSON_ArrayForEach(op, patch)
	{
		if ((rc = apply_one(&work, op, i++, err))) {
			cJSON_Delete(work);
			return rc;
		}
	}
	*out = work;
	return 0;
}
