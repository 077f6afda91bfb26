/* exec.c: /exec/{ns}/{pod}/{container}: a command run in a running container, its stdio over WebSocket (channel.k8s.io v4/v5). */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/uv_alloc.h"
#include "common/websocket.h"
#include "kubelet/worker.h"

#define MAX_ARGS 256
/* The child's output is not read while this much waits for the client: a slow client holds the command back. */
#define HIGH_WATER (1u << 20)
#define REAP_MS 20

struct exec_session {
	struct kl_server *s;
	struct cm_http_upgraded *up;
	uv_stream_t *ws;
	struct cm_ws_reader rd;
	bool v5, tty, want_in, want_out, want_err;
	pid_t pid;
	int ctr_pid;  /* the container's init (its shim), whose namespaces the command joins */
	int main_pid; /* the container's command: its environment, folder and user are the exec's */
	uid_t uid;
	gid_t gid;
	bool has_cred;
	char **argv, **envp;
	uv_pipe_t in, out, err; /* with tty, out is the pty master and carries stdin too */
	bool in_open, out_open, err_open;
	int outputs;           /* output streams not at their end yet */
	uv_timer_t reap;
	bool reap_open;
	int code;              /* exit code once exited, -1 before */
	bool finished, ws_gone;
	int handles;           /* libuv handles to close before the session is freed */
	int writes;            /* frames in flight to the client: their callbacks still see the session */
	bool released;         /* every handle closed, the connection handed back */
	bool stdin_ending;     /* v5 closed stdin: no more writes, the pipe closes once drained */
};

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void session_free(struct exec_session *x)
{
	strv_free(x->argv);
	strv_free(x->envp);
	cm_ws_reader_close(&x->rd);
	free(x);
}

static void handle_closed(uv_handle_t *h)
{
	struct exec_session *x = h->data;

	if (--x->handles > 0)
		return;
	x->released = true;
	/* closing the connection cancels frames still queued: their callbacks free the session */
	if (x->up)
		cm_http_upgraded_close(x->up);
	if (x->writes == 0)
		session_free(x);
}

static void close_handle(struct exec_session *x, uv_handle_t *h, bool *open)
{
	if (!*open)
		return;
	*open = false;
	h->data = x;
	uv_close(h, handle_closed);
}

/* ---- to the client ---- */

struct ws_write {
	uv_write_t req;
	struct exec_session *x;
	struct cm_buf frame;
	bool last;
};

static void resume_outputs(struct exec_session *x);
static void teardown(struct exec_session *x);

static void ws_written(uv_write_t *req, int status)
{
	struct ws_write *w = (struct ws_write *)req;
	struct exec_session *x = w->x;

	cm_buf_close(&w->frame);
	x->writes--;
	if (x->released) {
		if (x->writes == 0)
			session_free(x);
	} else if (w->last || status < 0) {
		teardown(x);
	} else {
		resume_outputs(x);
	}
	free(w);
}

/* Sends one frame: a binary message on channel ch (ch < 0: data is already the whole payload, of opcode op). */
static int ws_send(struct exec_session *x, int op, int ch, const void *data, size_t len, bool last)
{
	struct ws_write *w;
	struct cm_buf payload = CM_BUF_INIT;
	uv_buf_t b;
	int rc;

	if (x->ws_gone)
		return -EPIPE;
	if (!(w = calloc(1, sizeof(*w))))
		return -ENOMEM;
	w->x = x;
	w->last = last;
	if (ch >= 0) {
		if ((rc = cm_buf_putc(&payload, (char)ch)) < 0 || (rc = cm_buf_append(&payload, data, len)) < 0)
			goto fail;
		data = payload.data;
		len = payload.len;
	}
	if ((rc = cm_ws_frame_encode(&w->frame, op, data, len, NULL)) < 0)
		goto fail;
	cm_buf_close(&payload);
	b = uv_buf_init(w->frame.data, (unsigned)w->frame.len);
	if ((rc = uv_write(&w->req, x->ws, &b, 1, ws_written)) < 0) {
		cm_buf_close(&w->frame);
		free(w);
		return rc;
	}
	x->writes++;
	return 0;
fail:
	cm_buf_close(&payload);
	cm_buf_close(&w->frame);
	free(w);
	return rc;
}

/* The command ended and its output is all sent: the status on channel 3, then a normal close. */
static void maybe_finish(struct exec_session *x)
{
	struct cm_buf st = CM_BUF_INIT;
	static const uint8_t normal[] = {0x03, 0xe8}; /* 1000 */

	if (x->finished || x->code < 0 || x->outputs > 0)
		return;
	x->finished = true;
	if (cm_ws_exit_status(&st, x->code, NULL) < 0 || ws_send(x, CM_WS_OP_BINARY, CM_WS_CH_ERROR, st.data, st.len, false) < 0 ||
	    ws_send(x, CM_WS_OP_CLOSE, -1, normal, sizeof(normal), true) < 0)
		teardown(x);
	cm_buf_close(&st);
}

/* Ends the session: the command is killed if it still runs, every handle closed. */
static void teardown(struct exec_session *x)
{
	if (x->ws_gone)
		return;
	x->ws_gone = true;
	if (x->pid > 0 && x->code < 0)
		kill(x->pid, SIGKILL); /* reaped by the timer, which stays until then */
	close_handle(x, (uv_handle_t *)&x->in, &x->in_open);
	close_handle(x, (uv_handle_t *)&x->out, &x->out_open);
	close_handle(x, (uv_handle_t *)&x->err, &x->err_open);
	uv_read_stop(x->ws);
	if (x->code >= 0 || x->pid <= 0)
		close_handle(x, (uv_handle_t *)&x->reap, &x->reap_open);
}

/* ---- from the command ---- */

static void on_output(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct exec_session *x = st->data;
	int ch = st == (uv_stream_t *)&x->err ? CM_WS_CH_STDERR : CM_WS_CH_STDOUT;

	if (n > 0) {
		if (ws_send(x, CM_WS_OP_BINARY, ch, buf->base, (size_t)n, false) < 0)
			teardown(x);
		else if (uv_stream_get_write_queue_size(x->ws) > HIGH_WATER)
			uv_read_stop(st);
	} else if (n < 0) {
		/* EOF, or EIO from a pty master once the command's side is closed */
		uv_read_stop(st);
		if (ch == CM_WS_CH_STDERR)
			close_handle(x, (uv_handle_t *)&x->err, &x->err_open);
		else
			close_handle(x, (uv_handle_t *)&x->out, &x->out_open);
		x->outputs--;
		maybe_finish(x);
	}
	free(buf->base);
}

static void resume_outputs(struct exec_session *x)
{
	if (x->ws_gone || uv_stream_get_write_queue_size(x->ws) > HIGH_WATER / 2)
		return;
	if (x->out_open && x->outputs > 0)
		uv_read_start((uv_stream_t *)&x->out, cm_uv_alloc, on_output);
	if (x->err_open)
		uv_read_start((uv_stream_t *)&x->err, cm_uv_alloc, on_output);
}

static void on_reap(uv_timer_t *t)
{
	struct exec_session *x = t->data;
	int st;

	if (waitpid(x->pid, &st, WNOHANG) != x->pid)
		return;
	x->code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	uv_timer_stop(t);
	if (x->ws_gone) {
		close_handle(x, (uv_handle_t *)&x->reap, &x->reap_open);
		return;
	}
	maybe_finish(x);
}

/* ---- from the client ---- */

struct stdin_write {
	uv_write_t req;
	struct exec_session *x;
	char data[];
};

static void on_ws_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);

/* A command that reads slower than the client sends holds the client back (the queue is bounded). */
static void stdin_written(uv_write_t *req, int status)
{
	struct stdin_write *w = (struct stdin_write *)req;
	struct exec_session *x = w->x;
	uv_stream_t *dst = req->handle;

	(void)status;
	free(w);
	if (status != UV_ECANCELED && !x->ws_gone && uv_stream_get_write_queue_size(dst) < HIGH_WATER / 2)
		uv_read_start(x->ws, cm_uv_alloc, on_ws_read);
}

static void stdin_shut(uv_shutdown_t *req, int status)
{
	struct exec_session *x = req->data;

	(void)status; /* a pipe cannot be shut down, only closed: what was queued is written by now */
	free(req);
	close_handle(x, (uv_handle_t *)&x->in, &x->in_open);
}

/* v5's end of stdin: the command reads EOF once what was sent before is written. */
static void end_stdin(struct exec_session *x)
{
	uv_shutdown_t *req;

	if (!x->in_open || x->stdin_ending)
		return;
	x->stdin_ending = true;
	if (!(req = malloc(sizeof(*req))) || uv_shutdown(req, (uv_stream_t *)&x->in, stdin_shut) < 0) {
		free(req);
		close_handle(x, (uv_handle_t *)&x->in, &x->in_open);
		return;
	}
	req->data = x;
}

static void to_command(struct exec_session *x, const uint8_t *data, size_t len)
{
	uv_stream_t *dst = x->tty ? (uv_stream_t *)&x->out : (uv_stream_t *)&x->in;
	struct stdin_write *w;
	uv_buf_t b;

	if (!(x->tty ? x->out_open : x->in_open) || x->stdin_ending || !len || !(w = malloc(sizeof(*w) + len)))
		return;
	w->x = x;
	memcpy(w->data, data, len);
	b = uv_buf_init(w->data, (unsigned)len);
	if (uv_write(&w->req, dst, &b, 1, stdin_written) < 0)
		free(w);
	else if (uv_stream_get_write_queue_size(dst) > HIGH_WATER)
		uv_read_stop(x->ws);
}

static void resize(struct exec_session *x, const uint8_t *data, size_t len)
{
	cJSON *j = cJSON_ParseWithLength((const char *)data, len);
	struct winsize ws = {0};
	uv_os_fd_t fd;

	ws.ws_col = (unsigned short)cm_json_int64_or(j, "Width", 0);
	ws.ws_row = (unsigned short)cm_json_int64_or(j, "Height", 0);
	cJSON_Delete(j);
	if (x->tty && x->out_open && ws.ws_col && ws.ws_row && uv_fileno((uv_handle_t *)&x->out, &fd) == 0)
		ioctl(fd, TIOCSWINSZ, &ws);
}

static int on_message(int op, const uint8_t *data, size_t len, void *arg)
{
	struct exec_session *x = arg;

	switch (op) {
	case CM_WS_OP_PING:
		return ws_send(x, CM_WS_OP_PONG, -1, data, len, false) < 0 ? -EPIPE : 0;
	case CM_WS_OP_CLOSE:
		return -ECONNRESET;
	case CM_WS_OP_BINARY:
		if (len == 0)
			return 0;
		if (data[0] == CM_WS_CH_STDIN)
			to_command(x, data + 1, len - 1);
		else if (data[0] == CM_WS_CH_RESIZE)
			resize(x, data + 1, len - 1);
		else if (data[0] == CM_WS_CH_CLOSE && x->v5 && len > 1 && data[1] == CM_WS_CH_STDIN && !x->tty)
			end_stdin(x);
		return 0;
	default:
		return 0;
	}
}

static void on_ws_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct exec_session *x = st->data;

	if (n > 0 && cm_ws_reader_feed(&x->rd, buf->base, (size_t)n, on_message, x) != 0)
		n = UV_ECONNRESET;
	free(buf->base);
	if (n < 0) {
		/* the client left (or broke the protocol): the command does not outlive its session */
		cm_debug(1, "exec: client gone: %s", uv_strerror((int)n));
		teardown(x);
	}
}

/* ---- the command ---- */

/* In the child, between fork and exec: join the container (as exec probes do), wire stdio, run argv. */
static void child(struct exec_session *x, int fd_in, int fd_out, int fd_err)
{
	static const char *const nss[] = {"ipc", "uts", "net", "pid", "mnt"};
	char path[64];

	setsid();
	if (x->tty)
		ioctl(fd_out, TIOCSCTTY, 0);
	for (size_t i = 0; i < sizeof(nss) / sizeof(nss[0]) && x->ctr_pid > 0; i++) {
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", x->ctr_pid, nss[i]);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			(void)!setns(fd, 0);
			close(fd);
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/cwd", x->main_pid);
	if (chdir(path) < 0)
		(void)!chdir("/");
	if (x->has_cred && geteuid() == 0 && (x->uid || x->gid)) {
		(void)!setgroups(0, NULL);
		(void)!setgid(x->gid);
		(void)!setuid(x->uid);
	}
	dup2(fd_in, 0);
	dup2(fd_out, 1);
	dup2(fd_err, 2);
	if (x->envp)
		environ = x->envp;
	execvp(x->argv[0], x->argv);
	dprintf(2, "exec: \"%s\": %s\n", x->argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* The container's command under its shim (the shim's first child), or pid itself when it has none. */
static int main_pid(int pid)
{
	char path[64];
	int child = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	if ((f = fopen(path, "re"))) {
		if (fscanf(f, "%d", &child) != 1)
			child = 0;
		fclose(f);
	}
	return child > 0 ? child : pid;
}

/* The real uid and gid of pid. 0 or -1. */
static int read_cred(int pid, uid_t *uid, gid_t *gid)
{
	char path[64], line[256];
	unsigned u = 0, g = 0;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %u", &u) == 1)
			found |= 1;
		else if (sscanf(line, "Gid: %u", &g) == 1)
			found |= 2;
	}
	fclose(f);
	*uid = u;
	*gid = g;
	return found == 3 ? 0 : -1;
}

/* The container's environment, NULL when it cannot be read (the command then gets the kubelet's). */
static char **read_environ(int pid)
{
	char path[64], *data = NULL, **v = NULL;
	size_t n = 0, cap = 0, count = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	if (pid <= 0 || !(f = fopen(path, "re")))
		return NULL;
	for (;;) {
		if (n + 4096 > cap) {
			char *d = realloc(data, cap = cap * 2 + 4096);
			if (!d)
				break;
			data = d;
		}
		size_t r = fread(data + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	for (size_t i = 0; i < n; i++)
		count += data[i] == '\0';
	if (data && count && (v = calloc(count + 1, sizeof(*v)))) {
		size_t k = 0;
		for (size_t i = 0; i < n && k < count; i += strlen(data + i) + 1)
			if (!(v[k++] = strdup(data + i))) {
				strv_free(v);
				v = NULL;
				break;
			}
	}
	free(data);
	return v;
}

static int open_pipe(struct exec_session *x, uv_pipe_t *p, int fd, bool *open)
{
	int rc;

	if ((rc = uv_pipe_init(x->s->loop, p, 0)) < 0)
		return rc;
	p->data = x;
	x->handles++;
	*open = true;
	return uv_pipe_open(p, fd);
}

/* Forks the command with pipes (or a pty) and wires its ends into the loop. 0 or -errno. */
static int start_command(struct exec_session *x)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, master = -1, slave = -1, rc = 0;
	pid_t p;

	if (x->tty) {
		if (openpty(&master, &slave, NULL, NULL, NULL) < 0)
			return -errno;
		fcntl(master, F_SETFD, FD_CLOEXEC);
	} else if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out;
	}
	if ((p = fork()) < 0) {
		rc = -errno;
		goto out;
	}
	if (p == 0) {
		if (x->tty)
			child(x, slave, slave, slave);
		child(x, in[0], out[1], err[1]);
	}
	x->pid = p;
	if (x->tty) {
		close(slave);
		slave = -1;
		rc = open_pipe(x, &x->out, master, &x->out_open);
		master = -1;
		x->outputs = 1;
	} else {
		close(in[0]);
		close(out[1]);
		close(err[1]);
		in[0] = out[1] = err[1] = -1;
		if ((rc = open_pipe(x, &x->in, in[1], &x->in_open)) == 0)
			in[1] = -1;
		if (!rc && (rc = open_pipe(x, &x->out, out[0], &x->out_open)) == 0)
			out[0] = -1;
		if (!rc && (rc = open_pipe(x, &x->err, err[0], &x->err_open)) == 0)
			err[0] = -1;
		x->outputs = 2;
		if (!rc && !x->want_in)
			close_handle(x, (uv_handle_t *)&x->in, &x->in_open);
	}
	if (!rc) {
		uv_read_start((uv_stream_t *)&x->out, cm_uv_alloc, on_output);
		if (x->err_open)
			uv_read_start((uv_stream_t *)&x->err, cm_uv_alloc, on_output);
	}
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	if (master >= 0)
		close(master);
	if (slave >= 0)
		close(slave);
	return rc;
}

static void on_upgraded(struct cm_http_upgraded *up, uv_stream_t *stream, const char *head, size_t len, void *ud)
{
	struct exec_session *x = ud;
	struct cm_buf st = CM_BUF_INIT, m = CM_BUF_INIT;
	int rc;

	if (!stream) {
		session_free(x);
		return;
	}
	x->up = up;
	x->ws = stream;
	stream->data = x;
	x->handles = 1; /* the reap timer */
	x->reap_open = true;
	uv_timer_init(x->s->loop, &x->reap);
	x->reap.data = x;
	if ((rc = start_command(x)) < 0) {
		/* the session ends with no command: a failure Status, then the close */
		static const uint8_t normal[] = {0x03, 0xe8};

		cm_warn("exec: %s: cannot start: %s", x->argv[0], strerror(-rc));
		x->finished = true;
		if (cm_buf_printf(&m, "failed to start the command: %s", strerror(-rc)) < 0 ||
		    cm_ws_exit_status(&st, -1, m.data) < 0 ||
		    ws_send(x, CM_WS_OP_BINARY, CM_WS_CH_ERROR, st.data, st.len, false) < 0 ||
		    ws_send(x, CM_WS_OP_CLOSE, -1, normal, sizeof(normal), true) < 0)
			teardown(x);
		cm_buf_close(&m);
		cm_buf_close(&st);
		return;
	}
	uv_timer_start(&x->reap, on_reap, REAP_MS, REAP_MS);
	uv_read_start(stream, cm_uv_alloc, on_ws_read);
	if (len && cm_ws_reader_feed(&x->rd, head, len, on_message, x) != 0)
		teardown(x);
}

static int add_arg(const char *value, void *arg)
{
	char **argv = arg;
	size_t n = 0;

	while (argv[n])
		n++;
	if (n + 1 >= MAX_ARGS)
		return -E2BIG;
	return (argv[n] = strdup(value)) ? 0 : -ENOMEM;
}

static bool query_true(struct cm_http_req *req, const char *name)
{
	const char *v = cm_http_req_query(req, name);

	return v && (!strcmp(v, "true") || !strcmp(v, "1"));
}

/* A refusal before the upgrade, as plain HTTP: the apiserver turns it into a Status. */
static void refuse(struct cm_http_req *req, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void refuse(struct cm_http_req *req, int status, const char *fmt, ...)
{
	struct cm_buf m = CM_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = cm_buf_vprintf(&m, fmt, ap);
	va_end(ap);
	if (rc < 0)
		cm_http_respond_error(req, 500, "out of memory");
	else
		cm_http_respond_error(req, status, m.data);
	cm_buf_close(&m);
}

static void handle_exec(struct cm_http_req *req, void *ud)
{
	struct kl_server *s = ud;
	const char *ns = cm_http_req_param(req, "ns"), *pod = cm_http_req_param(req, "pod");
	const char *ctr = cm_http_req_param(req, "container");
	const char *upgrade = cm_http_req_header(req, "Upgrade"), *key = cm_http_req_header(req, "Sec-WebSocket-Key");
	const char *proto = cm_ws_pick_protocol(cm_http_req_header(req, "Sec-WebSocket-Protocol"));
	struct kl_pod_worker *w = kl_worker_find(s, ns, pod);
	struct kl_ctr *c = NULL;
	struct exec_session *x;
	struct cm_buf accept = CM_BUF_INIT;

	for (size_t i = 0; w && !w->removed && i < w->n_ctrs; i++)
		if (!strcmp(w->ctrs[i].name, ctr))
			c = &w->ctrs[i];
	if (!upgrade || strcasecmp(upgrade, "websocket") || !key) {
		cm_http_respond_error(req, 400, "Upgrade request required");
		return;
	}
	if (!proto) {
		cm_http_respond_error(req, 400, "unsupported subprotocol: v4.channel.k8s.io or v5.channel.k8s.io required");
		return;
	}
	if (!w) {
		refuse(req, 404, "pod does not exist (%s/%s)", ns, pod);
		return;
	}
	if (!c) {
		refuse(req, 404, "container not found (\"%s\")", ctr);
		return;
	}
	if (s->rt->ops->exec) {
		refuse(req, 400, "exec into container \"%s\": not supported by the %s runtime", ctr, s->rt->ops->name);
		return;
	}
	if (c->st.state != KL_CSTATE_RUNNING || c->st.pid <= 0) {
		refuse(req, 400, "container %s is not running in pod %s", ctr, pod);
		return;
	}
	if (!(x = calloc(1, sizeof(*x))) || !(x->argv = calloc(MAX_ARGS, sizeof(char *)))) {
		free(x);
		cm_http_respond_error(req, 500, "out of memory");
		return;
	}
	x->s = s;
	x->code = -1;
	x->v5 = !strcmp(proto, CM_WS_PROTO_V5);
	x->tty = query_true(req, "tty");
	x->want_in = query_true(req, "stdin");
	x->ctr_pid = c->st.pid;
	cm_ws_reader_init(&x->rd, 0);
	if (cm_http_req_query_each(req, "command", add_arg, x->argv) < 0 || !x->argv[0]) {
		session_free(x);
		cm_http_respond_error(req, 400, "you must specify at least one command for the container");
		return;
	}
	x->main_pid = main_pid(c->st.pid);
	x->envp = read_environ(x->main_pid);
	x->has_cred = read_cred(x->main_pid, &x->uid, &x->gid) == 0;
	if (cm_ws_accept_key(key, &accept) < 0 || cm_http_req_add_header(req, "Upgrade", "websocket") < 0 ||
	    cm_http_req_add_header(req, "Sec-WebSocket-Accept", accept.data) < 0 ||
	    cm_http_req_add_header(req, "Sec-WebSocket-Protocol", proto) < 0 ||
	    cm_http_respond_upgrade(req, on_upgraded, x) < 0) {
		session_free(x);
		cm_http_respond_error(req, 500, "out of memory");
	}
	cm_buf_close(&accept);
}

int kl_exec_routes(struct kl_server *s)
{
	int rc;

	if ((rc = cm_http_server_route(s->api, "GET", "/exec/{ns}/{pod}/{container}", handle_exec, s)) < 0 ||
	    (rc = cm_http_server_route(s->api, "POST", "/exec/{ns}/{pod}/{container}", handle_exec, s)) < 0)
		return rc;
	return 0;
}
