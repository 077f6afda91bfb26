/* managed_fields.c: field sets of objects (what a manager owns), their comparison, set algebra and FieldsV1 encoding. */
#include "apiserver/managed_fields.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/smpatch.h"

#define SELF "."

enum list_kind { LIST_ATOMIC, LIST_KEYED, LIST_SET };

/*
 * Maps Kubernetes' types declare atomic (a label selector is replaced
 * whole, never merged key by key): one leaf, whoever set it owns all of it.
 */
static bool atomic_map(const char *parent, const char *field)
{
	return (!strcmp(parent, "spec") && !strcmp(field, "selector")) || !strcmp(field, "nodeSelector") ||
	       !strcmp(field, "labelSelector") || !strcmp(field, "namespaceSelector");
}

/* Whether the list field under parent merges by key, as a set, or is atomic; the smpatch table decides. */
static enum list_kind list_kind(const char *parent, const char *field, const char **key)
{
	switch (cm_smpatch_strategy(parent, field, key)) {
	case CM_SM_MERGE_KEY:
		return LIST_KEYED;
	case CM_SM_MERGE_SCALARS:
		return LIST_SET;
	default:
		return LIST_ATOMIC;
	}
}

/* Fields the server sets or strips from what any manager owns (as Kubernetes' stripMeta). */
static bool stripped(int level, const char *parent, const char *name, bool skip_status)
{
	static const char *const meta[] = {"name",	       "namespace",	    "uid",	"resourceVersion",
					   "generation", "creationTimestamp", "managedFields", "selfLink"};

	if (level == 0)
		return !strcmp(name, "apiVersion") || !strcmp(name, "kind") || (skip_status && !strcmp(name, "status"));
	if (level == 1 && !strcmp(parent, "metadata")) {
		for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
			if (!strcmp(name, meta[i]))
				return true;
	}
	return false;
}

static cJSON *child(cJSON *node, const char *name)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(node, name);

	if (c)
		return c;
	c = cJSON_CreateObject();
	if (c && !cJSON_AddItemToObject(node, name, c)) {
		cJSON_Delete(c);
		return NULL;
	}
	return c;
}

static int mark(cJSON *node)
{
	return cJSON_GetObjectItemCaseSensitive(node, SELF) ? 0 : child(node, SELF) ? 0 : -ENOMEM;
}

/* Drops nodes that lead to no member. */
static void tidy(cJSON *node)
{
	cJSON *c = node->child, *next;

	for (; c; c = next) {
		next = c->next;
		if (!strcmp(c->string, SELF))
			continue;
		tidy(c);
		if (!c->child)
			cJSON_Delete(cJSON_DetachItemViaPointer(node, c));
	}
}

static int printed(const cJSON *v, const char *prefix, struct cm_buf *out)
{
	char *s = cJSON_PrintUnformatted(v);
	int rc;

	if (!s)
		return -ENOMEM;
	cm_buf_reset(out);
	rc = cm_buf_printf(out, "%s%s", prefix, s);
	free(s);
	return rc;
}

/*
 * The path element of a keyed item: its merge key, and for ports their
 * protocol too (TCP when unset), as Kubernetes keys container and service
 * ports. -EINVAL when the item has no scalar key.
 */
static int item_key(const cJSON *item, const char *key, struct cm_buf *out)
{
	const cJSON *kv = cJSON_GetObjectItemCaseSensitive(item, key);
	cJSON *k;
	int rc;

	if (!cJSON_IsObject(item) || !kv || cJSON_IsObject(kv) || cJSON_IsArray(kv))
		return -EINVAL;
	k = cJSON_CreateObject();
	if (!k || !cJSON_AddItemToObject(k, key, cJSON_Duplicate(kv, 1)))
		goto oom;
	if (!strcmp(key, "containerPort") || !strcmp(key, "port")) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(item, "protocol");

		/* "containerPort" and "port" both sort before "protocol" */
		if (!cJSON_AddItemToObject(k, "protocol", p ? cJSON_Duplicate(p, 1) : cJSON_CreateString("TCP")))
			goto oom;
	}
	rc = printed(k, "k:", out);
	cJSON_Delete(k);
	return rc;
oom:
	cJSON_Delete(k);
	return -ENOMEM;
}

/* The path element of a list item: "k:" for keyed lists, "v:" for sets. */
static int item_elem(const cJSON *item, enum list_kind kind, const char *key, struct cm_buf *out)
{
	if (kind == LIST_KEYED)
		return item_key(item, key, out);
	if (cJSON_IsObject(item) || cJSON_IsArray(item))
		return -EINVAL;
	return printed(item, "v:", out);
}

/* A keyed or set list whose every item has a distinct element; otherwise Kubernetes would refuse it, we treat it as atomic. */
static enum list_kind usable_kind(const cJSON *list, const char *parent, const char *field, const char **key)
{
	enum list_kind kind = list_kind(parent, field, key);
	struct cm_buf e = CM_BUF_INIT;
	cJSON *seen;
	const cJSON *it;

	if (kind == LIST_ATOMIC)
		return kind;
	seen = cJSON_CreateObject();
	cJSON_ArrayForEach(it, list) {
		if (!seen || item_elem(it, kind, *key, &e) < 0 || cJSON_GetObjectItemCaseSensitive(seen, e.data) ||
		    !cJSON_AddItemToObject(seen, e.data, cJSON_CreateNull())) {
			kind = LIST_ATOMIC;
			break;
		}
	}
	cJSON_Delete(seen);
	cm_buf_close(&e);
	return kind;
}

/* Which nodes of a subtree are members besides its leaves and list items. */
enum mode {
	LEAVES, /* none: what an applier sets */
	ADDED,  /* the maps and lists an update added (added_self) */
	ALL,    /* every one: a subtree removed */
};

static int add_map(cJSON *node, const cJSON *obj, const char *parent, int level, bool skip_status, enum mode mode);

/* Adds to node (the field's node) the members of value v of field under parent. */
static int add_value(cJSON *node, const cJSON *v, const char *parent, const char *field, int level, enum mode mode)
{
	bool all = mode == ALL;

	if (all || (!cJSON_IsObject(v) && !cJSON_IsArray(v)) || !v->child)
		if (mark(node) < 0)
			return -ENOMEM;
	if (cJSON_IsObject(v) && v->child) {
		if (atomic_map(parent, field))
			return mark(node);
		return add_map(node, v, field, level + 1, false, mode);
	}
	if (cJSON_IsArray(v) && v->child) {
		const char *key = NULL;
		enum list_kind kind = usable_kind(v, parent, field, &key);
		struct cm_buf e = CM_BUF_INIT;
		const cJSON *it;
		int rc = 0;

		if (kind == LIST_ATOMIC)
			return mark(node);
		cJSON_ArrayForEach(it, v) {
			cJSON *c;

			if ((rc = item_elem(it, kind, key, &e)) < 0)
				break;
			if (!(c = child(node, e.data)) || mark(c) < 0) {
				rc = -ENOMEM;
				break;
			}
			if (kind == LIST_KEYED && (rc = add_map(c, it, field, level + 1, false, mode)) < 0)
				break;
		}
		cm_buf_close(&e);
		return rc;
	}
	return 0;
}

/*
 * Whether a map or list field added by an update is itself a member, as
 * Kubernetes records one that was absent before (an omitempty field in Go);
 * the fields of its types that are always present (plain structs) are not.
 */
static bool added_self(int level, const char *field, const cJSON *v)
{
	static const char *const structs[] = {"spec", "metadata", "template", "strategy", "containers"};

	if (level == 0 || !(cJSON_IsObject(v) || cJSON_IsArray(v)) || !v->child)
		return false;
	for (size_t i = 0; i < sizeof(structs) / sizeof(structs[0]); i++)
		if (!strcmp(field, structs[i]))
			return false;
	return true;
}

static int field_elem(const char *name, struct cm_buf *out)
{
	cm_buf_reset(out);
	return cm_buf_printf(out, "f:%s", name);
}

static int add_map(cJSON *node, const cJSON *obj, const char *parent, int level, bool skip_status, enum mode mode)
{
	struct cm_buf e = CM_BUF_INIT;
	const cJSON *m;
	int rc = 0;

	cJSON_ArrayForEach(m, obj) {
		cJSON *c;

		if (stripped(level, parent, m->string, skip_status))
			continue;
		if (field_elem(m->string, &e) < 0 || !(c = child(node, e.data))) {
			rc = -ENOMEM;
			break;
		}
		if ((rc = add_value(c, m, parent, m->string, level, mode)) < 0 ||
		    (mode == ADDED && added_self(level, m->string, m) && (rc = mark(c)) < 0))
			break;
	}
	cm_buf_close(&e);
	return rc;
}

int api_mf_set_of(const cJSON *obj, bool skip_status, cJSON **out)
{
	cJSON *s = cJSON_CreateObject();

	if (!s || add_map(s, obj, "", 0, skip_status, LEAVES) < 0) {
		cJSON_Delete(s);
		return -ENOMEM;
	}
	tidy(s);
	*out = s;
	return 0;
}

struct cmp {
	bool skip_status;
};

static int cmp_map(const struct cmp *k, const cJSON *om, const cJSON *nm, cJSON *ch, cJSON *rm, const char *parent,
		   int level);

static int cmp_list(const struct cmp *k, const cJSON *ol, const cJSON *nl, cJSON *ch, cJSON *rm, const char *parent,
		    const char *field, int level)
{
	const char *key = NULL, *key2 = NULL;
	enum list_kind kind = usable_kind(nl, parent, field, &key);
	struct cm_buf e = CM_BUF_INIT, oe = CM_BUF_INIT;
	const cJSON *it, *o;
	int rc = 0;

	if (kind == LIST_ATOMIC || usable_kind(ol, parent, field, &key2) != kind) {
		if (cJSON_Compare(ol, nl, 1))
			return 0;
		return mark(ch) < 0 || add_value(rm, ol, parent, field, level, ALL) < 0 ? -ENOMEM : 0;
	}
	cJSON_ArrayForEach(it, nl) {
		const cJSON *match = NULL;
		cJSON *c;

		if ((rc = item_elem(it, kind, key, &e)) < 0)
			goto out;
		cJSON_ArrayForEach(o, ol) {
			if (item_elem(o, kind, key, &oe) == 0 && !strcmp(oe.data, e.data)) {
				match = o;
				break;
			}
		}
		if (!(c = child(ch, e.data))) {
			rc = -ENOMEM;
			goto out;
		}
		if (!match) {
			rc = mark(c);
			if (!rc && kind == LIST_KEYED)
				rc = add_map(c, it, field, level + 1, false, ADDED);
		} else if (kind == LIST_KEYED) {
			cJSON *r = child(rm, e.data);

			rc = r ? cmp_map(k, match, it, c, r, field, level + 1) : -ENOMEM;
		}
		if (rc < 0)
			goto out;
	}
	cJSON_ArrayForEach(o, ol) {
		bool found = false;
		cJSON *r;

		if ((rc = item_elem(o, kind, key, &oe)) < 0)
			goto out;
		cJSON_ArrayForEach(it, nl) {
			if (item_elem(it, kind, key, &e) == 0 && !strcmp(oe.data, e.data)) {
				found = true;
				break;
			}
		}
		if (found)
			continue;
		if (!(r = child(rm, oe.data)) || mark(r) < 0 ||
		    (kind == LIST_KEYED && add_map(r, o, field, level + 1, false, ALL) < 0)) {
			rc = -ENOMEM;
			goto out;
		}
	}
out:
	cm_buf_close(&e);
	cm_buf_close(&oe);
	return rc;
}

static int cmp_value(const struct cmp *k, const cJSON *ov, const cJSON *nv, cJSON *ch, cJSON *rm, const char *parent,
		     const char *field, int level)
{
	if (cJSON_IsObject(ov) && cJSON_IsObject(nv) && ov->child && nv->child && !atomic_map(parent, field))
		return cmp_map(k, ov, nv, ch, rm, field, level + 1);
	if (cJSON_IsArray(ov) && cJSON_IsArray(nv) && ov->child && nv->child)
		return cmp_list(k, ov, nv, ch, rm, parent, field, level);
	if (cJSON_Compare(ov, nv, 1))
		return 0;
	/* a new value of another shape: the old one's fields are gone, the new one's are all new */
	if ((cJSON_IsObject(ov) || cJSON_IsArray(ov)) && ov->child && add_value(rm, ov, parent, field, level, ALL) < 0)
		return -ENOMEM;
	return add_value(ch, nv, parent, field, level, ADDED) < 0 || mark(ch) < 0 ? -ENOMEM : 0;
}

static int cmp_map(const struct cmp *k, const cJSON *om, const cJSON *nm, cJSON *ch, cJSON *rm, const char *parent,
		   int level)
{
	struct cm_buf e = CM_BUF_INIT;
	const cJSON *m;
	int rc = 0;

	cJSON_ArrayForEach(m, nm) {
		const cJSON *ov = cJSON_GetObjectItemCaseSensitive(om, m->string);
		cJSON *c, *r;

		if (stripped(level, parent, m->string, k->skip_status))
			continue;
		if (field_elem(m->string, &e) < 0 || !(c = child(ch, e.data)) || !(r = child(rm, e.data))) {
			rc = -ENOMEM;
			break;
		}
		if (ov)
			rc = cmp_value(k, ov, m, c, r, parent, m->string, level);
		else if (!(rc = add_value(c, m, parent, m->string, level, ADDED)) && added_self(level, m->string, m))
			rc = mark(c);
		if (rc < 0)
			break;
	}
	cJSON_ArrayForEach(m, om) {
		cJSON *r;

		if (rc < 0)
			break;
		if (stripped(level, parent, m->string, k->skip_status) || cJSON_GetObjectItemCaseSensitive(nm, m->string))
			continue;
		if (field_elem(m->string, &e) < 0 || !(r = child(rm, e.data)))
			rc = -ENOMEM;
		else
			rc = add_value(r, m, parent, m->string, level, ALL);
	}
	cm_buf_close(&e);
	return rc;
}

int api_mf_compare(const cJSON *old, const cJSON *new, bool skip_status, cJSON **changed, cJSON **removed)
{
	struct cmp k = {.skip_status = skip_status};
	cJSON *ch = cJSON_CreateObject(), *rm = cJSON_CreateObject(), *empty = cJSON_CreateObject();

	if (!ch || !rm || !empty || cmp_map(&k, old ? old : empty, new, ch, rm, "", 0) < 0) {
		cJSON_Delete(ch);
		cJSON_Delete(rm);
		cJSON_Delete(empty);
		return -ENOMEM;
	}
	cJSON_Delete(empty);
	tidy(ch);
	tidy(rm);
	*changed = ch;
	*removed = rm;
	return 0;
}

int api_mf_union(cJSON *a, const cJSON *b)
{
	const cJSON *bc;

	cJSON_ArrayForEach(bc, b) {
		cJSON *ac = cJSON_GetObjectItemCaseSensitive(a, bc->string);

		if (!ac) {
			cJSON *cp = cJSON_Duplicate(bc, 1);

			if (!cp || !cJSON_AddItemToObject(a, bc->string, cp)) {
				cJSON_Delete(cp);
				return -ENOMEM;
			}
		} else if (strcmp(bc->string, SELF) && api_mf_union(ac, bc) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

void api_mf_subtract(cJSON *a, const cJSON *b)
{
	cJSON *ac = a->child, *next;

	for (; ac; ac = next) {
		const cJSON *bc = cJSON_GetObjectItemCaseSensitive(b, ac->string);

		next = ac->next;
		if (!bc)
			continue;
		if (strcmp(ac->string, SELF))
			api_mf_subtract(ac, bc);
		if (!strcmp(ac->string, SELF) || !ac->child)
			cJSON_Delete(cJSON_DetachItemViaPointer(a, ac));
	}
}

static int intersect(const cJSON *a, const cJSON *b, cJSON *out)
{
	const cJSON *ac;

	cJSON_ArrayForEach(ac, a) {
		const cJSON *bc = cJSON_GetObjectItemCaseSensitive(b, ac->string);
		cJSON *c;

		if (!bc)
			continue;
		if (!(c = cJSON_CreateObject()))
			return -ENOMEM;
		if ((strcmp(ac->string, SELF) && intersect(ac, bc, c) < 0) ||
		    ((!strcmp(ac->string, SELF) || c->child) && !cJSON_AddItemToObject(out, ac->string, c))) {
			cJSON_Delete(c);
			return -ENOMEM;
		}
		if (strcmp(ac->string, SELF) && !c->child)
			cJSON_Delete(c);
	}
	return 0;
}

int api_mf_intersect(const cJSON *a, const cJSON *b, cJSON **out)
{
	cJSON *s = cJSON_CreateObject();

	if (!s || intersect(a, b, s) < 0) {
		cJSON_Delete(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

bool api_mf_empty(const cJSON *s)
{
	return !s || !s->child;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* The members of node in sorted order ("." first: it sorts before "f:", "k:", "v:"), in a new array; NULL on -ENOMEM. */
static const cJSON **sorted_members(const cJSON *node, size_t *n)
{
	const cJSON **kids, *c;
	size_t i = 0;

	*n = 0;
	cJSON_ArrayForEach(c, node) (*n)++;
	if (!(kids = calloc(*n ? *n : 1, sizeof(*kids))))
		return NULL;
	cJSON_ArrayForEach(c, node) kids[i++] = c;
	qsort(kids, *n, sizeof(*kids), by_name);
	return kids;
}

/* Sorts the members as Kubernetes writes a field set, drops "." where it stands alone. */
static int encode(cJSON *node)
{
	const cJSON **kids;
	size_t n;

	if (!(kids = sorted_members(node, &n)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		cJSON *c = cJSON_DetachItemViaPointer(node, (cJSON *)kids[i]);

		/* re-adding in sorted order cannot fail: the item and its name exist */
		cJSON_AddItemToArray(node, c);
		if (strcmp(c->string, SELF) && encode(c) < 0) {
			free(kids);
			return -ENOMEM;
		}
	}
	free(kids);
	if (node->child && !node->child->next && !strcmp(node->child->string, SELF))
		cJSON_Delete(cJSON_DetachItemViaPointer(node, node->child));
	return 0;
}

int api_mf_encode(const cJSON *set, cJSON **out)
{
	cJSON *s = cJSON_Duplicate(set, 1);

	if (!s || encode(s) < 0) {
		cJSON_Delete(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

static int decode(cJSON *node)
{
	cJSON *c;

	cJSON_ArrayForEach(c, node) {
		const char *n = c->string;

		if (!cJSON_IsObject(c))
			return -EINVAL;
		if (!strcmp(n, SELF)) {
			if (c->child)
				return -EINVAL;
			continue;
		}
		if (strncmp(n, "f:", 2) && strncmp(n, "k:", 2) && strncmp(n, "v:", 2) && strncmp(n, "i:", 2))
			return -EINVAL;
		if (!c->child) {
			if (mark(c) < 0)
				return -ENOMEM;
		} else {
			int rc = decode(c);

			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int api_mf_decode(const cJSON *fields, cJSON **out)
{
	cJSON *s;
	int rc;

	if (!cJSON_IsObject(fields))
		return -EINVAL;
	if (!(s = cJSON_Duplicate(fields, 1)))
		return -ENOMEM;
	if ((rc = decode(s)) < 0) {
		cJSON_Delete(s);
		return rc;
	}
	tidy(s);
	*out = s;
	return 0;
}

/* ".name", "[k=v,...]", "[=v]" or "[i]" for one path element. */
static int print_elem(const char *n, struct cm_buf *out)
{
	if (!strncmp(n, "f:", 2))
		return cm_buf_printf(out, ".%s", n + 2);
	if (!strncmp(n, "v:", 2))
		return cm_buf_printf(out, "[=%s]", n + 2);
	if (!strncmp(n, "k:", 2)) {
		cJSON *k = cJSON_Parse(n + 2);
		const cJSON *f;
		int rc = 0;

		if (!cJSON_IsObject(k)) {
			cJSON_Delete(k);
			return cm_buf_printf(out, "[%s]", n + 2);
		}
		rc = cm_buf_printf(out, "[");
		cJSON_ArrayForEach(f, k) {
			char *v = cJSON_PrintUnformatted(f);

			if (!rc)
				rc = v ? cm_buf_printf(out, "%s%s=%s", f == k->child ? "" : ",", f->string, v) : -ENOMEM;
			free(v);
		}
		if (!rc)
			rc = cm_buf_printf(out, "]");
		cJSON_Delete(k);
		return rc;
	}
	return cm_buf_printf(out, "[%s]", n + 2);
}

static int each_path(const cJSON *s, struct cm_buf *path, int (*fn)(const char *, void *), void *ud)
{
	size_t n, i, len = path->len;
	const cJSON **kids;
	int rc = 0;

	if (cJSON_GetObjectItemCaseSensitive(s, SELF) && (rc = fn(path->data ? path->data : "", ud)))
		return rc;
	if (!(kids = sorted_members(s, &n)))
		return -ENOMEM;
	for (i = 0; i < n && !rc; i++) {
		if (!strcmp(kids[i]->string, SELF))
			continue;
		rc = print_elem(kids[i]->string, path);
		if (!rc)
			rc = each_path(kids[i], path, fn, ud);
		path->len = len;
		if (path->data)
			path->data[len] = '\0';
	}
	free(kids);
	return rc;
}

int api_mf_each_path(const cJSON *s, int (*fn)(const char *path, void *ud), void *ud)
{
	struct cm_buf path = CM_BUF_INIT;
	int rc = each_path(s, &path, fn, ud);

	cm_buf_close(&path);
	return rc;
}

static void remove_in(cJSON *obj, const cJSON *s, const cJSON *keep, const char *parent);

static const cJSON *under(const cJSON *keep, const char *elem)
{
	return keep ? cJSON_GetObjectItemCaseSensitive(keep, elem) : NULL;
}

/* Whether member name of a keyed item is part of its key (kept with the item). */
static bool is_key(const char *name, const char *key)
{
	return key && (!strcmp(name, key) ||
		       (!strcmp(name, "protocol") && (!strcmp(key, "containerPort") || !strcmp(key, "port"))));
}

/*
 * Trims v (the value at a node that goes) to the parts keep still owns:
 * what another manager owns stays, with the maps and items holding it (an
 * item with its key). key: v is an item of a list keyed by it, or NULL.
 * Whether anything owned is left.
 */
static bool retain(cJSON *v, const cJSON *keep, const char *parent, const char *field, const char *key)
{
	struct cm_buf e = CM_BUF_INIT;
	cJSON *it, *next;
	bool left = false;

	if (cJSON_GetObjectItemCaseSensitive(keep, SELF) || !(cJSON_IsObject(v) || cJSON_IsArray(v)))
		return true;
	if (cJSON_IsObject(v)) {
		for (it = v->child; it; it = next) {
			const cJSON *k;

			next = it->next;
			if (is_key(it->string, key))
				continue;
			if (field_elem(it->string, &e) < 0 || !(k = under(keep, e.data)) ||
			    !retain(it, k, field, it->string, NULL))
				cJSON_Delete(cJSON_DetachItemViaPointer(v, it));
			else
				left = true;
		}
	} else {
		const char *ik = NULL;
		enum list_kind kind = usable_kind(v, parent, field, &ik);

		for (it = kind == LIST_ATOMIC ? NULL : v->child; it; it = next) {
			const cJSON *k;

			next = it->next;
			if (item_elem(it, kind, ik, &e) < 0 || !(k = under(keep, e.data)) ||
			    !retain(it, k, field, field, kind == LIST_KEYED ? ik : NULL))
				cJSON_Delete(cJSON_DetachItemViaPointer(v, it));
			else
				left = true;
		}
	}
	cm_buf_close(&e);
	return left;
}

/* Removes the member items of s from list; whether that emptied it. */
static bool remove_items(cJSON *list, const cJSON *s, const cJSON *keep, const char *parent, const char *field)
{
	const char *key = NULL;
	enum list_kind kind = usable_kind(list, parent, field, &key);
	struct cm_buf e = CM_BUF_INIT;
	cJSON *it, *next;
	bool had = list->child != NULL;

	if (kind == LIST_ATOMIC)
		return false;
	for (it = list->child; it; it = next) {
		const cJSON *sc;

		next = it->next;
		if (item_elem(it, kind, key, &e) < 0 || !(sc = cJSON_GetObjectItemCaseSensitive(s, e.data)))
			continue;
		if (cJSON_GetObjectItemCaseSensitive(sc, SELF)) {
			if (!under(keep, e.data) || !retain(it, under(keep, e.data), field, field, kind == LIST_KEYED ? key : NULL))
				cJSON_Delete(cJSON_DetachItemViaPointer(list, it));
		} else if (cJSON_IsObject(it)) {
			remove_in(it, sc, under(keep, e.data), field);
		}
	}
	cm_buf_close(&e);
	return had && !list->child;
}

static void remove_in(cJSON *obj, const cJSON *s, const cJSON *keep, const char *parent)
{
	const cJSON *sc;

	cJSON_ArrayForEach(sc, s) {
		const char *name = sc->string + 2;
		const cJSON *k = under(keep, sc->string);
		cJSON *v;
		bool emptied = false;

		if (strncmp(sc->string, "f:", 2) || !(v = cJSON_GetObjectItemCaseSensitive(obj, name)))
			continue;
		if (cJSON_GetObjectItemCaseSensitive(sc, SELF)) {
			if (!k || !retain(v, k, parent, name, NULL))
				cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
			continue;
		}
		if (cJSON_IsObject(v) && v->child) {
			remove_in(v, sc, k, name);
			emptied = !v->child;
		} else if (cJSON_IsArray(v)) {
			emptied = remove_items(v, sc, k, parent, name);
		}
		if (emptied)
			cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
	}
}

void api_mf_remove(cJSON *obj, const cJSON *s, const cJSON *keep)
{
	remove_in(obj, s, keep, "");
}
