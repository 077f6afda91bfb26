/* cmd_get.c: minictl get: server-side Tables printed as kubectl does, object output (-o json|yaml|name|jsonpath|custom-columns), sorting. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/timeutil.h"
#include "common/yaml.h"
#include "ctl/cli.h"
#include "ctl/get.h"
#include "ctl/jsonpath.h"
#include "ctl/manifest.h"
#include "ctl/print.h"
#include "ctl/target.h"

const char mc_table_accept[] = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

int mc_get_query(const struct mc_get_opts *o, const char *extra, struct cm_buf *out)
{
	char sep = '?';
	int rc = 0;

	if (o->selector && *o->selector) {
		rc |= cm_buf_printf(out, "%clabelSelector=", sep);
		rc |= mc_url_escape(out, o->selector);
		sep = '&';
	}
	if (o->field_selector && *o->field_selector) {
		rc |= cm_buf_printf(out, "%cfieldSelector=", sep);
		rc |= mc_url_escape(out, o->field_selector);
		sep = '&';
	}
	if (extra && *extra)
		rc |= cm_buf_printf(out, "%c%s", sep, extra);
	return rc ? -ENOMEM : 0;
}

/* A cell of a Table row as kubectl prints it. */
static void cell_text(const cJSON *cell, struct cm_buf *out)
{
	if (cJSON_IsString(cell))
		cm_buf_puts(out, cell->valuestring);
	else if (cJSON_IsNumber(cell))
		cm_buf_printf(out, "%.15g", cell->valuedouble);
	else if (cJSON_IsBool(cell))
		cm_buf_puts(out, cJSON_IsTrue(cell) ? "true" : "false");
	else if (cJSON_IsNull(cell) || !cell)
		cm_buf_puts(out, "<none>");
	else {
		char *s = cJSON_PrintUnformatted(cell);
		cm_buf_puts(out, s ? s : "");
		free(s);
	}
}

/* Makes a Table from plain objects when the server sent no Table: NAME and AGE, as kubectl's fallback. */
static cJSON *fallback_table(const cJSON *items)
{
	cJSON *t = cJSON_CreateObject(), *rows, *cols;
	const cJSON *it;
	int64_t now = cm_time_wall_ms();

	cJSON_AddStringToObject(t, "kind", "Table");
	cols = cJSON_AddArrayToObject(t, "columnDefinitions");
	cJSON *c1 = cJSON_CreateObject(), *c2 = cJSON_CreateObject();
	cJSON_AddStringToObject(c1, "name", "Name");
	cJSON_AddStringToObject(c2, "name", "Age");
	cJSON_AddItemToArray(cols, c1);
	cJSON_AddItemToArray(cols, c2);
	rows = cJSON_AddArrayToObject(t, "rows");
	cJSON_ArrayForEach(it, items)
	{
		char age[32];
		cJSON *row = cJSON_CreateObject(), *cells = cJSON_AddArrayToObject(row, "cells");
		mc_age_of(it, now, age, sizeof(age));
		cJSON_AddItemToArray(cells, cJSON_CreateString(cm_json_str_or(it, "metadata.name", "")));
		cJSON_AddItemToArray(cells, cJSON_CreateString(age));
		cJSON_AddItemToObject(row, "object", cJSON_Duplicate(it, 1));
		cJSON_AddItemToArray(rows, row);
	}
	return t;
}

int mc_table_setup(struct mc_get_printer *p, const cJSON *table)
{
	const cJSON *col;
	size_t n = 0;

	if (p->ready)
		return 0;
	/* priority > 0 columns are -o wide's */
	p->ncols = 0;
	cJSON_ArrayForEach(col, cJSON_GetObjectItemCaseSensitive(table, "columnDefinitions"))
	{
		if (!(cm_json_int64_or(col, "priority", 0) > 0 && !p->wide) && p->ncols < MC_GET_MAXCOLS)
			p->cols[p->ncols++] = (int)n;
		n++;
	}
	size_t total = p->ncols + (p->all_ns ? 1 : 0) + (p->show_labels ? 1 : 0) + p->label_columns.n;
	if (mc_table_init(&p->t, total))
		return -ENOMEM;
	p->ready = true;
	if (!p->no_headers) {
		const char *hdr[MC_GET_MAXCOLS + 24];
		char upper[MC_GET_MAXCOLS + 24][64];
		size_t k = 0;
		if (p->all_ns)
			hdr[k++] = "NAMESPACE";
		for (size_t i = 0; i < p->ncols; i++) {
			const char *name = cm_json_str_or(
				cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(table, "columnDefinitions"), p->cols[i]),
				"name", "");
			size_t j;
			for (j = 0; name[j] && j < 63; j++)
				upper[k][j] = (char)(name[j] >= 'a' && name[j] <= 'z' ? name[j] - 32 : name[j]);
			upper[k][j] = '\0';
			hdr[k] = upper[k];
			k++;
		}
		for (size_t i = 0; i < p->label_columns.n && k < MC_GET_MAXCOLS + 23; i++) {
			const char *key = p->label_columns.v[i], *slash = strrchr(key, '/');
			size_t j;
			key = slash ? slash + 1 : key;
			for (j = 0; key[j] && j < 63; j++)
				upper[k][j] = (char)(key[j] >= 'a' && key[j] <= 'z' ? key[j] - 32 : key[j]);
			upper[k][j] = '\0';
			hdr[k] = upper[k];
			k++;
		}
		if (p->show_labels)
			hdr[k++] = "LABELS";
		mc_table_add(&p->t, hdr);
	}
	return 0;
}

int mc_table_add_rows(struct mc_get_printer *p, const cJSON *table, const char *prefix)
{
	const cJSON *row;
	int rc = 0;

	if ((rc = mc_table_setup(p, table)))
		return rc;
	cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(table, "rows"))
	{
		const cJSON *cells = cJSON_GetObjectItemCaseSensitive(row, "cells");
		const cJSON *obj = cJSON_GetObjectItemCaseSensitive(row, "object");
		struct cm_buf texts[MC_GET_MAXCOLS + 24];
		const char *v[MC_GET_MAXCOLS + 24];
		size_t k = 0;
		for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
			cm_buf_init(&texts[i]);
		if (p->all_ns)
			cm_buf_puts(&texts[k++], cm_json_str_or(obj, "metadata.namespace", ""));
		for (size_t i = 0; i < p->ncols; i++) {
			if (i == 0 && prefix)
				cm_buf_printf(&texts[k], "%s/", prefix);
			cell_text(cJSON_GetArrayItem(cells, p->cols[i]), &texts[k]);
			k++;
		}
		for (size_t i = 0; i < p->label_columns.n && k < MC_GET_MAXCOLS + 23; i++) {
			const cJSON *labels = cm_json_get(obj, "metadata.labels");
			cm_buf_puts(&texts[k++],
				    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(labels, p->label_columns.v[i]))
					    ? cJSON_GetObjectItemCaseSensitive(labels, p->label_columns.v[i])->valuestring
					    : "");
		}
		if (p->show_labels)
			mc_labels_string(obj, &texts[k++]);
		for (size_t i = 0; i < k; i++)
			v[i] = texts[i].data ? texts[i].data : "";
		rc = mc_table_add(&p->t, v);
		for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
			cm_buf_close(&texts[i]);
		if (rc)
			break;
		p->rows++;
	}
	return rc;
}

/* Fetches a Table (or builds one) for a target: one object, or a filtered list. */
static int fetch_table(struct mc_ctx *c, const struct mc_get_opts *o, const struct mc_target *t, cJSON **out)
{
	struct cm_buf path = CM_BUF_INIT, body = CM_BUF_INIT;
	long status = 0;
	cJSON *j = NULL;
	int rc;

	rc = mc_resource_path(t->res, o->all_ns ? NULL : c->ns, t->name, &path);
	if (!rc && !t->name)
		rc = mc_get_query(o, "limit=500", &path);
	if (rc)
		goto done;
	if ((rc = mc_request(c, "GET", path.data, mc_table_accept, NULL, NULL, 0, &status, &body)))
		goto done;
	if (status == 404 && t->name && o->ignore_not_found) {
		rc = -ENOENT;
		goto done;
	}
	if (status < 200 || status > 299) {
		rc = mc_print_api_error(c, status, body.data);
		goto done;
	}
	if (cm_json_parse(body.data, body.len, &j, NULL)) {
		rc = mc_errorf(c, "the server sent an answer that is not JSON");
		goto done;
	}
	if (strcmp(cm_json_str_or(j, "kind", ""), "Table") != 0) {
		cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "items");
		cJSON *one = NULL;
		if (!items) {
			one = cJSON_CreateArray();
			cJSON_AddItemToArray(one, cJSON_Duplicate(j, 1));
		}
		cJSON *t2 = fallback_table(items ? items : one);
		cJSON_Delete(one);
		cJSON_Delete(j);
		j = t2;
	}
	*out = j;
done:
	cm_buf_close(&path);
	cm_buf_close(&body);
	return rc;
}

/* Fetches plain objects for a target into arr (items of a list, or the one object). */
int mc_get_objects(struct mc_ctx *c, const struct mc_get_opts *o, const struct mc_target *t, cJSON *arr)
{
	struct cm_buf path = CM_BUF_INIT;
	cJSON *j = NULL, *it;
	int rc;

	rc = mc_resource_path(t->res, o->all_ns ? NULL : c->ns, t->name, &path);
	if (!rc && !t->name)
		rc = mc_get_query(o, NULL, &path);
	if (rc)
		goto done;
	rc = mc_get_json(c, path.data, o->ignore_not_found, &j);
	if (rc)
		goto done;
	if (t->name) {
		cJSON_AddItemToArray(arr, j);
		j = NULL;
	} else {
		cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "items");
		while (items && (it = cJSON_DetachItemFromArray(items, 0))) {
			if (!cJSON_GetObjectItemCaseSensitive(it, "apiVersion"))
				cJSON_AddStringToObject(it, "apiVersion", mc_resource_api_version(t->res));
			if (!cJSON_GetObjectItemCaseSensitive(it, "kind"))
				cJSON_AddStringToObject(it, "kind", t->res->kind);
			cJSON_AddItemToArray(arr, it);
		}
	}
done:
	cJSON_Delete(j);
	cm_buf_close(&path);
	return rc;
}

/* Orders two values as kubectl's --sort-by: numbers numerically, the rest as text; missing first. */
static int cmp_values(const cJSON *a, const cJSON *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
		return (a->valuedouble > b->valuedouble) - (a->valuedouble < b->valuedouble);
	if (cJSON_IsString(a) && cJSON_IsString(b))
		return strcmp(a->valuestring, b->valuestring);
	return 0;
}

static int cmp_objects(const void *x, const void *y, void *expr)
{
	const cJSON *a = *(const cJSON *const *)x, *b = *(const cJSON *const *)y;
	return cmp_values(mc_jsonpath_first(expr, a), mc_jsonpath_first(expr, b));
}

/* Sorts the array arr of objects in place by expr (a stable merge would be nicer; qsort suffices for display). */
int mc_sort_objects(cJSON *arr, const char *expr)
{
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	cJSON **v, *it;

	if (n < 2)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	while ((it = cJSON_DetachItemFromArray(arr, 0)))
		v[i++] = it;
	qsort_r(v, n, sizeof(*v), cmp_objects, (void *)expr);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, v[i]);
	free(v);
	return 0;
}

/* Reorders a Table's rows as the full objects sort (rows are matched by namespace/name). */
static int sort_table_rows(struct mc_ctx *c, const struct mc_get_opts *o, const struct mc_target *t, cJSON *table)
{
	cJSON *objs = cJSON_CreateArray(), *rows = cJSON_GetObjectItemCaseSensitive(table, "rows"), *sorted, *obj;
	int rc;

	if (!objs)
		return -ENOMEM;
	if ((rc = mc_get_objects(c, o, t, objs)) || (rc = mc_sort_objects(objs, o->sort_by)))
		goto done;
	sorted = cJSON_CreateArray();
	cJSON_ArrayForEach(obj, objs)
	{
		cJSON *row;
		int idx = 0;
		cJSON_ArrayForEach(row, rows)
		{
			if (!strcmp(cm_json_str_or(row, "object.metadata.name", ""), cm_json_str_or(obj, "metadata.name", "")) &&
			    !strcmp(cm_json_str_or(row, "object.metadata.namespace", ""),
				    cm_json_str_or(obj, "metadata.namespace", ""))) {
				cJSON_AddItemToArray(sorted, cJSON_DetachItemFromArray(rows, idx));
				break;
			}
			idx++;
		}
	}
	/* rows the objects did not match (changed in between) stay at the end */
	while ((obj = cJSON_DetachItemFromArray(rows, 0)))
		cJSON_AddItemToArray(sorted, obj);
	cJSON_ReplaceItemInObjectCaseSensitive(table, "rows", sorted);
done:
	cJSON_Delete(objs);
	return rc;
}

static int print_tables(struct mc_ctx *c, const struct mc_get_opts *o, const struct mc_targets *ts)
{
	bool multi = false, failed = false;
	size_t printed_groups = 0;
	struct cm_buf out = CM_BUF_INIT;
	int rc = 0;

	for (size_t i = 1; i < ts->n; i++)
		if (ts->v[i].res != ts->v[0].res)
			multi = true;
	for (size_t i = 0; i < ts->n && rc != -ENOMEM;) {
		struct mc_get_printer p = {.wide = o->wide, .all_ns = o->all_ns && ts->v[i].res->namespaced, .show_labels = o->show_labels,
					   .no_headers = o->no_headers, .label_columns = o->label_columns};
		struct cm_buf prefix = CM_BUF_INIT;
		size_t j = i;
		if (multi || o->show_kind)
			mc_resource_qualified(ts->v[i].res, &prefix);
		/* one table per run of targets of one type */
		for (; j < ts->n && ts->v[j].res == ts->v[i].res; j++) {
			cJSON *table = NULL;
			int r = fetch_table(c, o, &ts->v[j], &table);
			if (r == -ENOENT)
				continue;
			if (r) {
				failed = true;
				continue;
			}
			if (o->sort_by && !ts->v[j].name && (r = sort_table_rows(c, o, &ts->v[j], table)))
				failed = true;
			mc_table_add_rows(&p, table, prefix.len ? prefix.data : NULL);
			cJSON_Delete(table);
		}
		if (p.rows > 0) {
			if (printed_groups++)
				cm_buf_putc(&out, '\n');
			mc_table_flush(&p.t, &out);
			fputs(out.data, c->out);
			cm_buf_reset(&out);
		}
		if (p.ready)
			mc_table_close(&p.t);
		cm_buf_close(&prefix);
		i = j;
	}
	if (!printed_groups && !failed && !o->ignore_not_found) {
		bool named = false;
		for (size_t i = 0; i < ts->n; i++)
			named |= ts->v[i].name != NULL;
		if (!named) {
			if (o->all_ns || !ts->v[0].res->namespaced)
				fputs("No resources found\n", c->errout);
			else
				fprintf(c->errout, "No resources found in %s namespace.\n", c->ns);
		}
	}
	cm_buf_close(&out);
	return failed ? MC_FAIL : 0;
}

int mc_print_objects(struct mc_ctx *c, const struct mc_get_opts *o, cJSON *items, bool single)
{
	struct cm_buf out = CM_BUF_INIT, err = CM_BUF_INIT;
	cJSON *list = NULL;
	const cJSON *subject, *it;
	int rc = 0;

	if ((!strcmp(o->output, "json") || !strcmp(o->output, "yaml")) && !o->show_managed_fields) {
		cJSON *item;

		cJSON_ArrayForEach(item, items) {
			cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(item, "metadata"),
								"managedFields");
		}
	}
	if (single) {
		subject = cJSON_GetArrayItem(items, 0);
	} else {
		list = cJSON_CreateObject();
		cJSON_AddStringToObject(list, "apiVersion", "v1");
		cJSON_AddItemReferenceToObject(list, "items", items);
		cJSON_AddStringToObject(list, "kind", "List");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(list, "metadata"), "resourceVersion", "");
		subject = list;
	}
	if (!strcmp(o->output, "json")) {
		rc = mc_json_pretty(subject, &out);
	} else if (!strcmp(o->output, "yaml")) {
		rc = cm_yaml_emit(subject, &out);
	} else if (!strcmp(o->output, "name")) {
		cJSON_ArrayForEach(it, items)
		{
			const struct mc_resource *r =
				mc_resource_by_kind(cm_json_get_str(it, "apiVersion"), cm_json_get_str(it, "kind"));
			if (r)
				mc_resource_qualified(r, &out);
			else
				cm_buf_puts(&out, cm_json_str_or(it, "kind", "unknown"));
			cm_buf_printf(&out, "/%s\n", cm_json_str_or(it, "metadata.name", ""));
		}
	} else if (!strncmp(o->output, "jsonpath=", 9) || !strncmp(o->output, "jsonpath-as-json=", 17) ||
		   !strncmp(o->output, "template=", 9)) {
		const char *tmpl = strchr(o->output, '=') + 1;
		if (mc_jsonpath_exec(tmpl, subject, &out, &err)) {
			rc = mc_errorf(c, "error executing jsonpath \"%s\": %s", tmpl,
				       err.data ? err.data : "out of memory");
			cm_buf_reset(&out);
		}
	} else if (!strncmp(o->output, "custom-columns=", 15)) {
		struct mc_table t;
		const char *spec = o->output + 15;
		char *copy = strdup(spec), *save = NULL, *tok;
		const char *names[64], *exprs[64];
		size_t n = 0;
		for (tok = strtok_r(copy, ",", &save); tok && n < 64; tok = strtok_r(NULL, ",", &save)) {
			char *colon = strchr(tok, ':');
			if (!colon) {
				free(copy);
				return mc_errorf(c, "expected <header>:<json-path-expr> in %s", tok);
			}
			*colon = '\0';
			names[n] = tok;
			exprs[n++] = colon + 1;
		}
		mc_table_init(&t, n);
		if (!o->no_headers)
			mc_table_add(&t, names);
		cJSON_ArrayForEach(it, items)
		{
			struct cm_buf cells[64];
			const char *v[64];
			for (size_t i = 0; i < n; i++) {
				const cJSON *val = mc_jsonpath_first(exprs[i], it);
				cm_buf_init(&cells[i]);
				if (!val)
					cm_buf_puts(&cells[i], "<none>");
				else
					cell_text(val, &cells[i]);
				v[i] = cells[i].data;
			}
			mc_table_add(&t, v);
			for (size_t i = 0; i < n; i++)
				cm_buf_close(&cells[i]);
		}
		mc_table_flush(&t, &out);
		mc_table_close(&t);
		free(copy);
	} else {
		rc = mc_errorf(c, "unable to match a printer suitable for the output format \"%s\", allowed formats are: custom-columns,json,jsonpath,name,wide,yaml",
			       o->output);
	}
	if (out.len)
		fwrite(out.data, 1, out.len, c->out);
	cJSON_Delete(list);
	cm_buf_close(&out);
	cm_buf_close(&err);
	return rc;
}

static int print_object_output(struct mc_ctx *c, const struct mc_get_opts *o, const struct mc_targets *ts)
{
	cJSON *items = cJSON_CreateArray();
	bool failed = false;
	int rc;

	if (!items)
		return -ENOMEM;
	for (size_t i = 0; i < ts->n; i++) {
		int r = mc_get_objects(c, o, &ts->v[i], items);
		if (r && r != -ENOENT)
			failed = true;
	}
	if (o->sort_by)
		mc_sort_objects(items, o->sort_by);
	rc = mc_print_objects(c, o, items, ts->n == 1 && ts->v[0].name && cJSON_GetArraySize(items) == 1);
	cJSON_Delete(items);
	return failed ? MC_FAIL : rc;
}

int mc_run_get(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_get_opts o = {.output = ""};
	struct mc_strv pos = {0}, dash = {0};
	struct mc_targets ts = {0};
	cJSON *objs = NULL;
	const struct mc_flag flags[] = {
		{"output", 'o', MC_FLAG_STRING, &o.output, "''",
		 "Print as json, yaml, name, wide, jsonpath=TEMPLATE or custom-columns=SPEC."},
		{"selector", 'l', MC_FLAG_STRING, &o.selector, "''",
		 "Show only objects whose labels match, e.g. app=web,tier!=db or\n\t'env in (dev,test)' (=, ==, !=, in, notin)."},
		{"field-selector", 0, MC_FLAG_STRING, &o.field_selector, "''",
		 "Show only objects whose fields match, e.g. status.phase=Running (=, ==, !=)."},
		{"all-namespaces", 'A', MC_FLAG_BOOL, &o.all_ns, "false",
		 "Look in every namespace, not only the current one (--namespace is ignored)."},
		{"show-labels", 0, MC_FLAG_BOOL, &o.show_labels, "false",
		 "Add a last column with all the labels of each object."},
		{"show-managed-fields", 0, MC_FLAG_BOOL, &o.show_managed_fields, "false",
		 "Keep metadata.managedFields when printing objects as json or yaml."},
		{"label-columns", 'L', MC_FLAG_ARRAY, &o.label_columns, "[]",
		 "Give each of these labels (comma separated) a column of its own."},
		{"sort-by", 0, MC_FLAG_STRING, &o.sort_by, "''",
		 "Order the rows by the field this JSONPath names, e.g. '{.metadata.name}'."},
		{"watch", 'w', MC_FLAG_BOOL, &o.watch, "false",
		 "Print the objects, then keep printing them as they change."},
		{"watch-only", 0, MC_FLAG_BOOL, &o.watch_only, "false",
		 "Print only changes, skipping the first listing."},
		{"no-headers", 0, MC_FLAG_BOOL, &o.no_headers, "false",
		 "Leave out the header row of tables (default and custom-columns output)."},
		{"ignore-not-found", 0, MC_FLAG_BOOL, &o.ignore_not_found, "false",
		 "Exit with status 0 when a named object does not exist."},
		{"show-kind", 0, MC_FLAG_BOOL, &o.show_kind, "false",
		 "Prefix each name with its type, as type/name."},
		{"filename", 'f', MC_FLAG_ARRAY, &o.files, "[]",
		 "Manifest file or directory naming the objects to show; \"-\" reads stdin."},
		{"recursive", 'R', MC_FLAG_BOOL, &o.recursive, "false",
		 "Also read the subdirectories of a directory given with -f."},
		{"chunk-size", 0, MC_FLAG_INT, &o.chunk_size, "500", "Fetch long lists in pages of this many objects instead of in one go."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);

	if (rc)
		goto done;
	/* -L a,b is one flag with two label keys */
	for (size_t i = 0; i < o.label_columns.n; i++) {
		if (strchr(o.label_columns.v[i], ',')) {
			char *s = (char *)o.label_columns.v[i];
			char *comma = strchr(s, ',');
			*comma = '\0';
			mc_strv_push(&o.label_columns, comma + 1);
		}
	}
	o.wide = !strcmp(o.output, "wide");
	if (o.files.n) {
		cJSON *it;
		if ((rc = mc_manifest_load(c, &o.files, o.recursive, &objs)))
			goto done;
		cJSON_ArrayForEach(it, objs)
		{
			const struct mc_resource *r =
				mc_resource_by_kind(cm_json_get_str(it, "apiVersion"), cm_json_get_str(it, "kind"));
			struct mc_target t = {r, cm_json_get_str(it, "metadata.name")};
			if (!r) {
				rc = mc_errorf(c, "the server doesn't have a resource type \"%s\"", cm_json_str_or(it, "kind", ""));
				goto done;
			}
			if (ts.n == ts.cap) {
				ts.cap = ts.cap ? ts.cap * 2 : 8;
				ts.v = realloc(ts.v, ts.cap * sizeof(*ts.v));
			}
			ts.v[ts.n++] = t;
		}
	} else if ((rc = mc_targets_parse(c, &pos, 0, &ts))) {
		goto done;
	}
	if (o.watch || o.watch_only)
		rc = mc_get_watch(c, &o, &ts);
	else if (!o.output[0] || o.wide)
		rc = print_tables(c, &o, &ts);
	else
		rc = print_object_output(c, &o, &ts);
done:
	cJSON_Delete(objs);
	mc_targets_close(&ts);
	mc_strv_close(&o.label_columns);
	mc_strv_close(&o.files);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}
