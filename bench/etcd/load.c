/* load.c: the load generator of bench/etcd: C closed-loop clients of the etcd v3 JSON API on one loop. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <uv.h>

#include "common/base64.h"
#include "common/buf.h"
#include "common/flags.h"
#include "common/http_client.h"
#include "common/log.h"
#include "common/timeutil.h"

/*
 * Every client keeps exactly one request outstanding and sends the next when
 * it ends (a closed loop), so --clients is the concurrency the servers see.
 * Latencies are kept whole (a few hundred thousand int64s at most) and sorted
 * at the end: exact percentiles, no histogram buckets to argue about.
 *
 * Failover mode (--kill-pid): after --kill-after the generator sends SIGKILL
 * to the given process itself, so the kill time and the write times come from
 * one clock; it then stops at the first write that was sent after the kill
 * and succeeded, and reports the gap as failover_ms.
 */

struct ld_opts {
	struct cm_strlist endpoints;
	bool one_endpoint;
	const char *workload; /* "put" or "range" */
	const char *prefix;
	int keyspace;
	int value_size;
	int clients;
	int64_t duration_ms;
	int64_t ops;
	int64_t timeout_ms;
	int64_t retry_ms;
	int pid_to_kill;
	int64_t kill_after_ms;
	int verbosity;
};

struct ld_run;

struct ld_client {
	struct ld_run *run;
	size_t endpoint;
	int64_t sent_ns;
	uv_timer_t retry;
	bool busy; /* a request or a retry is pending */
};

struct ld_run {
	const struct ld_opts *o;
	uv_loop_t *loop;
	struct cm_http_client *http;
	char **urls; /* one per endpoint: ".../v3/kv/put" or ".../v3/kv/range" */
	size_t nurls;
	bool is_put;
	struct ld_client *clients;
	uv_timer_t kill_timer;
	bool stopping;
	int64_t start_ns;
	int64_t end_ns;
	int64_t issued;
	int64_t errors;
	int64_t *lat_ns; /* successful calls only */
	size_t nlat, caplat;
	uint64_t rng;
	struct cm_buf raw, body;
	int64_t killed_ns;   /* 0 until the kill was sent */
	int64_t first_ok_ns; /* first success of a call sent after the kill */
	long last_status;
	int last_err;
};

/* xorshift64*: keys and values need to vary, not to be unpredictable. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Builds the JSON body of the next request in run->body (the client copies it when sending). */
static int build_body(struct ld_run *run)
{
	char key[64];
	int n = snprintf(key, sizeof(key), "%s%08" PRIu64, run->o->prefix,
			 rng_next(&run->rng) % (uint64_t)run->o->keyspace);
	cm_buf_reset(&run->body);
	int rc = cm_buf_puts(&run->body, "{\"key\":\"");
	if (rc == 0)
		rc = cm_base64_encode(key, (size_t)n, &run->body);
	if (rc == 0 && run->is_put) {
		cm_buf_reset(&run->raw);
		rc = cm_buf_reserve(&run->raw, (size_t)run->o->value_size + 8);
		for (int i = 0; rc == 0 && i < run->o->value_size; i += 8) {
			uint64_t r = rng_next(&run->rng);
			size_t take = run->o->value_size - i < 8 ? (size_t)(run->o->value_size - i) : 8;
			rc = cm_buf_append(&run->raw, &r, take);
		}
		if (rc == 0)
			rc = cm_buf_puts(&run->body, "\",\"value\":\"");
		if (rc == 0)
			rc = cm_base64_encode(run->raw.data, run->raw.len, &run->body);
	}
	if (rc == 0)
		rc = cm_buf_puts(&run->body, "\"}");
	return rc;
}

static bool should_stop(struct ld_run *run)
{
	if (run->stopping)
		return true;
	const struct ld_opts *o = run->o;
	int64_t now = cm_time_mono_ns();
	if (o->pid_to_kill > 0) {
		if (run->first_ok_ns != 0)
			run->stopping = true;
	} else if (o->ops > 0 && run->issued >= o->ops) {
		run->stopping = true;
	}
	if (o->duration_ms > 0 && now - run->start_ns >= o->duration_ms * 1000000)
		run->stopping = true;
	return run->stopping;
}

static void issue(struct ld_client *cl);

static void on_retry(uv_timer_t *t)
{
	struct ld_client *cl = t->data;
	cl->busy = false;
	issue(cl);
}

static void record_latency(struct ld_run *run, int64_t ns)
{
	if (run->nlat == run->caplat) {
		size_t cap = run->caplat ? run->caplat * 2 : 65536;
		int64_t *p = realloc(run->lat_ns, cap * sizeof(*p));
		if (p == NULL) {
			run->errors++; /* cannot keep it: count it as lost rather than abort */
			return;
		}
		run->lat_ns = p;
		run->caplat = cap;
	}
	run->lat_ns[run->nlat++] = ns;
}

static void on_done(const struct cm_http_response *resp, void *ud)
{
	struct ld_client *cl = ud;
	struct ld_run *run = cl->run;
	int64_t now = cm_time_mono_ns();
	cl->busy = false;
	run->end_ns = now;
	bool ok = resp->err == 0 && resp->status == 200;
	if (ok) {
		record_latency(run, now - cl->sent_ns);
		if (run->killed_ns != 0 && cl->sent_ns >= run->killed_ns && run->first_ok_ns == 0)
			run->first_ok_ns = now;
		issue(cl);
		return;
	}
	run->errors++;
	run->last_status = resp->status;
	run->last_err = resp->err;
	cm_debug(1, "request to %s failed: err %d status %ld: %.*s", run->urls[cl->endpoint],
		 resp->err, resp->status, (int)(resp->len > 200 ? 200 : resp->len), resp->body);
	/* A refused or broken connection means that member is gone: try the next one. */
	if (resp->err != 0 && !run->o->one_endpoint)
		cl->endpoint = (cl->endpoint + 1) % run->nurls;
	if (should_stop(run))
		return;
	/* Back off a little so a member without a leader is not spun on. */
	cl->busy = true;
	uv_timer_start(&cl->retry, on_retry, (uint64_t)run->o->retry_ms, 0);
}

static void issue(struct ld_client *cl)
{
	struct ld_run *run = cl->run;
	if (should_stop(run))
		return;
	int rc = build_body(run);
	if (rc < 0) {
		cm_error("load: building a request failed: %s", strerror(-rc));
		run->stopping = true;
		return;
	}
	struct cm_http_request req = {
		.method = "POST",
		.url = run->urls[cl->endpoint],
		.body = run->body.data,
		.body_len = run->body.len,
		.timeout_ms = run->o->timeout_ms,
	};
	cl->sent_ns = cm_time_mono_ns();
	rc = cm_http_client_send(run->http, &req, on_done, cl, NULL);
	if (rc < 0) {
		cm_error("load: sending a request failed: %s", strerror(-rc));
		run->stopping = true;
		return;
	}
	cl->busy = true;
	run->issued++;
}

static void on_kill_timer(uv_timer_t *t)
{
	struct ld_run *run = t->data;
	if (kill((pid_t)run->o->pid_to_kill, SIGKILL) < 0) {
		cm_error("load: kill %d failed: %s", run->o->pid_to_kill, strerror(errno));
		run->stopping = true;
		return;
	}
	run->killed_ns = cm_time_mono_ns();
	cm_debug(1, "killed pid %d", run->o->pid_to_kill);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct_ms(const int64_t *v, size_t n, double q)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)(q * (double)n);
	if (i >= n)
		i = n - 1;
	return (double)v[i] / 1e6;
}

static void print_result(struct ld_run *run)
{
	const struct ld_opts *o = run->o;
	qsort(run->lat_ns, run->nlat, sizeof(int64_t), cmp_i64);
	double secs = (double)(run->end_ns - run->start_ns) / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	printf("{\"workload\":\"%s\",\"clients\":%d,\"endpoints\":%zu,\"ops\":%zu,\"errors\":%" PRId64
	       ",\"seconds\":%.3f,\"throughput\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
	       "\"p99_ms\":%.3f,\"max_ms\":%.3f",
	       o->workload, o->clients, o->one_endpoint ? (size_t)1 : run->nurls, run->nlat,
	       run->errors, secs, (double)run->nlat / secs, pct_ms(run->lat_ns, run->nlat, 0.50),
	       pct_ms(run->lat_ns, run->nlat, 0.90), pct_ms(run->lat_ns, run->nlat, 0.99),
	       run->nlat ? (double)run->lat_ns[run->nlat - 1] / 1e6 : 0.0);
	if (o->pid_to_kill > 0) {
		if (run->first_ok_ns != 0)
			printf(",\"failover_ms\":%.1f",
			       (double)(run->first_ok_ns - run->killed_ns) / 1e6);
		else
			printf(",\"failover_ms\":null");
	}
	if (run->errors > 0)
		printf(",\"last_error\":{\"err\":%d,\"status\":%ld}", run->last_err, run->last_status);
	printf("}\n");
	fflush(stdout);
}

/* Stops the loop from running forever: checks the stop condition for idle runs (all clients backing off). */
static void on_tick(uv_timer_t *t)
{
	struct ld_run *run = t->data;
	should_stop(run);
	bool idle = true;
	for (int i = 0; i < run->o->clients; i++)
		if (run->clients[i].busy)
			idle = false;
	if (run->stopping && idle) {
		uv_timer_stop(t);
		for (int i = 0; i < run->o->clients; i++) {
			uv_timer_stop(&run->clients[i].retry);
			uv_close((uv_handle_t *)&run->clients[i].retry, NULL);
		}
		uv_close((uv_handle_t *)&run->kill_timer, NULL);
		uv_close((uv_handle_t *)t, NULL);
		cm_http_client_close(run->http, NULL, NULL);
	} else if (run->stopping) {
		/* Retry timers of stopped clients never fire a request: clear them now. */
		for (int i = 0; i < run->o->clients; i++) {
			if (uv_is_active((uv_handle_t *)&run->clients[i].retry)) {
				uv_timer_stop(&run->clients[i].retry);
				run->clients[i].busy = false;
			}
		}
	}
}

static int make_urls(struct ld_run *run)
{
	const struct ld_opts *o = run->o;
	run->nurls = o->endpoints.n;
	run->urls = calloc(run->nurls, sizeof(char *));
	if (run->urls == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < run->nurls; i++) {
		struct cm_buf b = CM_BUF_INIT;
		const char *ep = o->endpoints.items[i];
		size_t len = strlen(ep);
		while (len > 0 && ep[len - 1] == '/')
			len--;
		if (cm_buf_printf(&b, "%.*s/v3/kv/%s", (int)len, ep, run->is_put ? "put" : "range") < 0 ||
		    (run->urls[i] = cm_buf_take(&b)) == NULL) {
			cm_buf_close(&b);
			return -ENOMEM;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *default_eps[] = {"http://127.0.0.1:2379"};
	struct ld_opts o = {
		.endpoints = {default_eps, 1, 0},
		.workload = "put",
		.prefix = "bench/",
		.keyspace = 100000,
		.value_size = 256,
		.clients = 16,
		.duration_ms = 5000,
		.timeout_ms = 5000,
		.retry_ms = 5,
		.kill_after_ms = 1000,
	};
	const struct cm_flag flags[] = {
		{"endpoints", CM_FLAG_LIST, &o.endpoints, "client URLs; clients are spread round-robin over them"},
		{"one-endpoint", CM_FLAG_BOOL, &o.one_endpoint, "send every request to the first endpoint"},
		{"workload", CM_FLAG_STRING, &o.workload, "put (random values on random keys) or range (linearizable get of one key)"},
		{"key-prefix", CM_FLAG_STRING, &o.prefix, "prefix of every key"},
		{"keyspace", CM_FLAG_INT, &o.keyspace, "number of distinct keys"},
		{"value-size", CM_FLAG_INT, &o.value_size, "bytes per value (put)"},
		{"clients", CM_FLAG_INT, &o.clients, "concurrent clients, one outstanding request each"},
		{"duration", CM_FLAG_DURATION, &o.duration_ms, "how long to run (0: until --ops)"},
		{"ops", CM_FLAG_INT64, &o.ops, "stop after this many requests (0: until --duration)"},
		{"timeout", CM_FLAG_DURATION, &o.timeout_ms, "per-request timeout"},
		{"retry-delay", CM_FLAG_DURATION, &o.retry_ms, "pause of a client after a failed request"},
		{"kill-pid", CM_FLAG_INT, &o.pid_to_kill, "failover mode: SIGKILL this pid, stop at the first write sent after it that succeeds"},
		{"kill-after", CM_FLAG_DURATION, &o.kill_after_ms, "failover mode: when to kill"},
		{"v", CM_FLAG_INT, &o.verbosity, "log verbosity"},
	};
	int nargs = 0;
	cm_flags_parse_or_exit(flags, sizeof(flags) / sizeof(flags[0]),
			       "etcd_load [flags]: drive an etcd v3 JSON API with C clients, print JSON results",
			       argc, argv, &nargs);
	cm_log_init("etcd_load", o.verbosity);
	bool is_put = strcmp(o.workload, "put") == 0;
	if ((!is_put && strcmp(o.workload, "range") != 0) || o.clients < 1 || o.keyspace < 1 ||
	    o.value_size < 0 || o.endpoints.n == 0 || (o.duration_ms <= 0 && o.ops <= 0)) {
		fprintf(stderr, "etcd_load: bad arguments (workload put|range, clients >= 1, "
				"keyspace >= 1, a duration or an op count); see --help\n");
		return 2;
	}

	struct ld_run run = {.o = &o, .is_put = is_put, .rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)uv_os_getpid()};
	cm_buf_init(&run.raw);
	cm_buf_init(&run.body);
	run.loop = uv_default_loop();
	int rc = make_urls(&run);
	if (rc == 0)
		rc = cm_http_client_new(run.loop, NULL, &run.http);
	run.clients = calloc((size_t)o.clients, sizeof(*run.clients));
	if (rc < 0 || run.clients == NULL) {
		fprintf(stderr, "etcd_load: start failed: %s\n", strerror(rc < 0 ? -rc : ENOMEM));
		return 1;
	}
	uv_timer_t tick;
	uv_timer_init(run.loop, &tick);
	tick.data = &run;
	uv_timer_init(run.loop, &run.kill_timer);
	run.kill_timer.data = &run;
	run.start_ns = run.end_ns = cm_time_mono_ns();
	for (int i = 0; i < o.clients; i++) {
		struct ld_client *cl = &run.clients[i];
		cl->run = &run;
		cl->endpoint = o.one_endpoint ? 0 : (size_t)i % run.nurls;
		uv_timer_init(run.loop, &cl->retry);
		cl->retry.data = cl;
	}
	if (o.pid_to_kill > 0)
		uv_timer_start(&run.kill_timer, on_kill_timer, (uint64_t)o.kill_after_ms, 0);
	uv_timer_start(&tick, on_tick, 10, 10);
	for (int i = 0; i < o.clients; i++)
		issue(&run.clients[i]);
	uv_run(run.loop, UV_RUN_DEFAULT);
	print_result(&run);

	uv_loop_close(run.loop);
	for (size_t i = 0; i < run.nurls; i++)
		free(run.urls[i]);
	free(run.urls);
	free(run.clients);
	free(run.lat_ns);
	cm_buf_close(&run.raw);
	cm_buf_close(&run.body);
	cm_strlist_close(&o.endpoints);
	int failed = o.pid_to_kill > 0 ? run.first_ok_ns == 0 : run.nlat == 0;
	return failed ? 1 : 0;
}
