/* field_check.c: unknown fields at every depth, found through a compiled copy of the schema table. */
#include "apiserver/field_check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/openapi_schemas.h"

struct fc_field {
	const char *name;
	int schema; /* the schema its value (or each list item) is checked against; -1: not checked */
	bool list;
};

struct fc_schema {
	const struct api_oa_row *head;
	size_t first, end; /* its field rows in api_oa_rows */
	struct fc_field *fields; /* sorted by name; none: an open schema */
	size_t n;
};

struct api_field_check {
	struct fc_schema *s;
	size_t n;
};

/* The schema a field type names (api_oa_resolve), as an index of fc, or -1. */
static int resolve(const struct api_field_check *fc, const char *from, const char *type)
{
	long row = api_oa_resolve(from, type);

	for (size_t i = 0; row >= 0 && i < fc->n; i++)
		if (fc->s[i].head == &api_oa_rows[row])
			return (int)i;
	return -1;
}

/* The schema a field of this type is walked against: a listed-fields schema, else -1 (scalars, maps, open). */
static int walked_schema(const struct api_field_check *fc, const char *from, const char *type, bool *list)
{
	int i;

	*list = !strncmp(type, "[]", 2);
	if (*list)
		type += 2;
	if (!strncmp(type, "map[", 4) || strchr(type, '|') || (*type >= 'a' && *type <= 'z'))
		return -1; /* a map, an enum or a primitive (all lower case) */
	i = resolve(fc, from, type);
	return i >= 0 && fc->s[i].n ? i : -1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct fc_field *)a)->name, ((const struct fc_field *)b)->name);
}

/* Fills schema i's field names (a kind also takes apiVersion, kind and metadata). */
static int add_fields(struct api_field_check *fc, size_t i)
{
	struct fc_schema *s = &fc->s[i];
	bool kind = s->head->what == API_OA_KIND;
	size_t n = s->end - s->first + (kind ? 3 : 0);

	if (s->head->what == API_OA_SCALAR || !n)
		return 0;
	s->fields = calloc(n, sizeof(*s->fields));
	if (!s->fields)
		return -ENOMEM;
	for (size_t r = s->first; r < s->end; r++)
		s->fields[s->n++].name = api_oa_rows[r].name;
	if (kind) {
		s->fields[s->n++].name = "apiVersion";
		s->fields[s->n++].name = "kind";
		s->fields[s->n++].name = "metadata";
	}
	return 0;
}

/* Resolves each field's schema once every schema's fields are known, then sorts them for the walk's search. */
static void resolve_fields(struct api_field_check *fc, size_t i)
{
	struct fc_schema *s = &fc->s[i];

	for (size_t f = 0; f < s->n; f++) {
		size_t r = s->first + f;
		const char *type = r < s->end ? api_oa_rows[r].type : !strcmp(s->fields[f].name, "metadata") ?
										  "ObjectMeta" : "string";

		s->fields[f].schema = walked_schema(fc, s->head->name, type, &s->fields[f].list);
	}
	if (s->n) /* an open schema has no fields (and no array) */
		qsort(s->fields, s->n, sizeof(*s->fields), by_name);
}

int api_field_check_new(struct api_field_check **out)
{
	struct api_field_check *fc = calloc(1, sizeof(*fc));
	int rc = -ENOMEM;

	if (!fc || !(fc->s = calloc(api_oa_nrows, sizeof(*fc->s))))
		goto fail;
	for (size_t r = 0; r < api_oa_nrows; r++) {
		if (api_oa_is_head(&api_oa_rows[r])) {
			fc->s[fc->n].head = &api_oa_rows[r];
			fc->s[fc->n].first = fc->s[fc->n].end = r + 1;
			fc->n++;
		} else if (fc->n) {
			fc->s[fc->n - 1].end = r + 1;
		}
	}
	for (size_t i = 0; i < fc->n; i++)
		if ((rc = add_fields(fc, i)) < 0)
			goto fail;
	for (size_t i = 0; i < fc->n; i++)
		resolve_fields(fc, i);
	*out = fc;
	return 0;
fail:
	api_field_check_free(fc);
	return rc;
}

void api_field_check_free(struct api_field_check *fc)
{
	if (!fc)
		return;
	for (size_t i = 0; fc->s && i < fc->n; i++)
		free(fc->s[i].fields);
	free(fc->s);
	free(fc);
}

int api_field_check_kind(const struct api_field_check *fc, const char *api_version, const char *kind)
{
	for (size_t i = 0; i < fc->n; i++) {
		const struct api_oa_row *h = fc->s[i].head;

		if (h->what == API_OA_KIND && !strcmp(h->type, api_version) &&
		    !strcmp(h->name + api_oa_package_len(h->name), kind))
			return fc->s[i].n ? (int)i : -1;
	}
	return -1;
}

void api_field_problems_init(struct api_field_problems *p)
{
	cm_buf_init(&p->text);
	p->n = 0;
}

void api_field_problems_close(struct api_field_problems *p)
{
	cm_buf_close(&p->text);
	p->n = 0;
}

void api_field_problems_reset(struct api_field_problems *p)
{
	cm_buf_reset(&p->text);
	p->n = 0;
}

const char *api_field_problems_next(const struct api_field_problems *p, const char *prev)
{
	const char *next;

	if (!p->n)
		return NULL;
	if (!prev)
		return p->text.data;
	next = prev + strlen(prev) + 1;
	return next < p->text.data + p->text.len ? next : NULL;
}

/* One walk: the schemas, the path of the member being looked at, and what was found. */
struct walk {
	const struct api_field_check *fc;
	unsigned flags;
	struct cm_buf path;
	struct api_field_problems *out;
};

int api_field_problems_add(struct api_field_problems *p, const char *what, const char *path, const char *name)
{
	size_t before = p->text.len;

	if (p->n >= API_FIELD_PROBLEMS_MAX)
		return 0;
	if (cm_buf_printf(&p->text, "%s field \"%s%s%s\"%c", what, path, *path && name ? "." : "", name ? name : "",
			  '\0') < 0) {
		p->text.len = before;
		return -ENOMEM;
	}
	p->n++;
	return 0;
}

int api_field_problems_add_text(struct api_field_problems *p, const char *msg)
{
	if (p->n >= API_FIELD_PROBLEMS_MAX)
		return 0;
	if (cm_buf_append(&p->text, msg, strlen(msg) + 1) < 0)
		return -ENOMEM;
	p->n++;
	return 0;
}

static int report(struct walk *w, const char *what, const char *name)
{
	return api_field_problems_add(w->out, what, w->path.len ? w->path.data : "", name);
}

/* Sets the path back to len characters. */
static void path_cut(struct walk *w, size_t len)
{
	w->path.len = len;
	if (w->path.data)
		w->path.data[len] = '\0';
}

static int walk_object(struct walk *w, int schema, cJSON *obj);

/* The value of a known field: an object, or a list of them, walked against the field's schema. */
static int walk_value(struct walk *w, const struct fc_field *f, cJSON *v)
{
	size_t len = w->path.len;
	cJSON *it;
	int rc = 0, i = 0;

	if (f->schema < 0 || (f->list ? !cJSON_IsArray(v) : !cJSON_IsObject(v)))
		return 0; /* a wrong type is the type checks' business, not this walk's */
	if (cm_buf_printf(&w->path, "%s%s", len ? "." : "", f->name) < 0)
		return -ENOMEM;
	if (!f->list) {
		rc = walk_object(w, f->schema, v);
		path_cut(w, len);
		return rc;
	}
	cJSON_ArrayForEach(it, v) {
		size_t item = w->path.len;

		if (cm_buf_printf(&w->path, "[%d]", i++) < 0)
			rc = -ENOMEM;
		else if (cJSON_IsObject(it))
			rc = walk_object(w, f->schema, it);
		path_cut(w, item);
		if (rc < 0)
			break;
	}
	path_cut(w, len);
	return rc;
}

static int walk_object(struct walk *w, int schema, cJSON *obj)
{
	const struct fc_schema *s = &w->fc->s[schema];
	cJSON *m, *next;
	int rc;

	for (m = obj->child; m; m = next) {
		struct fc_field key = {m->string, -1, false};
		const struct fc_field *f;

		next = m->next;
		if (!m->string || ((w->flags & API_FIELD_DIRECTIVES) && m->string[0] == '$'))
			continue;
		f = bsearch(&key, s->fields, s->n, sizeof(*s->fields), by_name);
		rc = f ? walk_value(w, f, m) : report(w, "unknown", m->string);
		if (rc < 0)
			return rc;
		if (!f && (w->flags & API_FIELD_PRUNE))
			cJSON_Delete(cJSON_DetachItemViaPointer(obj, m));
	}
	return 0;
}

int api_field_check_walk(const struct api_field_check *fc, int schema, cJSON *obj, unsigned flags,
			 struct api_field_problems *out)
{
	struct walk w = {fc, flags, CM_BUF_INIT, out};
	int rc;

	if (schema < 0 || (size_t)schema >= fc->n || !fc->s[schema].n || !cJSON_IsObject(obj))
		return 0;
	rc = walk_object(&w, schema, obj);
	cm_buf_close(&w.path);
	return rc;
}
