/* prober.c: runs liveness, readiness and startup probes (httpGet, tcpSocket, exec) and acts on their results. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "kubelet/worker.h"

static const char *const kind_name[3] = {"liveness", "readiness", "startup"};

/* One probe in flight; holds a reference on the worker. */
struct probe_op {
	struct kl_pod_worker *w;
	char *ctr;     /* the container's name: the worker's array may have gone on */
	int attempt;
	int which;
	uv_tcp_t tcp;
	uv_connect_t conn;
	uv_timer_t timer;
	int handles;
	bool ok, decided;
};

static struct kl_ctr *find_ctr(struct kl_pod_worker *w, const char *name)
{
	for (size_t i = 0; i < w->n_ctrs; i++)
		if (!strcmp(w->ctrs[i].name, name))
			return &w->ctrs[i];
	return NULL;
}

/* Applies one outcome: a failed liveness or startup probe stops the container for a restart. True if the result changed. */
static bool outcome(struct kl_pod_worker *w, struct kl_ctr *c, int which, bool ok)
{
	struct kl_server *s = w->srv;

	c->probe_busy[which] = false;
	if (!ok)
		cm_metric_inc(s->m_probe_fail);
	if (!kl_probe_record(&c->probes[which], &c->pst[which], ok, cm_time_wall_ms()))
		return false;
	cm_info("pod %s/%s: container %s %s probe: %s", w->ns, w->name, c->name, kind_name[which],
		c->pst[which].result == KL_PROBE_SUCCESS ? "succeeded" : "failed");
	if (c->pst[which].result == KL_PROBE_FAILURE && which != KL_READINESS && !c->killing && c->id) {
		c->killing = true;
		/* restarted through the normal path once it exits; SIGKILL as a probe failure has no grace here */
		s->rt->ops->container_signal(s->rt, c->id, SIGKILL);
	}
	return true;
}

static void op_finish(struct probe_op *op)
{
	struct kl_pod_worker *w = op->w;
	struct kl_ctr *c = w->removed ? NULL : find_ctr(w, op->ctr);

	/* a new result (Ready, most often) is written now, not on the next tick */
	if (c && c->attempt == op->attempt && c->probe_busy[op->which] && outcome(w, c, op->which, op->ok))
		kl_status_sync(w);
	free(op->ctr);
	free(op);
	kl_worker_unref(w);
}

static void http_done(const struct cm_http_response *r, void *ud)
{
	struct probe_op *op = ud;

	op->ok = r->err == 0 && r->status >= 200 && r->status < 400;
	op_finish(op);
}

static void tcp_closed(uv_handle_t *h)
{
	struct probe_op *op = h->data;

	if (--op->handles == 0)
		op_finish(op);
}

static void tcp_decide(struct probe_op *op, bool ok)
{
	if (op->decided)
		return;
	op->decided = true;
	op->ok = ok;
	uv_close((uv_handle_t *)&op->tcp, tcp_closed);
	uv_close((uv_handle_t *)&op->timer, tcp_closed);
}

static void tcp_connected(uv_connect_t *req, int status)
{
	tcp_decide(req->data, status == 0);
}

static void tcp_timeout(uv_timer_t *t)
{
	tcp_decide(t->data, false);
}

static void start_exec(struct kl_pod_worker *w, struct kl_ctr *c, int which, int64_t now)
{
	const cJSON *it;
	char *argv[64];
	int n = 0;
	pid_t p;

	cJSON_ArrayForEach(it, c->probes[which].command)
	{
		if (n < 63 && cJSON_IsString(it))
			argv[n++] = it->valuestring;
	}
	argv[n] = NULL;
	p = fork();
	if (p == 0) {
		static const char *const nss[] = {"ipc", "uts", "net", "mnt"};
		int devnull = open("/dev/null", O_RDWR);

		for (size_t i = 0; i < sizeof(nss) / sizeof(nss[0]) && c->st.pid > 0; i++) {
			char path[64];
			int fd;

			snprintf(path, sizeof(path), "/proc/%d/ns/%s", c->st.pid, nss[i]);
			if ((fd = open(path, O_RDONLY)) >= 0) {
				(void)!setns(fd, 0);
				close(fd);
			}
		}
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (p < 0) {
		outcome(w, c, which, false);
		return;
	}
	c->exec_pid[which] = p;
	c->exec_deadline[which] = now + c->probes[which].timeout_ms;
}

static void exec_done(int code, void *ud)
{
	struct probe_op *op = ud;

	op->ok = code == 0;
	op_finish(op);
}

/* A runtime that runs commands itself (docker's exec API); the argv borrows the pod's strings. */
static void start_runtime_exec(struct kl_pod_worker *w, struct kl_ctr *c, int which, struct probe_op *op)
{
	struct kl_runtime *rt = w->srv->rt;
	const char *argv[64];
	const cJSON *it;
	int n = 0;

	cJSON_ArrayForEach(it, c->probes[which].command)
	{
		if (n < 63 && cJSON_IsString(it))
			argv[n++] = it->valuestring;
	}
	argv[n] = NULL;
	if (!c->id || rt->ops->exec(rt, c->id, argv, c->probes[which].timeout_ms, exec_done, op) < 0) {
		op->ok = false;
		op_finish(op);
	}
}

static void start_probe(struct kl_pod_worker *w, struct kl_ctr *c, int which, int64_t now)
{
	const struct kl_probe_spec *sp = &c->probes[which];
	const char *host = sp->host[0] ? sp->host : kl_worker_ip(w);
	struct probe_op *op;
	struct sockaddr_in addr;

	c->probe_busy[which] = true;
	c->pst[which].last_run_ms = now;
	if (sp->kind == KL_PROBE_EXEC && !w->srv->rt->ops->exec) {
		start_exec(w, c, which, now);
		return;
	}
	if (!(op = calloc(1, sizeof(*op))) || !(op->ctr = strdup(c->name))) {
		free(op);
		c->probe_busy[which] = false;
		return;
	}
	op->w = w;
	op->attempt = c->attempt;
	op->which = which;
	w->refs++;
	if (sp->kind == KL_PROBE_EXEC) {
		start_runtime_exec(w, c, which, op);
		return;
	}
	if (sp->kind == KL_PROBE_HTTP) {
		struct cm_buf url = CM_BUF_INIT;
		struct cm_http_request req = {0};

		cm_buf_printf(&url, "%s://%s:%d%s", !strcmp(sp->scheme, "HTTPS") ? "https" : "http", host, sp->port,
			      sp->path[0] == '/' ? sp->path : "/");
		req.url = url.data;
		req.timeout_ms = sp->timeout_ms;
		if (cm_http_client_send(w->srv->http, &req, http_done, op, NULL) < 0) {
			op->ok = false;
			op_finish(op);
		}
		cm_buf_close(&url);
		return;
	}
	op->handles = 2;
	uv_tcp_init(w->srv->loop, &op->tcp);
	uv_timer_init(w->srv->loop, &op->timer);
	op->tcp.data = op->timer.data = op->conn.data = op;
	uv_timer_start(&op->timer, tcp_timeout, (uint64_t)sp->timeout_ms, 0);
	if (uv_ip4_addr(host, sp->port, &addr) < 0 ||
	    uv_tcp_connect(&op->conn, &op->tcp, (const struct sockaddr *)&addr, tcp_connected) < 0)
		tcp_decide(op, false);
}

/*
 * A readiness probe that has not passed yet is retried every
 * KL_EARLY_RETRY_MS during its first period, or its first KL_EARLY_WINDOW_MS
 * if that is longer: a failure then changes nothing (the container is not
 * ready anyway), and a server that listens a little after it started is
 * Ready at once instead of a whole period later. The window is wider than
 * one period because on a busy node a server may take longer than a period
 * of 1 s to listen; it then waited another whole period.
 */
#define KL_EARLY_RETRY_MS 100
#define KL_EARLY_WINDOW_MS 10000

bool kl_prober_early(const struct kl_ctr *c, int64_t now)
{
	const struct kl_probe_spec *sp = &c->probes[KL_READINESS];
	int64_t from = c->st.started_ms + sp->initial_delay_ms;

	return sp->kind && c->st.state == KL_CSTATE_RUNNING && !c->killing &&
	       c->pst[KL_READINESS].result != KL_PROBE_SUCCESS && now >= from &&
	       now < from + (sp->period_ms > KL_EARLY_WINDOW_MS ? sp->period_ms : KL_EARLY_WINDOW_MS);
}

static bool early_readiness(const struct kl_ctr *c, int which, int64_t now)
{
	return which == KL_READINESS && c->pst[which].last_run_ms && kl_prober_early(c, now) &&
	       now >= c->pst[which].last_run_ms + KL_EARLY_RETRY_MS;
}

void kl_prober_tick(struct kl_pod_worker *w, struct kl_ctr *c, int64_t now)
{
	bool started = !c->probes[KL_STARTUP].kind || c->pst[KL_STARTUP].result == KL_PROBE_SUCCESS;

	for (int i = 0; i < 3; i++) {
		int st;

		if (c->exec_pid[i] > 0) {
			pid_t p = waitpid(c->exec_pid[i], &st, WNOHANG);

			if (p == c->exec_pid[i]) {
				c->exec_pid[i] = 0;
				outcome(w, c, i, WIFEXITED(st) && WEXITSTATUS(st) == 0);
			} else if (now >= c->exec_deadline[i]) {
				kill(c->exec_pid[i], SIGKILL);
				waitpid(c->exec_pid[i], &st, 0);
				c->exec_pid[i] = 0;
				outcome(w, c, i, false);
			}
		}
	}
	if (c->killing)
		return;
	for (int i = 0; i < 3; i++) {
		if (c->probe_busy[i] || (i != KL_STARTUP && !started) || (i == KL_STARTUP && started))
			continue;
		if (kl_probe_due(&c->probes[i], &c->pst[i], c->st.started_ms, now) || early_readiness(c, i, now))
			start_probe(w, c, i, now);
	}
}

void kl_prober_reset(struct kl_ctr *c)
{
	for (int i = 0; i < 3; i++) {
		if (c->exec_pid[i] > 0) {
			int st;

			kill(c->exec_pid[i], SIGKILL);
			waitpid(c->exec_pid[i], &st, 0);
			c->exec_pid[i] = 0;
		}
		c->probe_busy[i] = false; /* an http or tcp probe in flight is ignored when it ends */
		kl_probe_state_reset(&c->pst[i]);
	}
}
