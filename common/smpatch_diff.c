/* smpatch_diff.c: computing strategic merge patches: two-way diffs and kubectl apply's three-way patch. */
#include "common/smpatch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * kubectl apply builds its patch from two diffs: what changed from the live
 * object to the manifest ignoring deletions (so fields others set survive),
 * and what the user deleted from the last-applied configuration ignoring
 * changes and additions; then merges the two.
 */
struct opts {
	bool ignore_deletions;
	bool ignore_changes; /* changes and additions */
};

static int diff_maps(const cJSON *o, const cJSON *m, const char *parent, bool retain, const struct opts *opt,
		     cJSON *patch, struct cm_buf *err);

static int put(cJSON *obj, const char *k, cJSON *v)
{
	if (!v)
		return -ENOMEM;
	if (!cJSON_AddItemToObject(obj, k, v)) {
		cJSON_Delete(v);
		return -ENOMEM;
	}
	return 0;
}

static const cJSON *find_by(const cJSON *list, const char *key, const cJSON *want)
{
	const cJSON *wv = key ? cJSON_GetObjectItemCaseSensitive(want, key) : want, *e;
	cJSON_ArrayForEach(e, list)
	{
		const cJSON *ev = key ? cJSON_GetObjectItemCaseSensitive(e, key) : e;
		if (wv && ev && cJSON_Compare(ev, wv, 1))
			return e;
	}
	return NULL;
}

/* JSON kinds, booleans as one, so that true -> false is a change and not a change of type. */
static int kind(const cJSON *v)
{
	return cJSON_IsBool(v) ? cJSON_True : (v->type & 0xff);
}

static int check_keys(const cJSON *list, const char *key, const char *field, struct cm_buf *err)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, list)
	{
		if (!cJSON_IsObject(e) || !cJSON_GetObjectItemCaseSensitive(e, key)) {
			if (err)
				cm_buf_printf(err, "%s: element does not contain declared merge key: %s", field, key);
			return -EINVAL;
		}
	}
	return 0;
}

/* The "$setElementOrder/<field>" list: the merge keys (or values) of m in order. */
static int add_order(cJSON *patch, const char *field, const cJSON *m, const char *key)
{
	cJSON *order = cJSON_CreateArray();
	const cJSON *e;
	struct cm_buf name = CM_BUF_INIT;
	if (!order)
		return -ENOMEM;
	cJSON_ArrayForEach(e, m)
	{
		cJSON *item = key ? cJSON_CreateObject() : cJSON_Duplicate(e, 1);
		if (!item || (key && !cJSON_AddItemToObject(item, key,
							    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e, key), 1)))) {
			cJSON_Delete(item);
			cJSON_Delete(order);
			return -ENOMEM;
		}
		cJSON_AddItemToArray(order, item);
	}
	int rc = cm_buf_printf(&name, "$setElementOrder/%s", field);
	rc = rc ? (cJSON_Delete(order), rc) : put(patch, name.data, order);
	cm_buf_close(&name);
	return rc;
}

/* Whether the elements m shares with o come in another order in m. */
static bool order_changed(const cJSON *o, const cJSON *m, const char *key)
{
	int last = -1;
	const cJSON *e;
	cJSON_ArrayForEach(e, m)
	{
		const cJSON *oe = find_by(o, key, e), *x;
		int i = 0;
		if (!oe)
			continue;
		cJSON_ArrayForEach(x, o)
		{
			if (x == oe)
				break;
			i++;
		}
		if (i < last)
			return true;
		last = i;
	}
	return false;
}

static int diff_keyed(const cJSON *o, const cJSON *m, const char *key, const char *field, const struct opts *opt,
		      cJSON *patch, struct cm_buf *err)
{
	cJSON *list = cJSON_CreateArray();
	const cJSON *e;
	int rc;
	bool retain = cm_smpatch_retain_keys(NULL, field);
	if (!list)
		return -ENOMEM;
	if ((rc = check_keys(o, key, field, err)) || (rc = check_keys(m, key, field, err)))
		goto fail;
	cJSON_ArrayForEach(e, m)
	{
		const cJSON *oe = find_by(o, key, e);
		cJSON *item = NULL;
		if (oe) {
			if (!(item = cJSON_CreateObject()))
				goto oom;
			if ((rc = diff_maps(oe, e, field, retain, opt, item, err))) {
				cJSON_Delete(item);
				goto fail;
			}
			if (!item->child) {
				cJSON_Delete(item);
				continue;
			}
			if (put(item, key, cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e, key), 1))) {
				cJSON_Delete(item);
				goto oom;
			}
		} else if (!opt->ignore_changes) {
			if (!(item = cJSON_Duplicate(e, 1)))
				goto oom;
		} else {
			continue;
		}
		cJSON_AddItemToArray(list, item);
	}
	const cJSON *gone = opt->ignore_deletions ? NULL : o;
	cJSON_ArrayForEach(e, gone)
	{
		if (find_by(m, key, e))
			continue;
		cJSON *del = cJSON_CreateObject();
		if (!del || put(del, "$patch", cJSON_CreateString("delete")) ||
		    put(del, key, cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e, key), 1))) {
			cJSON_Delete(del);
			goto oom;
		}
		cJSON_AddItemToArray(list, del);
	}
	bool changed = list->child != NULL || (!opt->ignore_changes && order_changed(o, m, key));
	if (changed && (rc = add_order(patch, field, m, key)))
		goto fail;
	if (list->child)
		return put(patch, field, list);
	cJSON_Delete(list);
	return 0;
oom:
	rc = -ENOMEM;
fail:
	cJSON_Delete(list);
	return rc;
}

static int diff_scalars(const cJSON *o, const cJSON *m, const char *field, const struct opts *opt, cJSON *patch)
{
	cJSON *add = cJSON_CreateArray(), *del = cJSON_CreateArray();
	const cJSON *e;
	struct cm_buf name = CM_BUF_INIT;
	int rc = 0;
	if (!add || !del)
		goto oom;
	const cJSON *added = opt->ignore_changes ? NULL : m, *gone = opt->ignore_deletions ? NULL : o;
	cJSON_ArrayForEach(e, added)
	{
		if (!find_by(o, NULL, e) && !cJSON_AddItemToArray(add, cJSON_Duplicate(e, 1)))
			goto oom;
	}
	cJSON_ArrayForEach(e, gone)
	{
		if (!find_by(m, NULL, e) && !cJSON_AddItemToArray(del, cJSON_Duplicate(e, 1)))
			goto oom;
	}
	bool changed = add->child || del->child || (!opt->ignore_changes && order_changed(o, m, NULL));
	if (changed && (rc = add_order(patch, field, m, NULL)))
		goto out;
	if (add->child) {
		rc = put(patch, field, add);
		add = NULL;
		if (rc)
			goto out;
	}
	if (del->child) {
		if ((rc = cm_buf_printf(&name, "$deleteFromPrimitiveList/%s", field)))
			goto out;
		rc = put(patch, name.data, del);
		del = NULL;
	}
	goto out;
oom:
	rc = -ENOMEM;
out:
	cJSON_Delete(add);
	cJSON_Delete(del);
	cm_buf_close(&name);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "$retainKeys": the sorted non-null keys of m. */
static int add_retain(cJSON *patch, const cJSON *m)
{
	int n = cJSON_GetArraySize(m), k = 0;
	const char **names = calloc((size_t)n + 1, sizeof(char *));
	const cJSON *e;
	if (!names)
		return -ENOMEM;
	cJSON_ArrayForEach(e, m)
	{
		if (!cJSON_IsNull(e))
			names[k++] = e->string;
	}
	qsort(names, (size_t)k, sizeof(char *), cmp_names);
	cJSON *list = cJSON_CreateStringArray(names, k);
	free(names);
	return put(patch, "$retainKeys", list);
}

static int diff_maps(const cJSON *o, const cJSON *m, const char *parent, bool retain, const struct opts *opt,
		     cJSON *patch, struct cm_buf *err)
{
	const cJSON *mv;
	int rc = 0;
	bool dropped = false; /* o has a key m lacks */
	cJSON_ArrayForEach(mv, m)
	{
		const char *k = mv->string;
		const cJSON *ov = cJSON_GetObjectItemCaseSensitive(o, k);
		const char *key = NULL;
		if (!ov || kind(ov) != kind(mv)) {
			if (!opt->ignore_changes)
				rc = put(patch, k, cJSON_Duplicate(mv, 1));
		} else if (cJSON_IsObject(mv)) {
			cJSON *sub = cJSON_CreateObject();
			if (!sub)
				return -ENOMEM;
			if ((rc = diff_maps(ov, mv, k, cm_smpatch_retain_keys(parent, k), opt, sub, err))) {
				cJSON_Delete(sub);
				return rc;
			}
			if (sub->child)
				rc = put(patch, k, sub);
			else
				cJSON_Delete(sub);
		} else if (cJSON_IsArray(mv)) {
			switch (cm_smpatch_strategy(parent, k, &key)) {
			case CM_SM_MERGE_KEY:
				rc = diff_keyed(ov, mv, key, k, opt, patch, err);
				break;
			case CM_SM_MERGE_SCALARS:
				rc = diff_scalars(ov, mv, k, opt, patch);
				break;
			case CM_SM_REPLACE:
				if (!opt->ignore_changes && !cJSON_Compare(ov, mv, 1))
					rc = put(patch, k, cJSON_Duplicate(mv, 1));
				break;
			}
		} else if (!opt->ignore_changes && !cJSON_Compare(ov, mv, 1)) {
			rc = put(patch, k, cJSON_Duplicate(mv, 1));
		}
		if (rc)
			return rc;
	}
	const cJSON *ov;
	cJSON_ArrayForEach(ov, o)
	{
		if (cJSON_GetObjectItemCaseSensitive(m, ov->string))
			continue;
		dropped = true;
		if (!opt->ignore_deletions && (rc = put(patch, ov->string, cJSON_CreateNull())))
			return rc;
	}
	if (retain && m->child && (patch->child || dropped))
		rc = add_retain(patch, m);
	return rc;
}

int cm_smpatch_diff(const cJSON *original, const cJSON *modified, cJSON **out, struct cm_buf *err)
{
	struct opts opt = {false, false};
	cJSON *patch = cJSON_CreateObject();
	int rc;
	if (!patch)
		return -ENOMEM;
	if (!cJSON_IsObject(original) || !cJSON_IsObject(modified))
		rc = -EINVAL;
	else
		rc = diff_maps(original, modified, NULL, false, &opt, patch, err);
	if (rc) {
		if (rc == -EINVAL && err && !err->len)
			cm_buf_puts(err, "original and modified must be JSON objects");
		cJSON_Delete(patch);
		return rc;
	}
	*out = patch;
	return 0;
}

static bool is_directive(const char *k)
{
	return k[0] == '$';
}

/*
 * Folds the delta patch into the deletions patch. Both came from the same
 * manifest, so they touch disjoint elements of merge lists, except for
 * elements both reach into, which are folded recursively.
 */
static int combine(cJSON *dst, const cJSON *src, const char *parent)
{
	const cJSON *s;
	int rc;
	cJSON_ArrayForEach(s, src)
	{
		const char *k = s->string, *key = NULL;
		cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, k);
		if (!d) {
			if ((rc = put(dst, k, cJSON_Duplicate(s, 1))))
				return rc;
			continue;
		}
		if (!is_directive(k) && cJSON_IsObject(d) && cJSON_IsObject(s)) {
			if ((rc = combine(d, s, k)))
				return rc;
			continue;
		}
		enum cm_sm_strategy st = is_directive(k) ? CM_SM_REPLACE : cm_smpatch_strategy(parent, k, &key);
		if (cJSON_IsArray(d) && cJSON_IsArray(s) && st != CM_SM_REPLACE) {
			const cJSON *e;
			cJSON_ArrayForEach(e, s)
			{
				cJSON *de = (cJSON *)find_by(d, key, e);
				if (de && key && !cJSON_GetObjectItemCaseSensitive(de, "$patch")) {
					if ((rc = combine(de, e, k)))
						return rc;
				} else if (!de) {
					cJSON *c = cJSON_Duplicate(e, 1);
					if (!c)
						return -ENOMEM;
					cJSON_AddItemToArray(d, c);
				}
			}
			continue;
		}
		cJSON *c = cJSON_Duplicate(s, 1);
		if (!c)
			return -ENOMEM;
		cJSON_ReplaceItemInObjectCaseSensitive(dst, k, c);
	}
	return 0;
}

int cm_smpatch_three_way(const cJSON *original, const cJSON *modified, const cJSON *current, cJSON **out,
			 struct cm_buf *err)
{
	struct opts delta_opt = {.ignore_deletions = true}, del_opt = {.ignore_changes = true};
	cJSON *delta = NULL, *dels = NULL, *empty = NULL;
	int rc = -ENOMEM;
	if (!cJSON_IsObject(modified) || (current && !cJSON_IsObject(current)) ||
	    (original && !cJSON_IsObject(original))) {
		if (err)
			cm_buf_puts(err, "original, modified and current must be JSON objects");
		return -EINVAL;
	}
	if (!(empty = cJSON_CreateObject()) || !(delta = cJSON_CreateObject()) || !(dels = cJSON_CreateObject()))
		goto out;
	if ((rc = diff_maps(current ? current : empty, modified, NULL, false, &delta_opt, delta, err)))
		goto out;
	if ((rc = diff_maps(original ? original : empty, modified, NULL, false, &del_opt, dels, err)))
		goto out;
	if ((rc = combine(dels, delta, NULL)))
		goto out;
	*out = dels;
	dels = NULL;
out:
	cJSON_Delete(empty);
	cJSON_Delete(delta);
	cJSON_Delete(dels);
	return rc;
}
