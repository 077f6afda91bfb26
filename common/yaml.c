/* yaml.c: YAML documents to JSON trees over libyaml's event parser, with go-yaml v2's scalar rules. */
#include "common/yaml.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* Anchors seen in the current document; aliases are deep copies of the anchored node. */
struct anchor {
	char *name;
	cJSON *node; /* owned copy */
};

struct yparser {
	yaml_parser_t p;
	const char *name;
	struct cm_buf *err;
	struct cm_buf *dups; /* NULL: a duplicate key is an error; else its report goes here and the later value wins */
	struct anchor *anchors;
	size_t nanchors, capanchors;
	int depth;
	size_t alias_nodes; /* nodes copied through aliases in this parse */
};

/*
 * A few lines of anchors and aliases can expand to billions of nodes ("a
 * billion laughs"); go-yaml refuses such a document, and so do we, past this
 * many nodes copied through aliases. Real manifests stay far below it.
 */
#define YAML_MAX_ALIAS_NODES 100000

/* The nodes of j, counting no further than limit. */
static size_t count_nodes(const cJSON *j, size_t limit)
{
	size_t n = 1;

	for (const cJSON *c = j->child; c && n <= limit; c = c->next)
		n += count_nodes(c, limit - n);
	return n;
}

static int fail_at(struct yparser *y, size_t line, size_t col, const char *what)
{
	if (y->err) {
		if (y->name)
			cm_buf_printf(y->err, "%s:", y->name);
		cm_buf_printf(y->err, "%zu:%zu: %s", line + 1, col + 1, what);
	}
	return -EINVAL;
}

static int parser_error(struct yparser *y)
{
	if (y->p.error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (y->err) {
		if (y->name)
			cm_buf_printf(y->err, "%s:", y->name);
		cm_buf_printf(y->err, "%zu:%zu: %s", y->p.problem_mark.line + 1, y->p.problem_mark.column + 1,
			      y->p.problem ? y->p.problem : "invalid YAML");
		if (y->p.context)
			cm_buf_printf(y->err, " (%s at line %zu)", y->p.context, y->p.context_mark.line + 1);
	}
	return -EINVAL;
}

static int next_event(struct yparser *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&y->p, ev))
		return parser_error(y);
	return 0;
}

static void anchors_clear(struct yparser *y)
{
	for (size_t i = 0; i < y->nanchors; i++) {
		free(y->anchors[i].name);
		cJSON_Delete(y->anchors[i].node);
	}
	y->nanchors = 0;
}

static int anchor_add(struct yparser *y, const char *name, const cJSON *node)
{
	cJSON *copy;

	if (y->nanchors == y->capanchors) {
		size_t cap = y->capanchors ? y->capanchors * 2 : 8;
		struct anchor *a = realloc(y->anchors, cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		y->anchors = a;
		y->capanchors = cap;
	}
	copy = cJSON_Duplicate(node, 1);
	if (!copy)
		return -ENOMEM;
	y->anchors[y->nanchors].name = strdup(name);
	if (!y->anchors[y->nanchors].name) {
		cJSON_Delete(copy);
		return -ENOMEM;
	}
	y->anchors[y->nanchors++].node = copy;
	return 0;
}

static const cJSON *anchor_find(struct yparser *y, const char *name)
{
	/* The latest definition wins, as YAML allows redefining an anchor. */
	for (size_t i = y->nanchors; i-- > 0;)
		if (strcmp(y->anchors[i].name, name) == 0)
			return y->anchors[i].node;
	return NULL;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* go-yaml's float syntax: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool yaml_style_float(const char *s)
{
	const char *p = s;
	bool digits = false;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	} else {
		while (*p >= '0' && *p <= '9') {
			p++;
			digits = true;
		}
		if (!digits)
			return false;
		if (*p == '.') {
			p++;
			while (*p >= '0' && *p <= '9')
				p++;
		}
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/* Go's strconv.ParseInt(s, 0, 64) after removing underscores, widened to double. */
static bool parse_go_int(const char *s, double *out)
{
	const char *p = s;
	int base = 10;
	bool neg = false;
	long double v = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		return false;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
		base = 8;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
		base = 2;
		p += 2;
	} else if (p[0] == '0' && p[1]) {
		base = 8;
		p++;
	}
	if (!*p)
		return false;
	for (; *p; p++) {
		int d;
		if (*p == '_')
			continue;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return false;
		if (d >= base)
			return false;
		v = v * base + d;
	}
	*out = (double)(neg ? -v : v);
	return true;
}

/* The JSON value of a plain (unquoted, untagged) scalar, by go-yaml v2's resolve table. */
static cJSON *resolve_plain(const char *s)
{
	static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL};
	static const char *const no[] = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL};
	static const char *const nul[] = {"", "~", "null", "Null", "NULL", NULL};
	double d;

	if (in_list(s, nul))
		return cJSON_CreateNull();
	if (in_list(s, yes))
		return cJSON_CreateTrue();
	if (in_list(s, no))
		return cJSON_CreateFalse();
	if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+' || s[0] == '.') {
		char *plain = strdup(s), *w = plain;
		cJSON *r = NULL;
		if (!plain)
			return NULL;
		for (const char *q = s; *q; q++)
			if (*q != '_')
				*w++ = *q;
		*w = '\0';
		if (parse_go_int(plain, &d))
			r = cJSON_CreateNumber(d);
		else if (yaml_style_float(plain)) {
			/* out of a double's range it stays a string, as go-yaml's ParseFloat fails
			 * there (JSON has no infinity; fuzz_yaml found "2e808" loading as one) */
			errno = 0;
			double f = strtod(plain, NULL);
			if (errno != ERANGE || (f != 0 && !isinf(f)))
				r = cJSON_CreateNumber(f);
		}
		free(plain);
		if (r)
			return r;
	}
	return cJSON_CreateString(s);
}

static cJSON *scalar_value(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;

	if (tag && strcmp(tag, YAML_STR_TAG) == 0)
		return cJSON_CreateString(v);
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE && !(tag && strcmp(tag, "!") != 0))
		return cJSON_CreateString(v);
	return resolve_plain(v);
}

static int parse_node(struct yparser *y, yaml_event_t *ev, cJSON **out);

/* Writes a key node as the text JSON needs. */
static char *key_text(const cJSON *k)
{
	if (cJSON_IsString(k))
		return strdup(k->valuestring);
	if (cJSON_IsNull(k))
		return strdup("null");
	if (cJSON_IsBool(k))
		return strdup(cJSON_IsTrue(k) ? "true" : "false");
	return cJSON_PrintUnformatted(k);
}

/* Copies every member of src not already in dst (a "<<" merge: explicit keys win). */
static int merge_into(cJSON *dst, const cJSON *src)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, src)
	{
		cJSON *c;
		if (cJSON_GetObjectItemCaseSensitive(dst, m->string))
			continue;
		c = cJSON_Duplicate(m, 1);
		if (!c)
			return -ENOMEM;
		cJSON_AddItemToObject(dst, m->string, c);
	}
	return 0;
}

static int parse_mapping(struct yparser *y, cJSON **out)
{
	cJSON *obj = cJSON_CreateObject(), *merges = NULL;
	yaml_event_t ev;
	int rc;

	if (!obj)
		return -ENOMEM;
	for (;;) {
		cJSON *key = NULL, *val = NULL;
		char *k;
		bool is_merge;
		size_t line, col;

		if ((rc = next_event(y, &ev)))
			goto fail;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		line = ev.start_mark.line;
		col = ev.start_mark.column;
		is_merge = ev.type == YAML_SCALAR_EVENT && ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			   strcmp((const char *)ev.data.scalar.value, "<<") == 0;
		rc = parse_node(y, &ev, &key);
		yaml_event_delete(&ev);
		if (rc)
			goto fail;
		if ((rc = next_event(y, &ev))) {
			cJSON_Delete(key);
			goto fail;
		}
		rc = parse_node(y, &ev, &val);
		yaml_event_delete(&ev);
		if (rc) {
			cJSON_Delete(key);
			goto fail;
		}
		if (!is_merge && (cJSON_IsObject(key) || cJSON_IsArray(key))) {
			/* sigs.k8s.io/yaml refuses these too; printing them as text would
			 * also grow exponentially with nesting (found by fuzz_yaml: 1 GB). */
			cJSON_Delete(key);
			cJSON_Delete(val);
			rc = fail_at(y, line, col, "a map key must be a scalar, not a map or a list");
			goto fail;
		}
		if (is_merge) {
			cJSON_Delete(key);
			if (!merges && !(merges = cJSON_CreateArray())) {
				cJSON_Delete(val);
				rc = -ENOMEM;
				goto fail;
			}
			if (cJSON_IsArray(val)) {
				/* In a list of maps the earlier ones win, so merge them in order. */
				cJSON *item;
				cJSON_ArrayForEach(item, val) if (!cJSON_IsObject(item))
				{
					cJSON_Delete(val);
					rc = fail_at(y, line, col, "map merge requires a map or a list of maps");
					goto fail;
				}
			} else if (!cJSON_IsObject(val)) {
				cJSON_Delete(val);
				rc = fail_at(y, line, col, "map merge requires a map or a list of maps");
				goto fail;
			}
			cJSON_AddItemToArray(merges, val);
			continue;
		}
		k = key_text(key);
		cJSON_Delete(key);
		if (!k) {
			cJSON_Delete(val);
			rc = -ENOMEM;
			goto fail;
		}
		if (cJSON_GetObjectItemCaseSensitive(obj, k) && y->dups) {
			/* go-yaml's lenient decoding: the later value wins, the strict one's report is kept */
			rc = cm_buf_printf(y->dups, "line %zu: key \"%s\" already set in map%c", line + 1, k, '\0');
			if (!rc && !cJSON_ReplaceItemInObjectCaseSensitive(obj, k, val))
				rc = -ENOMEM;
			free(k);
			if (rc) {
				cJSON_Delete(val);
				goto fail;
			}
			continue;
		}
		if (cJSON_GetObjectItemCaseSensitive(obj, k)) {
			/* go-yaml's strict decoding refuses duplicate keys, as kubectl reads manifests */
			char msg[300];
			snprintf(msg, sizeof(msg), "key \"%.200s\" already set in map", k);
			free(k);
			cJSON_Delete(val);
			rc = fail_at(y, line, col, msg);
			goto fail;
		}
		cJSON_AddItemToObject(obj, k, val);
		free(k);
	}
	if (merges) {
		cJSON *m;
		cJSON_ArrayForEach(m, merges)
		{
			if (cJSON_IsArray(m)) {
				cJSON *item;
				cJSON_ArrayForEach(item, m) if ((rc = merge_into(obj, item))) goto fail;
			} else if ((rc = merge_into(obj, m))) {
				goto fail;
			}
		}
		cJSON_Delete(merges);
	}
	*out = obj;
	return 0;
fail:
	cJSON_Delete(merges);
	cJSON_Delete(obj);
	return rc;
}

static int parse_sequence(struct yparser *y, cJSON **out)
{
	cJSON *arr = cJSON_CreateArray();
	yaml_event_t ev;
	int rc;

	if (!arr)
		return -ENOMEM;
	for (;;) {
		cJSON *item = NULL;
		if ((rc = next_event(y, &ev)))
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		rc = parse_node(y, &ev, &item);
		yaml_event_delete(&ev);
		if (rc)
			goto fail;
		cJSON_AddItemToArray(arr, item);
	}
	*out = arr;
	return 0;
fail:
	cJSON_Delete(arr);
	return rc;
}

/* Builds the node that ev starts (ev stays owned by the caller). */
static int parse_node(struct yparser *y, yaml_event_t *ev, cJSON **out)
{
	const char *anchor = NULL;
	cJSON *node = NULL;
	int rc = 0;

	if (++y->depth > 200) {
		y->depth--;
		return fail_at(y, ev->start_mark.line, ev->start_mark.column, "nesting too deep");
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT: {
		const cJSON *a = anchor_find(y, (const char *)ev->data.alias.anchor);
		if (!a) {
			char msg[300];
			snprintf(msg, sizeof(msg), "unknown anchor '%.200s' referenced", ev->data.alias.anchor);
			rc = fail_at(y, ev->start_mark.line, ev->start_mark.column, msg);
			break;
		}
		y->alias_nodes += count_nodes(a, YAML_MAX_ALIAS_NODES);
		if (y->alias_nodes > YAML_MAX_ALIAS_NODES) {
			rc = fail_at(y, ev->start_mark.line, ev->start_mark.column, "document contains excessive aliasing");
			break;
		}
		if (!(node = cJSON_Duplicate(a, 1)))
			rc = -ENOMEM;
		break;
	}
	case YAML_SCALAR_EVENT:
		anchor = (const char *)ev->data.scalar.anchor;
		if (!(node = scalar_value(ev)))
			rc = -ENOMEM;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = (const char *)ev->data.mapping_start.anchor;
		rc = parse_mapping(y, &node);
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = (const char *)ev->data.sequence_start.anchor;
		rc = parse_sequence(y, &node);
		break;
	default:
		rc = fail_at(y, ev->start_mark.line, ev->start_mark.column, "unexpected YAML event");
	}
	y->depth--;
	if (rc)
		return rc;
	if (anchor && (rc = anchor_add(y, anchor, node))) {
		cJSON_Delete(node);
		return rc;
	}
	*out = node;
	return 0;
}

int cm_yaml_parse_all(const char *text, size_t len, const char *name, cJSON **out, struct cm_buf *err)
{
	return cm_yaml_parse_all_dups(text, len, name, out, err, NULL);
}

int cm_yaml_parse_all_dups(const char *text, size_t len, const char *name, cJSON **out, struct cm_buf *err,
			   struct cm_buf *dups)
{
	struct yparser y = {.name = name, .err = err, .dups = dups};
	cJSON *docs = cJSON_CreateArray();
	yaml_event_t ev;
	int rc = 0;

	if (!docs)
		return -ENOMEM;
	if (!yaml_parser_initialize(&y.p)) {
		cJSON_Delete(docs);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&y.p, (const unsigned char *)text, len);
	for (;;) {
		if ((rc = next_event(&y, &ev)))
			break;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			cJSON *doc = NULL;
			yaml_event_delete(&ev);
			if ((rc = next_event(&y, &ev)))
				break;
			rc = parse_node(&y, &ev, &doc);
			yaml_event_delete(&ev);
			anchors_clear(&y);
			if (rc)
				break;
			if ((rc = next_event(&y, &ev))) { /* DOCUMENT_END */
				cJSON_Delete(doc);
				break;
			}
			yaml_event_delete(&ev);
			if (cJSON_IsNull(doc))
				cJSON_Delete(doc); /* an empty document, as between two "---" */
			else
				cJSON_AddItemToArray(docs, doc);
			continue;
		}
		yaml_event_delete(&ev); /* STREAM_START */
	}
	anchors_clear(&y);
	free(y.anchors);
	yaml_parser_delete(&y.p);
	if (rc) {
		cJSON_Delete(docs);
		return rc;
	}
	*out = docs;
	return 0;
}
