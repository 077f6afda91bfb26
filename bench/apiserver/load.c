/* load.c: the load generator of bench/apiserver: pod create/get/update/list and watch fan-out on one loop. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "common/buf.h"
#include "common/flags.h"
#include "common/http_client.h"
#include "common/log.h"
#include "common/timeutil.h"

/*
 * Modes (--mode):
 *   create  pods PREFIX-0..COUNT-1 in --ns. With --rate it is an open loop:
 *           request i is due at start + i/rate and its latency counts from
 *           then, so a server that falls behind pays for the queue it caused
 *           (no coordinated omission). Without --rate, --clients closed loops.
 *   get     closed loops reading random pods PREFIX-i, i < COUNT.
 *   update  closed loops; client c owns pod PREFIX-c, reads it once, then PUTs
 *           it with a changed label and the resourceVersion of its last answer.
 *   list    closed loops on --path (e.g. /api/v1/namespaces/x/pods).
 *   fanout  --watchers watches on --ns; once every watcher saw a warm-up pod,
 *           --writes pods are created one after another; each write's fan-out
 *           is the time from sending it to the last watcher's event.
 *   bound   bench/scheduler's load: one watch on --ns from its list's
 *           revision, then COUNT small pods (one pause container, requests
 *           100m/64Mi) created by --clients closed loops (a 429 is sent again
 *           after 50 ms, as client-go does); each pod's latency runs from its
 *           create's send to the watch event that shows it bound.
 * Latencies are kept whole and sorted at the end: exact percentiles.
 */

struct ld_opts {
	const char *server;
	const char *mode;
	const char *ns;
	const char *prefix;
	const char *path;
	int count;
	int clients;
	int rate;
	int watchers;
	int writes;
	int64_t duration_ms;
	int64_t timeout_ms;
	int verbosity;
};

struct ld_run;

struct ld_client {
	struct ld_run *run;
	int id;
	int64_t sent_ns;
	bool put;    /* update: the request in flight is the PUT (its GET is not timed) */
	char rv[32]; /* update: the resourceVersion of the owned pod, "" until read */
	int pod;        /* bound: the pod being created, -1 none */
	uv_timer_t retry; /* bound: a 429's wait */
};

struct ld_watcher {
	struct ld_run *run;
	int warm_seen;  /* warm-up pods seen */
	int last_write; /* highest measured write seen, -1 none */
	int64_t retry_ns; /* the watch ended early: open it again at this time (0: open) */
};

struct ld_lat {
	int64_t *v;
	size_t n, cap;
};

struct ld_run {
	const struct ld_opts *o;
	uv_loop_t *loop;
	struct cm_http_client *http;
	struct ld_client *clients;
	struct ld_watcher *watchers;
	uv_timer_t tick;
	bool stopping;
	int64_t start_ns, end_ns;
	int64_t issued, inflight, errors, bytes;
	int64_t rewatches; /* fanout: watches opened again after a refusal or a cut */
	char list_rv[32];  /* fanout: watches start here, as an informer's after its list */
	long last_status;
	int last_err;
	struct ld_lat lat;      /* per request; fanout: per write, to the last watcher */
	struct ld_lat deliver;  /* fanout: every watcher's event */
	uint64_t rng;
	struct cm_buf url, body;
	/* fanout */
	int warm_sent, warm_ready; /* warm-up writes sent; watchers that saw one */
	int cur_write;             /* measured write in flight, -1 none */
	int next_k;                /* the next measured write */
	int64_t write_sent_ns, write_last_ns, next_write_ns;
	int got; /* watchers that saw cur_write */
	/* bound */
	int64_t *sent_ns, *bound_ns; /* per pod; 0 until sent / seen bound */
	int nbound, retried;
	int64_t created_ns; /* when the last create was answered */
};

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void lat_add(struct ld_run *run, struct ld_lat *l, int64_t ns)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4096;
		int64_t *p = realloc(l->v, cap * sizeof(*p));
		if (p == NULL) {
			run->errors++; /* cannot keep it: count it as lost rather than abort */
			return;
		}
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = ns;
}

static bool is_mode(const struct ld_run *run, const char *m)
{
	return strcmp(run->o->mode, m) == 0;
}

/* A pod of the size kubectl users write: one container, a port, labels. */
static int pod_json(struct cm_buf *b, const char *name, const char *ns, const char *rv, uint64_t gen)
{
	cm_buf_reset(b);
	int rc = cm_buf_printf(b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
			       "\"namespace\":\"%s\",", name, ns);
	if (rc == 0 && rv != NULL && rv[0] != '\0')
		rc = cm_buf_printf(b, "\"resourceVersion\":\"%s\",", rv);
	if (rc == 0)
		rc = cm_buf_printf(b, "\"labels\":{\"app\":\"bench\",\"tier\":\"web\",\"gen\":\"g%" PRIu64 "\"}},"
				   "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\","
				   "\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],"
				   "\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"}}}],"
				   "\"restartPolicy\":\"Always\"}}", gen);
	return rc;
}

/* bench/scheduler's pod: what the scheduler needs and no more. */
static int small_pod_json(struct cm_buf *b, const char *name, const char *prefix)
{
	cm_buf_reset(b);
	return cm_buf_printf(b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
			     "\"labels\":{\"app\":\"%s\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"pause\","
			     "\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"}}}]}}",
			     name, prefix);
}

/* The resourceVersion of the object in a JSON answer, without parsing the whole body. */
static void find_rv(const char *body, char out[32])
{
	const char *p = strstr(body, "\"resourceVersion\":\"");
	if (p == NULL)
		return;
	p += strlen("\"resourceVersion\":\"");
	size_t n = strcspn(p, "\"");
	if (n == 0 || n >= 32)
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* The create of run->body in --ns (create, bound and fanout modes) into *req; its URL goes in run->url. */
static int create_request(struct ld_run *run, struct cm_http_request *req)
{
	const struct ld_opts *o = run->o;
	cm_buf_reset(&run->url);
	int rc = cm_buf_printf(&run->url, "%s/api/v1/namespaces/%s/pods", o->server, o->ns);
	*req = (struct cm_http_request){.method = "POST", .url = run->url.data, .body = run->body.data,
					.body_len = run->body.len, .timeout_ms = o->timeout_ms};
	return rc;
}

/*
 * Sends create_request(), in flight until done(ud) has its answer. body_rc is
 * how building run->body went: a failure, of it or of the send, is logged and
 * stops the run (done is then never called).
 */
static void send_create(struct ld_run *run, int body_rc, cm_http_done_cb done, void *ud)
{
	struct cm_http_request req;
	int rc = body_rc;
	if (rc == 0)
		rc = create_request(run, &req);
	if (rc == 0)
		rc = cm_http_client_send(run->http, &req, done, ud, NULL);
	if (rc < 0) {
		cm_error("%s: sending a create failed: %s", run->o->mode, strerror(-rc));
		run->stopping = true;
		return;
	}
	run->inflight++;
}

static bool should_stop(struct ld_run *run)
{
	const struct ld_opts *o = run->o;
	if (!run->stopping && o->duration_ms > 0 && cm_time_mono_ns() - run->start_ns >= o->duration_ms * 1000000)
		run->stopping = true;
	if (!run->stopping && is_mode(run, "create") && run->issued >= o->count)
		run->stopping = true;
	return run->stopping;
}

static void issue(struct ld_client *cl, int64_t due_ns);

static void on_done(const struct cm_http_response *resp, void *ud)
{
	struct ld_client *cl = ud;
	struct ld_run *run = cl->run;
	int64_t now = cm_time_mono_ns();
	run->inflight--;
	run->end_ns = now;
	bool ok = resp->err == 0 && resp->status >= 200 && resp->status < 300;
	if (ok) {
		if (!is_mode(run, "update") || cl->put)
			lat_add(run, &run->lat, now - cl->sent_ns);
		run->bytes += (int64_t)resp->len;
		if (is_mode(run, "update"))
			find_rv(resp->body, cl->rv);
	} else {
		run->errors++;
		run->last_status = resp->status;
		run->last_err = resp->err;
		cm_debug(1, "request failed: err %d status %ld: %.*s", resp->err, resp->status,
			 (int)(resp->len > 300 ? 300 : resp->len), resp->body);
		if (is_mode(run, "update"))
			cl->rv[0] = '\0'; /* read it again */
	}
	if (run->o->rate == 0 || !is_mode(run, "create"))
		issue(cl, 0);
}

static void bound_issue(struct ld_client *cl);

static void bound_retry(uv_timer_t *t)
{
	struct ld_client *cl = t->data;
	bound_issue(cl);
}

static void on_bound_created(const struct cm_http_response *resp, void *ud)
{
	struct ld_client *cl = ud;
	struct ld_run *run = cl->run;
	run->inflight--;
	if (resp->err == 0 && resp->status == 429 && !run->stopping) {
		run->retried++;
		uv_timer_start(&cl->retry, bound_retry, 50, 0);
		return;
	}
	if (resp->err == -ECANCELED)
		return; /* every pod was seen bound before this answer came */
	if (resp->err != 0 || resp->status != 201) {
		run->errors++;
		run->last_status = resp->status;
		run->last_err = resp->err;
	}
	run->created_ns = cm_time_mono_ns();
	cl->pod = -1;
	bound_issue(cl);
}

/* Creates the client's pod (a retry) or the next one. */
static void bound_issue(struct ld_client *cl)
{
	struct ld_run *run = cl->run;
	const struct ld_opts *o = run->o;
	char name[128];
	if (run->stopping)
		return;
	if (cl->pod < 0) {
		if (run->issued >= o->count)
			return;
		cl->pod = (int)run->issued++;
	}
	snprintf(name, sizeof(name), "%s-%d", o->prefix, cl->pod);
	int rc = small_pod_json(&run->body, name, o->prefix);
	if (run->sent_ns[cl->pod] == 0)
		run->sent_ns[cl->pod] = cm_time_mono_ns(); /* a retried create counts from its first send */
	send_create(run, rc, on_bound_created, cl);
}

/* A watch event of one of our pods with spec.nodeName set: bound, the first time. */
static void on_bound_line(const char *line, size_t len, void *ud)
{
	struct ld_run *run = ud;
	int64_t now = cm_time_mono_ns();
	char tag[160];
	(void)len;
	snprintf(tag, sizeof(tag), "\"name\":\"%s-", run->o->prefix);
	const char *p = strstr(line, tag);
	if (p == NULL || strstr(line, "\"nodeName\":\"") == NULL)
		return;
	int k = atoi(p + strlen(tag));
	if (k < 0 || k >= run->o->count || run->bound_ns[k] != 0 || run->sent_ns[k] == 0)
		return;
	run->bound_ns[k] = now;
	run->end_ns = now;
	lat_add(run, &run->lat, now - run->sent_ns[k]);
	if (++run->nbound >= run->o->count)
		run->stopping = true;
}

static void on_bound_watch_done(const struct cm_http_response *resp, void *ud)
{
	struct ld_run *run = ud;
	run->inflight--;
	if (!run->stopping) {
		cm_error("bound: the watch ended: err %d status %ld", resp->err, resp->status);
		run->errors++;
		run->stopping = true;
	}
}

/*
 * Lists --ns's pods (query appended: "?limit=1" or "") for the revision the
 * bound and fanout watches start from, into run->list_rv. 0, -EIO (not 200,
 * or no resourceVersion) or another negative errno.
 */
static int list_revision(struct ld_run *run, const char *query)
{
	const struct ld_opts *o = run->o;
	struct cm_buf url = CM_BUF_INIT, body = CM_BUF_INIT;
	long status = 0;
	int rc = cm_buf_printf(&url, "%s/api/v1/namespaces/%s/pods%s", o->server, o->ns, query);
	if (rc == 0) {
		struct cm_http_request req = {.url = url.data, .timeout_ms = o->timeout_ms};
		rc = cm_http_fetch(NULL, &req, &status, &body);
	}
	if (rc == 0 && (status != 200 || cm_buf_puts(&body, "") < 0))
		rc = -EIO;
	if (rc == 0)
		find_rv(body.data, run->list_rv);
	if (rc == 0 && run->list_rv[0] == '\0')
		rc = -EIO;
	cm_buf_close(&url);
	cm_buf_close(&body);
	return rc;
}

static int bound_start(struct ld_run *run)
{
	const struct ld_opts *o = run->o;
	struct cm_buf url = CM_BUF_INIT;
	run->sent_ns = calloc((size_t)o->count, sizeof(int64_t));
	run->bound_ns = calloc((size_t)o->count, sizeof(int64_t));
	int rc = run->sent_ns && run->bound_ns ? 0 : -ENOMEM;
	if (rc == 0)
		rc = list_revision(run, "?limit=1");
	if (rc == 0)
		rc = cm_buf_printf(&url, "%s/api/v1/namespaces/%s/pods?watch=1&timeoutSeconds=600&resourceVersion=%s",
				   o->server, o->ns, run->list_rv);
	if (rc == 0) {
		struct cm_http_request req = {.url = url.data, .on_line = on_bound_line};
		rc = cm_http_client_send(run->http, &req, on_bound_watch_done, run, NULL);
	}
	if (rc == 0)
		run->inflight++;
	cm_buf_close(&url);
	run->start_ns = run->end_ns = cm_time_mono_ns(); /* from the first create, not from the list */
	for (int i = 0; i < o->clients && rc == 0; i++) {
		struct ld_client *cl = &run->clients[i];
		cl->pod = -1;
		uv_timer_init(run->loop, &cl->retry);
		cl->retry.data = cl;
		bound_issue(cl);
	}
	return rc;
}

/* Sends the next request of a client; due_ns (open loop) is when it should have left. */
static void issue(struct ld_client *cl, int64_t due_ns)
{
	struct ld_run *run = cl->run;
	const struct ld_opts *o = run->o;
	if (should_stop(run))
		return;
	struct cm_http_request req = {.method = "GET", .timeout_ms = o->timeout_ms};
	char name[128];
	int rc = 0;
	cm_buf_reset(&run->url);
	if (is_mode(run, "create")) {
		snprintf(name, sizeof(name), "%s-%" PRId64, o->prefix, run->issued);
		rc = pod_json(&run->body, name, o->ns, NULL, 0);
		if (rc == 0)
			rc = create_request(run, &req);
	} else if (is_mode(run, "get")) {
		snprintf(name, sizeof(name), "%s-%d", o->prefix, (int)(rng_next(&run->rng) % (uint64_t)o->count));
		rc = cm_buf_printf(&run->url, "%s/api/v1/namespaces/%s/pods/%s", o->server, o->ns, name);
	} else if (is_mode(run, "update")) {
		snprintf(name, sizeof(name), "%s-%d", o->prefix, cl->id);
		rc = cm_buf_printf(&run->url, "%s/api/v1/namespaces/%s/pods/%s", o->server, o->ns, name);
		if (rc == 0 && cl->rv[0] != '\0') {
			rc = pod_json(&run->body, name, o->ns, cl->rv, rng_next(&run->rng) % 1000000);
			req.method = "PUT";
		}
		cl->put = cl->rv[0] != '\0';
	} else {
		rc = cm_buf_printf(&run->url, "%s%s", o->server, o->path);
	}
	if (rc < 0)
		goto fail;
	req.url = run->url.data;
	if (strcmp(req.method, "GET") != 0) {
		req.body = run->body.data;
		req.body_len = run->body.len;
	}
	cl->sent_ns = due_ns ? due_ns : cm_time_mono_ns();
	rc = cm_http_client_send(run->http, &req, on_done, cl, NULL);
	if (rc < 0)
		goto fail;
	run->issued++;
	run->inflight++;
	return;
fail:
	cm_error("load: sending a request failed: %s", strerror(-rc));
	run->stopping = true;
}

/* ---- fanout ---- */

static void fan_write(struct ld_run *run, const char *name);

static void on_write_done(const struct cm_http_response *resp, void *ud)
{
	struct ld_run *run = ud;
	run->inflight--;
	if (!run->stopping && (resp->err != 0 || resp->status != 201)) {
		run->errors++;
		run->last_status = resp->status;
		run->last_err = resp->err;
		cm_warn("fanout: write failed: err %d status %ld: %.*s", resp->err, resp->status,
			(int)(resp->len > 300 ? 300 : resp->len), resp->body);
	}
}

static void fan_write(struct ld_run *run, const char *name)
{
	send_create(run, pod_json(&run->body, name, run->o->ns, NULL, 0), on_write_done, run);
}

static void on_watch_line(const char *line, size_t len, void *ud)
{
	struct ld_watcher *w = ud;
	struct ld_run *run = w->run;
	int64_t now = cm_time_mono_ns();
	(void)len;
	char tag[160];
	snprintf(tag, sizeof(tag), "\"name\":\"%s-w", run->o->prefix);
	const char *p = strstr(line, tag);
	if (p != NULL) {
		if (w->warm_seen++ == 0)
			run->warm_ready++;
		return;
	}
	snprintf(tag, sizeof(tag), "\"name\":\"%s-m", run->o->prefix);
	p = strstr(line, tag);
	if (p == NULL)
		return;
	int k = atoi(p + strlen(tag));
	if (k != run->cur_write || k <= w->last_write)
		return; /* a write whose round timed out, or a repeat */
	w->last_write = k;
	lat_add(run, &run->deliver, now - run->write_sent_ns);
	run->write_last_ns = now;
	run->got++;
}

static void on_watch_done(const struct cm_http_response *resp, void *ud)
{
	struct ld_watcher *w = ud;
	struct ld_run *run = w->run;
	run->inflight--;
	if (run->stopping)
		return;
	/* refused (429) or cut: open it again shortly, as an informer would */
	run->rewatches++;
	run->last_status = resp->status;
	run->last_err = resp->err;
	w->retry_ns = cm_time_mono_ns() + 100 * 1000000LL + (int64_t)(rng_next(&run->rng) % 100) * 1000000LL;
	cm_debug(1, "fanout: a watch ended: err %d status %ld", resp->err, resp->status);
}

static int watch_open(struct ld_run *run, struct ld_watcher *w)
{
	struct cm_buf url = CM_BUF_INIT;
	int rc = cm_buf_printf(&url, "%s/api/v1/namespaces/%s/pods?watch=1&timeoutSeconds=600&resourceVersion=%s",
			       run->o->server, run->o->ns, run->list_rv);
	struct cm_http_request req = {.url = url.data, .on_line = on_watch_line};
	if (rc == 0)
		rc = cm_http_client_send(run->http, &req, on_watch_done, w, NULL);
	if (rc == 0) {
		run->inflight++;
		w->retry_ns = 0;
	}
	cm_buf_close(&url);
	return rc;
}

static int fan_start(struct ld_run *run)
{
	const struct ld_opts *o = run->o;
	int rc = list_revision(run, "");
	if (rc < 0)
		return rc;
	run->watchers = calloc((size_t)o->watchers, sizeof(*run->watchers));
	if (run->watchers == NULL)
		return -ENOMEM;
	for (int i = 0; i < o->watchers && rc == 0; i++) {
		run->watchers[i] = (struct ld_watcher){.run = run, .last_write = -1};
		rc = watch_open(run, &run->watchers[i]);
	}
	run->cur_write = -1;
	return rc;
}

/* Steps the fan-out: warm up until every watcher is live, then one measured write at a time. */
static void fan_tick(struct ld_run *run)
{
	const struct ld_opts *o = run->o;
	int64_t now = cm_time_mono_ns();
	char name[128];
	for (int i = 0; i < o->watchers; i++) {
		struct ld_watcher *w = &run->watchers[i];
		if (w->retry_ns != 0 && w->retry_ns <= now && watch_open(run, w) < 0)
			run->stopping = true;
	}
	if (run->warm_ready < o->watchers) {
		/* a watcher registered late misses earlier warm-ups: write another every 500 ms */
		if (now >= run->next_write_ns) {
			snprintf(name, sizeof(name), "%s-w%d", o->prefix, run->warm_sent++);
			fan_write(run, name);
			run->next_write_ns = now + 500 * 1000000LL;
		}
		return;
	}
	if (run->cur_write >= 0) {
		bool all = run->got >= o->watchers;
		if (!all && now - run->write_sent_ns < o->timeout_ms * 1000000LL)
			return;
		if (all)
			lat_add(run, &run->lat, run->write_last_ns - run->write_sent_ns);
		else
			run->errors++; /* a write some watcher never saw in time */
		run->next_write_ns = now + 20 * 1000000LL; /* let the loop drain between writes */
		if (run->cur_write + 1 >= o->writes) {
			run->stopping = true;
			return;
		}
		run->next_k = run->cur_write + 1;
		run->cur_write = -1;
	}
	if (now < run->next_write_ns)
		return;
	int k = run->next_k;
	run->cur_write = k;
	run->got = 0;
	snprintf(name, sizeof(name), "%s-m%d", o->prefix, k);
	run->write_sent_ns = cm_time_mono_ns();
	fan_write(run, name);
}

static void on_tick(uv_timer_t *t)
{
	struct ld_run *run = t->data;
	const struct ld_opts *o = run->o;
	if (is_mode(run, "fanout") && !run->stopping) {
		if (run->start_ns + 60 * 1000000000LL < cm_time_mono_ns()) {
			cm_error("fanout: only %d of %d watchers live after 60 s", run->warm_ready, o->watchers);
			run->stopping = true;
		} else {
			fan_tick(run);
		}
	} else if (is_mode(run, "create") && o->rate > 0 && !should_stop(run)) {
		/* open loop: send every request that is due by now */
		int64_t now = cm_time_mono_ns();
		while (!run->stopping) {
			int64_t due = run->start_ns + run->issued * 1000000000LL / o->rate;
			if (due > now)
				break;
			issue(&run->clients[run->issued], due); /* one slot per request: they overlap */
			should_stop(run);
		}
	}
	if (is_mode(run, "bound") && !run->stopping && run->start_ns + o->timeout_ms * 1000000LL * 30 < cm_time_mono_ns()) {
		cm_error("bound: %d of %d pods bound in time", run->nbound, o->count);
		run->stopping = true;
	}
	if (!is_mode(run, "bound"))
		should_stop(run);
	if (run->stopping && (run->inflight == 0 || is_mode(run, "fanout") || is_mode(run, "bound"))) {
		if (is_mode(run, "fanout"))
			run->end_ns = cm_time_mono_ns();
		if (is_mode(run, "bound"))
			for (int i = 0; i < o->clients; i++)
				uv_close((uv_handle_t *)&run->clients[i].retry, NULL);
		uv_timer_stop(t);
		uv_close((uv_handle_t *)t, NULL);
		cm_http_client_close(run->http, NULL, NULL); /* cancels the watches */
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct_ms(const struct ld_lat *l, double q)
{
	if (l->n == 0)
		return 0;
	size_t i = (size_t)(q * (double)l->n);
	return (double)l->v[i >= l->n ? l->n - 1 : i] / 1e6;
}

static void print_result(struct ld_run *run)
{
	const struct ld_opts *o = run->o;
	qsort(run->lat.v, run->lat.n, sizeof(int64_t), cmp_i64);
	qsort(run->deliver.v, run->deliver.n, sizeof(int64_t), cmp_i64);
	double secs = (double)(run->end_ns - run->start_ns) / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	printf("{\"mode\":\"%s\",\"clients\":%d,\"rate\":%d,\"ops\":%zu,\"errors\":%" PRId64
	       ",\"seconds\":%.3f,\"throughput\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
	       "\"max_ms\":%.3f,\"avg_bytes\":%.0f",
	       o->mode, o->clients, o->rate, run->lat.n, run->errors, secs, (double)run->lat.n / secs,
	       pct_ms(&run->lat, 0.50), pct_ms(&run->lat, 0.90), pct_ms(&run->lat, 0.99),
	       run->lat.n ? (double)run->lat.v[run->lat.n - 1] / 1e6 : 0.0,
	       run->lat.n ? (double)run->bytes / (double)run->lat.n : 0.0);
	if (is_mode(run, "fanout"))
		printf(",\"watchers\":%d,\"rewatches\":%" PRId64 ",\"deliveries\":%zu,\"deliver_p50_ms\":%.3f,"
		       "\"deliver_p99_ms\":%.3f",
		       o->watchers, run->rewatches, run->deliver.n, pct_ms(&run->deliver, 0.50), pct_ms(&run->deliver, 0.99));
	if (is_mode(run, "bound"))
		printf(",\"bound\":%d,\"retried_429\":%d,\"create_seconds\":%.3f", run->nbound, run->retried,
		       (double)(run->created_ns - run->start_ns) / 1e9);
	if (run->errors > 0)
		printf(",\"last_error\":{\"err\":%d,\"status\":%ld}", run->last_err, run->last_status);
	printf("}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct ld_opts o = {
		.server = "http://127.0.0.1:8080",
		.mode = "create",
		.ns = "default",
		.prefix = "bench",
		.path = "/api/v1/pods",
		.count = 1000,
		.clients = 16,
		.watchers = 1000,
		.writes = 20,
		.duration_ms = 0,
		.timeout_ms = 10000,
	};
	const struct cm_flag flags[] = {
		{"server", CM_FLAG_STRING, &o.server, "apiserver URL"},
		{"mode", CM_FLAG_STRING, &o.mode, "create, get, update, list, fanout or bound"},
		{"ns", CM_FLAG_STRING, &o.ns, "namespace of the pods"},
		{"prefix", CM_FLAG_STRING, &o.prefix, "pod names are PREFIX-N"},
		{"path", CM_FLAG_STRING, &o.path, "list: the path to GET"},
		{"count", CM_FLAG_INT, &o.count, "create: pods to create; get: pods that exist"},
		{"clients", CM_FLAG_INT, &o.clients, "closed loops, one outstanding request each"},
		{"rate", CM_FLAG_INT, &o.rate, "create: open loop at this many requests/s (0: closed loop)"},
		{"watchers", CM_FLAG_INT, &o.watchers, "fanout: watches to open"},
		{"writes", CM_FLAG_INT, &o.writes, "fanout: measured writes"},
		{"duration", CM_FLAG_DURATION, &o.duration_ms, "stop after this long (0: create stops at --count)"},
		{"timeout", CM_FLAG_DURATION, &o.timeout_ms, "per request; fanout: per write's round"},
		{"v", CM_FLAG_INT, &o.verbosity, "log verbosity"},
	};
	int nargs = 0;
	cm_flags_parse_or_exit(flags, sizeof(flags) / sizeof(flags[0]),
			       "apiserver_load [flags]: drive an apiserver with pods, print one JSON result", argc,
			       argv, &nargs);
	cm_log_init("apiserver_load", o.verbosity);
	struct ld_run run = {.o = &o, .rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)uv_os_getpid()};
	bool known = is_mode(&run, "create") || is_mode(&run, "get") || is_mode(&run, "update") ||
		     is_mode(&run, "list") || is_mode(&run, "fanout") || is_mode(&run, "bound");
	if (!known || o.clients < 1 || o.count < 1 || o.rate < 0 || o.watchers < 1 || o.writes < 1 ||
	    (!is_mode(&run, "create") && !is_mode(&run, "fanout") && !is_mode(&run, "bound") && o.duration_ms <= 0)) {
		fprintf(stderr, "apiserver_load: bad arguments (a known mode, counts >= 1, a duration "
				"for get, update and list); see --help\n");
		return 2;
	}
	cm_buf_init(&run.url);
	cm_buf_init(&run.body);
	run.loop = uv_default_loop();
	int rc = cm_http_client_new(run.loop, NULL, &run.http);
	if (is_mode(&run, "create") && o.rate > 0)
		o.clients = o.count;
	run.clients = calloc((size_t)o.clients, sizeof(*run.clients));
	if (rc < 0 || run.clients == NULL) {
		fprintf(stderr, "apiserver_load: start failed: %s\n", strerror(rc < 0 ? -rc : ENOMEM));
		return 1;
	}
	for (int i = 0; i < o.clients; i++)
		run.clients[i] = (struct ld_client){.run = &run, .id = i};
	uv_timer_init(run.loop, &run.tick);
	run.tick.data = &run;
	run.start_ns = run.end_ns = cm_time_mono_ns();
	uv_timer_start(&run.tick, on_tick, 1, 1);
	if (is_mode(&run, "fanout")) {
		rc = fan_start(&run);
		if (rc < 0) {
			fprintf(stderr, "apiserver_load: watches failed: %s\n", strerror(-rc));
			return 1;
		}
		run.next_write_ns = run.start_ns + 200 * 1000000LL;
	} else if (is_mode(&run, "bound")) {
		rc = bound_start(&run);
		if (rc < 0) {
			fprintf(stderr, "apiserver_load: bound: start failed: %s\n", strerror(-rc));
			return 1;
		}
	} else if (!(is_mode(&run, "create") && o.rate > 0)) {
		for (int i = 0; i < o.clients; i++)
			issue(&run.clients[i], 0);
	}
	uv_run(run.loop, UV_RUN_DEFAULT);
	print_result(&run);

	uv_loop_close(run.loop);
	free(run.clients);
	free(run.watchers);
	free(run.sent_ns);
	free(run.bound_ns);
	free(run.lat.v);
	free(run.deliver.v);
	cm_buf_close(&run.url);
	cm_buf_close(&run.body);
	return run.lat.n == 0 ? 1 : 0;
}
