/* test_cm_informer.c: the informer against an in-process fake apiserver that drops watches and answers 410. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/loop_until.h"
#include "common/apiclient.h"
#include "common/http_server.h"
#include "common/informer.h"
#include "common/json.h"
#include "tests/lib/check_run.h"

/* A watch plan: the status, the lines sent, and whether the stream then ends. */
struct plan {
	int status;
	const char *lines[4];
	int end;
};

static uv_loop_t loop;
static uv_timer_t tick;
static struct cm_http_server *srv;
static struct cm_api *api;
static struct cm_informer *inf;
static const char *list_bodies[4];
static int nlists_served;
static struct plan plans[4];
static int nwatches_served;
static char watch_rv[4][32];
static int adds, updates, deletes, synced;

#define RUN_UNTIL(cond) LOOP_RUN_UNTIL(&loop, cond, 5000)

static void on_req_done(struct cm_http_req *req, void *ud)
{
	(void)req;
	(void)ud;
}

static void serve_pods(struct cm_http_req *req, void *ud)
{
	(void)ud;
	if (!cm_http_req_query(req, "watch")) {
		const char *b = list_bodies[nlists_served < 3 ? nlists_served : 3];
		nlists_served++;
		cm_http_respond(req, 200, "application/json", b, strlen(b));
		return;
	}
	int i = nwatches_served < 3 ? nwatches_served : 3;
	const struct plan *p = &plans[i];
	const char *rv = cm_http_req_query(req, "resourceVersion");
	snprintf(watch_rv[i], sizeof(watch_rv[i]), "%s", rv ? rv : "");
	nwatches_served++;
	if (p->status && p->status != 200) {
		const char *b = "{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}";
		cm_http_respond(req, p->status, "application/json", b, strlen(b));
		return;
	}
	cm_http_req_on_done(req, on_req_done, NULL);
	cm_http_stream_begin(req, 200, "application/json");
	for (int l = 0; l < 4 && p->lines[l]; l++) {
		cm_http_stream_write(req, p->lines[l], strlen(p->lines[l]));
		cm_http_stream_write(req, "\n", 1);
	}
	if (p->end)
		cm_http_stream_end(req);
}

/* The typed view the test decodes pods into. */
struct pod_view {
	char *name, *node;
};

static int decode_pod(const cJSON *obj, void **out)
{
	struct pod_view *v = calloc(1, sizeof(*v));
	v->name = strdup(cm_json_str_or(obj, "metadata.name", ""));
	v->node = strdup(cm_json_str_or(obj, "spec.nodeName", ""));
	*out = v;
	return 0;
}

static void free_pod(void *p)
{
	struct pod_view *v = p;
	free(v->name);
	free(v->node);
	free(v);
}

static const char *by_node(const void *view)
{
	const struct pod_view *v = view;
	return *v->node ? v->node : NULL;
}

static void h_add(void *ud, const char *key, const void *v)
{
	(void)ud, (void)key, (void)v;
	adds++;
}
static void h_update(void *ud, const char *key, const void *o, const void *n)
{
	(void)ud, (void)key;
	ck_assert_ptr_ne(o, n);
	updates++;
}
static void h_delete(void *ud, const char *key, const void *v)
{
	(void)ud, (void)key, (void)v;
	deletes++;
}
static void h_synced(void *ud)
{
	(void)ud;
	synced++;
}

#define POD(name, node, rv)                                                                       \
	"{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"default\",\"resourceVersion\":\"" rv \
	"\"},\"spec\":{\"nodeName\":\"" node "\"}}"
#define LIST(rv, ...) "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"" rv "\"},\"items\":[" __VA_ARGS__ "]}"
#define EV(type, obj) "{\"type\":\"" type "\",\"object\":" obj "}"

static void start_informer(int bad_first_server)
{
	char url[64], *servers[2];
	struct cm_informer_opts o = {.path = "/api/v1/pods", .decode = decode_pod, .free_view = free_pod};
	struct cm_informer_handlers h = {h_add, h_update, h_delete, h_synced, NULL};

	o.indexes[0].name = "node";
	o.indexes[0].fn = by_node;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", cm_http_server_port(srv));
	servers[0] = bad_first_server ? "http://127.0.0.1:1" : url;
	servers[1] = url;
	ck_assert_int_eq(cm_api_new(&loop, (const char *const *)servers, 2, &api), 0);
	ck_assert_int_eq(cm_informer_new(api, &o, &h, &inf), 0);
	ck_assert_int_eq(cm_informer_start(inf), 0);
}

static void setup(void)
{
	struct cm_http_server_opts so = {0};

	ck_assert_int_eq(uv_loop_init(&loop), 0);
	loop_tick_start(&loop, &tick, 20);
	ck_assert_int_eq(cm_http_server_new(&loop, &so, &srv), 0);
	ck_assert_int_eq(cm_http_server_route(srv, "GET", "/api/v1/pods", serve_pods, NULL), 0);
	memset(plans, 0, sizeof(plans));
	memset(list_bodies, 0, sizeof(list_bodies));
	list_bodies[0] = LIST("10", POD("p1", "n1", "5") "," POD("p2", "n2", "6"));
	list_bodies[1] = list_bodies[2] = list_bodies[3] = list_bodies[0];
	nlists_served = nwatches_served = adds = updates = deletes = synced = 0;
}

static int closed;
static void on_closed(void *ud)
{
	(void)ud;
	closed = 1;
}

static void teardown(void)
{
	closed = 0;
	cm_informer_free(inf);
	cm_api_free(api);
	cm_http_server_close(srv, on_closed, NULL);
	loop_tick_close(&tick);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert(closed);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}

START_TEST(lists_then_watches_from_the_list_rv)
{
	plans[0] = (struct plan){200,
				 {EV("MODIFIED", POD("p1", "n2", "11")), EV("DELETED", POD("p2", "n2", "12")),
				  EV("ADDED", POD("p3", "n1", "13"))},
				 0};
	start_informer(0);
	RUN_UNTIL(adds == 3 && updates == 1 && deletes == 1);
	ck_assert_int_eq(synced, 1);
	ck_assert_str_eq(watch_rv[0], "10");
	ck_assert_uint_eq(cm_informer_count(inf), 2);
	ck_assert_str_eq(cm_informer_last_rv(inf), "13");
	const struct pod_view *v = cm_informer_get(inf, "default/p1");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v->node, "n2");
	ck_assert_ptr_null(cm_informer_get(inf, "default/p2"));
	ck_assert_uint_eq(cm_informer_index_count(inf, "node", "n2"), 1);
	ck_assert_uint_eq(cm_informer_index_count(inf, "node", "n1"), 1);
	ck_assert_int_eq(cm_informer_index_foreach(inf, "nope", "n1", NULL, NULL), -ENOENT);
}
END_TEST

START_TEST(rewatches_from_last_rv_after_a_drop)
{
	plans[0] = (struct plan){200, {EV("ADDED", POD("p3", "n1", "11"))}, 1};
	plans[1] = (struct plan){200, {EV("BOOKMARK", "{\"metadata\":{\"resourceVersion\":\"15\"}}")}, 1};
	start_informer(0);
	RUN_UNTIL(nwatches_served >= 3);
	ck_assert_str_eq(watch_rv[1], "11");
	ck_assert_str_eq(watch_rv[2], "15"); /* bookmarks move the resume point */
	ck_assert_int_eq(nlists_served, 1);
	ck_assert_int_eq(adds, 3);
}
END_TEST

START_TEST(relists_on_410_event_and_reconciles)
{
	plans[0] = (struct plan){200, {"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410}}"}, 0};
	list_bodies[1] = LIST("20", POD("p1", "n1", "5") "," POD("p4", "n3", "19"));
	list_bodies[2] = list_bodies[3] = list_bodies[1];
	start_informer(0);
	RUN_UNTIL(nwatches_served >= 2);
	ck_assert_int_eq(nlists_served, 2);
	ck_assert_uint_eq(cm_informer_lists(inf), 2);
	ck_assert_str_eq(watch_rv[1], "20");
	ck_assert_int_eq(deletes, 1); /* p2 vanished while we were away */
	ck_assert_int_eq(adds, 3);    /* p1, p2, then p4 */
	ck_assert_int_eq(updates, 0); /* p1 unchanged */
	ck_assert_int_eq(synced, 1);
	ck_assert_ptr_nonnull(cm_informer_get(inf, "default/p4"));
}
END_TEST

START_TEST(relists_on_http_410)
{
	plans[0] = (struct plan){410, {NULL}, 0};
	start_informer(0);
	RUN_UNTIL(nwatches_served >= 2);
	ck_assert_int_eq(nlists_served, 2);
	ck_assert_str_eq(watch_rv[1], "10");
}
END_TEST

START_TEST(fails_over_to_the_next_apiserver)
{
	start_informer(1);
	RUN_UNTIL(synced == 1 && nwatches_served >= 1);
	ck_assert_uint_eq(cm_informer_count(inf), 2);
	ck_assert_int_eq(nlists_served, 1);
}
END_TEST

static int calls_ok, calls_done;
static void on_call(const struct cm_api_resp *r, void *ud)
{
	(void)ud;
	calls_done++;
	calls_ok += r->err == 0 && r->status == 200;
}

START_TEST(calls_failing_together_fail_over_once)
{
	char url[64];
	const char *servers[2] = {"http://127.0.0.1:1", url};

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", cm_http_server_port(srv));
	ck_assert_int_eq(cm_api_new(&loop, servers, 2, &api), 0);
	calls_ok = calls_done = 0;
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(cm_api_call(api, "GET", "/api/v1/pods", NULL, NULL, 0, 0, on_call, NULL), 0);
	RUN_UNTIL(calls_done == 4);
	/* each call that failed on the dead server moved on to the live one, none flipped back */
	ck_assert_int_eq(calls_ok, 4);
	ck_assert_str_eq(cm_api_server(api), url);
	cm_api_failover(api, "http://127.0.0.1:1"); /* a late report about the dead one: ignored */
	ck_assert_str_eq(cm_api_server(api), url);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("informer");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 15);
	tcase_add_test(tc, lists_then_watches_from_the_list_rv);
	tcase_add_test(tc, rewatches_from_last_rv_after_a_drop);
	tcase_add_test(tc, relists_on_410_event_and_reconciles);
	tcase_add_test(tc, relists_on_http_410);
	tcase_add_test(tc, fails_over_to_the_next_apiserver);
	tcase_add_test(tc, calls_failing_together_fail_over_once);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
