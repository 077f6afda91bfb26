/* json.c: path access, int64 conventions, checked readers and parse/print over cJSON. */
#include "common/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Copies the next path segment starting at *p into seg, undoing backslash
 * escapes, and leaves *p after the separating dot (or at the end). Returns 0,
 * 1 at the end of the path, or -ENOMEM.
 */
static int next_segment(const char **p, struct cm_buf *seg)
{
	const char *s = *p;
	int rc;

	if (!s)
		return 1;
	cm_buf_reset(seg);
	rc = cm_buf_reserve(seg, 0); /* so seg->data is "" for an empty name */
	if (rc)
		return rc;
	for (; *s && *s != '.'; s++) {
		if (*s == '\\' && s[1])
			s++;
		rc = cm_buf_putc(seg, *s);
		if (rc)
			return rc;
	}
	*p = *s == '.' ? s + 1 : NULL;
	return 0;
}

/* The array index spelled by seg, or -1 if seg is not a plain decimal number. */
static long array_index(const char *seg)
{
	long v = 0;

	if (!*seg)
		return -1;
	for (; *seg; seg++) {
		if (*seg < '0' || *seg > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*seg - '0');
	}
	return v;
}

/* One step down from cur by the segment name, or NULL. */
static cJSON *step(const cJSON *cur, const char *seg)
{
	if (cJSON_IsObject(cur))
		return cJSON_GetObjectItemCaseSensitive(cur, seg);
	if (cJSON_IsArray(cur)) {
		long i = array_index(seg);
		if (i < 0 || i >= cJSON_GetArraySize(cur))
			return NULL;
		return cJSON_GetArrayItem(cur, (int)i);
	}
	return NULL;
}

cJSON *cm_json_get(const cJSON *root, const char *path)
{
	struct cm_buf seg = CM_BUF_INIT;
	const cJSON *cur = root;
	const char *p = path;

	if (!root)
		return NULL;
	if (!path || !*path)
		return (cJSON *)root;
	while (cur && next_segment(&p, &seg) == 0)
		cur = step(cur, seg.data);
	/* A path cut short by -ENOMEM reads as missing. */
	if (p)
		cur = NULL;
	cm_buf_close(&seg);
	return (cJSON *)cur;
}

const char *cm_json_get_str(const cJSON *root, const char *path)
{
	const cJSON *j = cm_json_get(root, path);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

const char *cm_json_str_or(const cJSON *root, const char *path, const char *def)
{
	const char *s = cm_json_get_str(root, path);

	return s ? s : def;
}

const char *cm_json_type_name(const cJSON *j)
{
	if (cJSON_IsString(j))
		return "string";
	if (cJSON_IsNumber(j))
		return "number";
	if (cJSON_IsBool(j))
		return "boolean";
	if (cJSON_IsNull(j))
		return "null";
	if (cJSON_IsArray(j))
		return "array";
	if (cJSON_IsObject(j))
		return "object";
	return "invalid";
}

const char *cm_json_go_type_name(const cJSON *j)
{
	return cJSON_IsBool(j) ? "bool" : cm_json_type_name(j);
}

/*
 * Converts j to int64. Returns 0, or -EINVAL with *why set to a short reason
 * ("expected integer, got string", ...).
 */
static int to_int64(const cJSON *j, int64_t *out, const char **why)
{
	if (cJSON_IsNumber(j)) {
		double v = j->valuedouble;
		if (v != floor(v) || isnan(v)) {
			*why = "expected integer, got fractional number";
			return -EINVAL;
		}
		/* 2^63 is exact as a double; INT64_MAX is not. */
		if (v < -9223372036854775808.0 || v >= 9223372036854775808.0) {
			*why = "integer out of range";
			return -EINVAL;
		}
		*out = (int64_t)v;
		return 0;
	}
	if (cJSON_IsString(j)) {
		const char *s = j->valuestring, *d = s + (*s == '-');
		char *end;
		long long v;

		if (!*d || strspn(d, "0123456789") != strlen(d)) {
			*why = "expected integer, got string";
			return -EINVAL;
		}
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == ERANGE) {
			*why = "integer out of range";
			return -EINVAL;
		}
		*out = v;
		return 0;
	}
	*why = cJSON_IsBool(j)	  ? "expected integer, got boolean"
	       : cJSON_IsNull(j)  ? "expected integer, got null"
	       : cJSON_IsArray(j) ? "expected integer, got array"
				  : "expected integer, got object";
	return -EINVAL;
}

int cm_json_get_int64(const cJSON *root, const char *path, int64_t *out)
{
	const cJSON *j = cm_json_get(root, path);
	const char *why;

	if (!j)
		return -ENOENT;
	return to_int64(j, out, &why);
}

int64_t cm_json_int64_or(const cJSON *root, const char *path, int64_t def)
{
	int64_t v;

	return cm_json_get_int64(root, path, &v) ? def : v;
}

int cm_json_get_bool(const cJSON *root, const char *path, bool *out)
{
	const cJSON *j = cm_json_get(root, path);

	if (!j)
		return -ENOENT;
	if (!cJSON_IsBool(j))
		return -EINVAL;
	*out = cJSON_IsTrue(j);
	return 0;
}

/* Appends "path: why" to err, separated from earlier messages by "; ". */
static void add_error(struct cm_buf *err, const char *path, const char *why)
{
	if (!err)
		return;
	if (err->len)
		cm_buf_puts(err, "; ");
	cm_buf_printf(err, "%s: %s", path, why);
}

int cm_json_read_str(const cJSON *root, const char *path, const char **out, struct cm_buf *err)
{
	const cJSON *j = cm_json_get(root, path);
	struct cm_buf why = CM_BUF_INIT;

	if (!j)
		return -ENOENT;
	if (cJSON_IsString(j)) {
		*out = j->valuestring;
		return 0;
	}
	cm_buf_printf(&why, "expected string, got %s", cm_json_type_name(j));
	add_error(err, path, why.data ? why.data : "expected string");
	cm_buf_close(&why);
	return -EINVAL;
}

int cm_json_read_int64(const cJSON *root, const char *path, int64_t *out, struct cm_buf *err)
{
	const cJSON *j = cm_json_get(root, path);
	const char *why;

	if (!j)
		return -ENOENT;
	if (to_int64(j, out, &why) == 0)
		return 0;
	add_error(err, path, why);
	return -EINVAL;
}

int cm_json_read_bool(const cJSON *root, const char *path, bool *out, struct cm_buf *err)
{
	const cJSON *j = cm_json_get(root, path);
	struct cm_buf why = CM_BUF_INIT;

	if (!j)
		return -ENOENT;
	if (cJSON_IsBool(j)) {
		*out = cJSON_IsTrue(j);
		return 0;
	}
	cm_buf_printf(&why, "expected boolean, got %s", cm_json_type_name(j));
	add_error(err, path, why.data ? why.data : "expected boolean");
	cm_buf_close(&why);
	return -EINVAL;
}

int cm_json_add_int64_str(cJSON *obj, const char *name, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	return cJSON_AddStringToObject(obj, name, num) ? 0 : -ENOMEM;
}

/* Puts item under name in obj (or at index name of an array), replacing. */
static int place(cJSON *parent, const char *name, cJSON *item)
{
	if (cJSON_IsObject(parent)) {
		if (cJSON_GetObjectItemCaseSensitive(parent, name))
			return cJSON_ReplaceItemInObjectCaseSensitive(parent, name, item) ? 0 : -ENOMEM;
		return cJSON_AddItemToObject(parent, name, item) ? 0 : -ENOMEM;
	}
	if (cJSON_IsArray(parent)) {
		long i = array_index(name);
		if (i < 0 || i >= cJSON_GetArraySize(parent))
			return -EINVAL;
		return cJSON_ReplaceItemInArray(parent, (int)i, item) ? 0 : -ENOMEM;
	}
	return -EINVAL;
}

/*
 * Wraps item in objects for the segments left in *p, innermost last, so the
 * missing part of a path is built apart and attached in one step: a failure
 * leaves root as it was. Takes item; returns the chain or NULL on -ENOMEM.
 */
static cJSON *wrap(cJSON *item, const char *p, struct cm_buf *seg)
{
	cJSON *obj;

	if (!p)
		return item;
	if (next_segment(&p, seg) != 0)
		goto fail;
	obj = cJSON_CreateObject();
	if (!obj)
		goto fail;
	{
		/* The name must survive the recursive call, which reuses seg. */
		char *name = strdup(seg->data);
		cJSON *inner;
		if (!name) {
			cJSON_Delete(obj);
			goto fail;
		}
		inner = wrap(item, p, seg);
		if (!inner || !cJSON_AddItemToObject(obj, name, inner)) {
			cJSON_Delete(inner);
			cJSON_Delete(obj);
			free(name);
			return NULL;
		}
		free(name);
	}
	return obj;
fail:
	cJSON_Delete(item);
	return NULL;
}

int cm_json_set(cJSON *root, const char *path, cJSON *item)
{
	struct cm_buf seg = CM_BUF_INIT;
	const char *p = path;
	cJSON *cur = root, *next;
	int rc;

	if (!item)
		return -ENOMEM; /* the caller's create failed */
	if (!root || !path || !*path) {
		rc = -EINVAL;
		goto fail;
	}
	for (;;) {
		rc = next_segment(&p, &seg);
		if (rc)
			goto fail;
		if (!p) /* the last segment: put the item there */
			break;
		next = step(cur, seg.data);
		if (!next) {
			char *name;
			if (!cJSON_IsObject(cur)) {
				rc = -EINVAL;
				goto fail;
			}
			name = strdup(seg.data);
			if (!name) {
				rc = -ENOMEM;
				goto fail;
			}
			item = wrap(item, p, &seg);
			rc = item ? place(cur, name, item) : -ENOMEM;
			free(name);
			if (rc && item)
				goto fail;
			cm_buf_close(&seg);
			return rc;
		}
		if (!cJSON_IsObject(next) && !cJSON_IsArray(next)) {
			rc = -EINVAL;
			goto fail;
		}
		cur = next;
	}
	rc = place(cur, seg.data, item);
	if (rc)
		goto fail;
	cm_buf_close(&seg);
	return 0;
fail:
	cJSON_Delete(item);
	cm_buf_close(&seg);
	return rc;
}

int cm_json_set_str(cJSON *root, const char *path, const char *s)
{
	return cm_json_set(root, path, cJSON_CreateString(s));
}

/*
 * The deepest nesting of arrays and objects in text[0..len), counted without
 * parsing (strings skipped), stopping once past limit. cJSON recurses once per
 * level and so does every walker of the tree after it (merge patches,
 * equality, printing): the bound has to hold before any of them runs.
 */
static size_t nesting_depth(const char *text, size_t len, size_t limit)
{
	size_t depth = 0, max = 0;
	int in_string = 0;

	for (size_t i = 0; i < len && max <= limit; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return max;
}

struct member_pos {
	cJSON *item;
	size_t pos;
};

static int member_cmp(const void *a, const void *b)
{
	const struct member_pos *x = a, *y = b;
	int c = strcmp(x->item->string, y->item->string);
	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Removes every member of every object in j that a later member of the same
 * name overrides. cJSON keeps duplicates and finds the first, while Go (the
 * clients, kubectl) reads the last: without this, a check made here could
 * pass on one value and a client act on another. Last wins, as in Go's
 * encoding/json and Kubernetes' default (non-strict) decoding. With dups,
 * each removed member's path (path holds j's) is appended to it. Returns 0 or
 * -ENOMEM. Recursion is bounded by CM_JSON_MAX_DEPTH.
 */
static int drop_duplicate_members(cJSON *j, struct cm_buf *path, struct cm_buf *dups)
{
	size_t n = 0, i, len = path->len;
	cJSON *c;
	int rc = 0;

	for (c = j->child; c; c = c->next) {
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && dups) {
			rc = cJSON_IsArray(j) ? cm_buf_printf(path, "[%zu]", n)
					      : cm_buf_printf(path, "%s%s", len ? "." : "", c->string);
			if (!rc)
				rc = drop_duplicate_members(c, path, dups);
			path->len = len;
		} else if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
			rc = drop_duplicate_members(c, path, dups);
		}
		if (rc < 0)
			return rc;
		n++;
	}
	if (!cJSON_IsObject(j) || n < 2)
		return 0;
	struct member_pos *m = malloc(n * sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (c = j->child, i = 0; c; c = c->next, i++)
		m[i] = (struct member_pos){c, i};
	qsort(m, n, sizeof(*m), member_cmp);
	for (i = 0; i + 1 < n && !rc; i++) {
		if (strcmp(m[i].item->string, m[i + 1].item->string))
			continue;
		if (dups)
			rc = cm_buf_printf(dups, "%.*s%s%s%c", (int)len, len ? path->data : "", len ? "." : "",
					   m[i].item->string, '\0');
		cJSON_Delete(cJSON_DetachItemViaPointer(j, m[i].item));
	}
	free(m);
	return rc;
}

int cm_json_parse(const char *text, size_t len, cJSON **out, struct cm_buf *err)
{
	return cm_json_parse_dups(text, len, out, err, NULL);
}

int cm_json_parse_dups(const char *text, size_t len, cJSON **out, struct cm_buf *err, struct cm_buf *dups)
{
	struct cm_buf path = CM_BUF_INIT;
	int rc;
	const char *end = NULL;
	cJSON *j;

	if (len == 0) {
		if (err)
			cm_buf_puts(err, "invalid JSON at offset 0: empty input");
		return -EINVAL;
	}
	if (nesting_depth(text, len, CM_JSON_MAX_DEPTH) > CM_JSON_MAX_DEPTH) {
		if (err)
			cm_buf_printf(err, "invalid JSON: nested deeper than %d levels", CM_JSON_MAX_DEPTH);
		return -EINVAL;
	}
	j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!j) {
		/* cJSON does not tell -ENOMEM from bad syntax; bad syntax is far likelier. */
		size_t off = end && end >= text ? (size_t)(end - text) : 0;
		if (err)
			cm_buf_printf(err, "invalid JSON at offset %zu", off);
		return -EINVAL;
	}
	/*
	 * Trailing whitespace is fine; anything else after the value is not,
	 * a NUL included: "{}\0{...}" must not pass as {} here while another
	 * reader of the same bytes sees more.
	 */
	while (end < text + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end < text + len) {
		if (err)
			cm_buf_printf(err, "invalid JSON at offset %zu: trailing data",
				      (size_t)(end - text));
		cJSON_Delete(j);
		return -EINVAL;
	}
	rc = drop_duplicate_members(j, &path, dups);
	cm_buf_close(&path);
	if (rc < 0) {
		if (err)
			cm_buf_puts(err, "out of memory");
		cJSON_Delete(j);
		return -ENOMEM;
	}
	*out = j;
	return 0;
}

/*
 * Printed in place into out: cJSON_PrintUnformatted grows its own buffer by
 * realloc from 256 bytes and the text was copied after, which made printing
 * the allocator's busiest caller in the apiserver. A print that does not fit
 * stops where it runs out, and the room doubles; past PRINT_IN_PLACE_MAX
 * (large lists, or an item cJSON cannot print at all) cJSON's own growth
 * takes over.
 */
#define PRINT_IN_PLACE_MIN 4096
#define PRINT_IN_PLACE_MAX (1u << 20)

int cm_json_print(const cJSON *j, struct cm_buf *out)
{
	char *s;
	int rc;

	for (size_t room = PRINT_IN_PLACE_MIN; room <= PRINT_IN_PLACE_MAX; room *= 2) {
		rc = cm_buf_reserve(out, room);
		if (rc)
			return rc;
		if (cJSON_PrintPreallocated((cJSON *)j, out->data + out->len, (int)room, 0)) {
			out->len += strlen(out->data + out->len);
			return 0;
		}
		out->data[out->len] = '\0';
	}
	s = cJSON_PrintUnformatted(j);

	if (!s)
		return -ENOMEM;
	rc = cm_buf_puts(out, s);
	free(s);
	return rc;
}

bool cm_json_equal(const cJSON *a, const cJSON *b)
{
	const cJSON *x;

	if (!a || !b)
		return a == b;
	if ((a->type & 0xff) != (b->type & 0xff))
		return false;
	switch (a->type & 0xff) {
	case cJSON_False:
	case cJSON_True:
	case cJSON_NULL:
		return true;
	case cJSON_Number:
		return a->valuedouble == b->valuedouble;
	case cJSON_String:
	case cJSON_Raw:
		return strcmp(a->valuestring, b->valuestring) == 0;
	case cJSON_Array:
		for (a = a->child, b = b->child; a && b; a = a->next, b = b->next)
			if (!cm_json_equal(a, b))
				return false;
		return !a && !b;
	case cJSON_Object:
		if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
			return false;
		cJSON_ArrayForEach(x, a)
		{
			if (!cm_json_equal(x, cJSON_GetObjectItemCaseSensitive(b, x->string)))
				return false;
		}
		return true;
	default:
		return false;
	}
}

cJSON *cm_json_copy(const cJSON *j)
{
	return cJSON_Duplicate(j, 1);
}
