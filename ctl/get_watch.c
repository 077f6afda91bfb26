/* get_watch.c: minictl get -w: list, then follow the watch stream, re-watching after timeouts, 410 Gone and apiserver restarts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "ctl/get.h"
#include "ctl/stream.h"

struct watch {
	struct mc_ctx *c;
	const struct mc_get_opts *o;
	const struct mc_target *t;
	struct mc_get_printer p;
	bool tables;
	bool gone;
	char *rv;
};

static void set_rv(struct watch *w, const char *rv)
{
	if (!rv || !*rv)
		return;
	free(w->rv);
	w->rv = strdup(rv);
}

static void print_pending(struct watch *w)
{
	struct cm_buf out = CM_BUF_INIT;

	mc_table_flush(&w->p.t, &out);
	if (out.len)
		fwrite(out.data, 1, out.len, w->c->out);
	fflush(w->c->out);
	cm_buf_close(&out);
}

static int on_event(const char *line, size_t len, void *ud)
{
	struct watch *w = ud;
	cJSON *ev = NULL, *obj;
	const char *type;

	if (cm_json_parse(line, len, &ev, NULL))
		return 0;
	type = cm_json_str_or(ev, "type", "");
	obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
	if (!strcmp(type, "ERROR")) {
		if (cm_json_int64_or(obj, "code", 0) == 410)
			w->gone = true;
		cJSON_Delete(ev);
		return 1;
	}
	if (!strcmp(type, "BOOKMARK")) {
		set_rv(w, cm_json_get_str(obj, "metadata.resourceVersion"));
		cJSON_Delete(ev);
		return 0;
	}
	if (w->tables && !strcmp(cm_json_str_or(obj, "kind", ""), "Table")) {
		const cJSON *row;
		cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(obj, "rows"))
			set_rv(w, cm_json_get_str(row, "object.metadata.resourceVersion"));
		mc_table_add_rows(&w->p, obj, NULL);
		print_pending(w);
	} else if (obj) {
		cJSON *items = cJSON_CreateArray();
		set_rv(w, cm_json_get_str(obj, "metadata.resourceVersion"));
		cJSON_AddItemToArray(items, cJSON_Duplicate(obj, 1));
		if (w->tables) {
			/* the server sent no Table: NAME and AGE from the object */
			mc_print_objects(w->c, &(struct mc_get_opts){.output = "custom-columns=NAME:.metadata.name", .no_headers = true},
					 items, true);
		} else {
			mc_print_objects(w->c, w->o, items, true);
		}
		cJSON_Delete(items);
		fflush(w->c->out);
	}
	cJSON_Delete(ev);
	return 0;
}

/* Lists the target (printing it unless quiet) and remembers the list's resourceVersion. */
static int list(struct watch *w, bool quiet)
{
	struct cm_buf path = CM_BUF_INIT, body = CM_BUF_INIT, extra = CM_BUF_INIT;
	long status = 0;
	cJSON *j = NULL;
	int rc;

	if (w->t->name) {
		cm_buf_puts(&extra, "fieldSelector=metadata.name%3D");
		mc_url_escape(&extra, w->t->name);
	}
	rc = mc_resource_path(w->t->res, w->o->all_ns ? NULL : w->c->ns, NULL, &path);
	if (!rc)
		rc = mc_get_query(w->o, extra.data, &path);
	if (rc)
		goto done;
	rc = mc_request(w->c, "GET", path.data, w->tables ? mc_table_accept : NULL, NULL, NULL, 0, &status, &body);
	if (rc)
		goto done;
	if (status < 200 || status > 299) {
		rc = mc_print_api_error(w->c, status, body.data);
		goto done;
	}
	if (cm_json_parse(body.data, body.len, &j, NULL)) {
		rc = mc_errorf(w->c, "the server sent an answer that is not JSON");
		goto done;
	}
	set_rv(w, cm_json_get_str(j, "metadata.resourceVersion"));
	if (!quiet) {
		if (w->tables && !strcmp(cm_json_str_or(j, "kind", ""), "Table")) {
			mc_table_add_rows(&w->p, j, NULL);
			print_pending(w);
		} else if (!w->tables) {
			cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "items"), *it;
			cJSON_ArrayForEach(it, items)
			{
				cJSON *one = cJSON_CreateArray();
				cJSON_AddItemToArray(one, cJSON_Duplicate(it, 1));
				mc_print_objects(w->c, w->o, one, true);
				cJSON_Delete(one);
			}
			fflush(w->c->out);
		}
	}
done:
	cJSON_Delete(j);
	cm_buf_close(&path);
	cm_buf_close(&body);
	cm_buf_close(&extra);
	return rc;
}

int mc_get_watch(struct mc_ctx *c, const struct mc_get_opts *o, const struct mc_targets *ts)
{
	struct watch w = {.c = c, .o = o, .t = &ts->v[0]};
	int rc, failures = 0;

	w.tables = !o->output[0] || o->wide;
	w.p = (struct mc_get_printer){.wide = o->wide, .all_ns = o->all_ns && ts->v[0].res->namespaced, .show_labels = o->show_labels,
				      .no_headers = o->no_headers, .label_columns = o->label_columns};
	for (size_t i = 1; i < ts->n; i++)
		if (ts->v[i].res != ts->v[0].res)
			return mc_errorf(c, "you may only specify a single resource type");
	if ((rc = list(&w, o->watch_only)))
		goto done;
	for (;;) {
		struct cm_buf path = CM_BUF_INIT, extra = CM_BUF_INIT, errbody = CM_BUF_INIT;
		long status = 0;

		cm_buf_printf(&extra, "watch=true&allowWatchBookmarks=true&resourceVersion=%s", w.rv ? w.rv : "");
		if (w.t->name) {
			cm_buf_puts(&extra, "&fieldSelector=metadata.name%3D");
			mc_url_escape(&extra, w.t->name);
		}
		mc_resource_path(w.t->res, o->all_ns ? NULL : c->ns, NULL, &path);
		mc_get_query(o, extra.data, &path);
		w.gone = false;
		rc = mc_stream(c, path.data, w.tables ? mc_table_accept : NULL, on_event, &w, &status, &errbody);
		cm_buf_close(&path);
		cm_buf_close(&extra);
		if (rc == 0 && status == 410)
			w.gone = true;
		/* 429 is the apiserver asking to come back (its watch cache still starting after a restart) */
		if (rc == 0 && status && (status < 200 || status > 299) && status != 410 && status != 429 && status < 500) {
			rc = mc_print_api_error(c, status, errbody.data);
			cm_buf_close(&errbody);
			goto done;
		}
		cm_buf_close(&errbody);
		if (rc || status >= 500 || status == 429) {
			/* the apiserver went away or is not ready yet: try again, at most once a second */
			struct timespec ts1 = {0, failures < 5 ? 200000000L : 999999999L};
			failures++;
			nanosleep(&ts1, NULL);
			continue;
		}
		failures = 0;
		if (w.gone && (rc = list(&w, true)))
			goto done;
	}
done:
	if (w.p.ready)
		mc_table_close(&w.p.t);
	free(w.rv);
	return rc;
}
