/* fake_http.c: a scripted raw-socket HTTP server for client tests (loopback TCP or a unix socket): delays, stalls, slow chunks, early closes. */
#include "tests/lib/fake_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64
#define MAX_REQ (1 << 20)

struct conn {
	struct fake_http *f;
	int fd;
	pthread_t thread;
};

struct fake_http {
	int listen_fd;
	int port;
	pthread_t acceptor;
	atomic_int stop;
	atomic_int accepted;
	atomic_int closed;
	const char *const *script;
	int delay_ms;
	pthread_mutex_t lock; /* guards conns and script */
	struct conn *conns[MAX_CONNS];
	int nconns;
};

/* Waits up to ms for fd to be readable; 1 readable, 0 not yet, -1 stop asked. */
static int wait_readable(struct fake_http *f, int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (ms > 0 && !atomic_load(&f->stop)) {
		int step = ms < 10 ? ms : 10;

		if (poll(&p, 1, step) > 0)
			return 1;
		ms -= step;
	}
	return atomic_load(&f->stop) ? -1 : 0;
}

/* Paces the server (not a test waiting for a condition): returns -1 if stopping. */
static int pause_ms(struct fake_http *f, int ms)
{
	while (ms > 0 && !atomic_load(&f->stop)) {
		struct timespec ts = {0, (ms < 10 ? ms : 10) * 1000000L};

		nanosleep(&ts, NULL);
		ms -= 10;
	}
	return atomic_load(&f->stop) ? -1 : 0;
}

static int send_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_response(int fd, int status, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
			 status, len);

	if (send_all(fd, head, (size_t)n))
		return -1;
	return send_all(fd, body, len);
}

static int send_chunk(int fd, const char *data, size_t len)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "%zx\r\n", len);

	if (send_all(fd, head, (size_t)n) || send_all(fd, data, len))
		return -1;
	return send_all(fd, "\r\n", 2);
}

/* Until the peer closes or the server stops: the answer that never comes. */
static void stall(struct fake_http *f, int fd)
{
	char sink[4096];

	while (wait_readable(f, fd, 1000) >= 0) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, 0) > 0 && recv(fd, sink, sizeof(sink), 0) <= 0)
			return;
	}
}

static int send_script(struct fake_http *f, int fd, int then_stall)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n";
	const char *const *script;
	int delay;

	pthread_mutex_lock(&f->lock);
	script = f->script;
	delay = f->delay_ms;
	pthread_mutex_unlock(&f->lock);
	if (send_all(fd, head, sizeof(head) - 1))
		return -1;
	for (const char *const *p = script; p && *p; p++) {
		if ((p != script && pause_ms(f, delay)) || send_chunk(fd, *p, strlen(*p)))
			return -1;
	}
	if (then_stall) {
		stall(f, fd);
		return -1;
	}
	return send_all(fd, "0\r\n\r\n", 5);
}

/* Answers one parsed request; -1 closes the connection. */
static int answer(struct fake_http *f, int fd, const char *req, size_t len)
{
	char path[256] = "";
	int n;

	if (sscanf(req, "%*s %255s", path) != 1)
		return -1;
	if (!strcmp(path, "/ok"))
		return send_response(fd, 200, "hello", 5);
	if (sscanf(path, "/status/%d", &n) == 1) {
		char body[32];
		int blen = snprintf(body, sizeof(body), "status %d", n);

		return send_response(fd, n, body, (size_t)blen);
	}
	if (!strcmp(path, "/echo"))
		return send_response(fd, 200, req, len);
	if (sscanf(path, "/delay/%d", &n) == 1)
		return pause_ms(f, n) ? -1 : send_response(fd, 200, "late", 4);
	if (!strcmp(path, "/stall")) {
		stall(f, fd);
		return -1;
	}
	if (!strcmp(path, "/close"))
		return -1;
	if (!strcmp(path, "/script"))
		return send_script(f, fd, 0);
	if (!strcmp(path, "/script-stall"))
		return send_script(f, fd, 1);
	return send_response(fd, 404, "not found", 9);
}

static size_t content_length(const char *head)
{
	const char *p = strcasestr(head, "\r\ncontent-length:");

	return p ? (size_t)strtoul(p + 17, NULL, 10) : 0;
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct fake_http *f = c->f;
	char *buf = malloc(MAX_REQ + 1);
	size_t have = 0;

	while (buf) {
		char *end;
		ssize_t n;

		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end) {
			size_t total = (size_t)(end + 4 - buf) + content_length(buf);

			if (total <= have) {
				char saved = buf[total];

				buf[total] = '\0';
				if (answer(f, c->fd, buf, total))
					break;
				buf[total] = saved;
				memmove(buf, buf + total, have - total);
				have -= total;
				continue;
			}
		}
		if (have == MAX_REQ || wait_readable(f, c->fd, 1000000) < 0)
			break;
		n = recv(c->fd, buf + have, MAX_REQ - have, 0);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	free(buf);
	shutdown(c->fd, SHUT_RDWR);
	atomic_fetch_add(&f->closed, 1);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct fake_http *f = arg;

	while (wait_readable(f, f->listen_fd, 1000000) > 0) {
		int fd = accept(f->listen_fd, NULL, NULL);
		int one = 1;
		struct conn *c;

		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		atomic_fetch_add(&f->accepted, 1);
		c = calloc(1, sizeof(*c));
		pthread_mutex_lock(&f->lock);
		if (!c || f->nconns == MAX_CONNS) {
			pthread_mutex_unlock(&f->lock);
			free(c);
			close(fd);
			continue;
		}
		c->f = f;
		c->fd = fd;
		f->conns[f->nconns++] = c;
		if (pthread_create(&c->thread, NULL, conn_main, c) != 0) {
			f->nconns--;
			close(fd);
			free(c);
		}
		pthread_mutex_unlock(&f->lock);
	}
	return NULL;
}

/* Listens on addr (loopback TCP or a unix socket) and starts the acceptor; NULL on failure. */
static struct fake_http *start_on(int family, struct sockaddr *addr, socklen_t alen)
{
	struct fake_http *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	pthread_mutex_init(&f->lock, NULL);
	f->listen_fd = socket(family, SOCK_STREAM, 0);
	if (f->listen_fd < 0 || bind(f->listen_fd, addr, alen) || listen(f->listen_fd, 128) ||
	    getsockname(f->listen_fd, addr, &alen) || pthread_create(&f->acceptor, NULL, accept_main, f)) {
		if (f->listen_fd >= 0)
			close(f->listen_fd);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return NULL;
	}
	if (family == AF_INET)
		f->port = ntohs(((struct sockaddr_in *)addr)->sin_port);
	return f;
}

struct fake_http *fake_http_start(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return start_on(AF_INET, (struct sockaddr *)&addr, sizeof(addr));
}

struct fake_http *fake_http_start_unix(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(addr.sun_path))
		return NULL;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	return start_on(AF_UNIX, (struct sockaddr *)&addr, sizeof(addr));
}

int fake_http_port(const struct fake_http *f)
{
	return f->port;
}

int fake_http_accepted(const struct fake_http *f)
{
	return atomic_load(&((struct fake_http *)f)->accepted);
}

int fake_http_closed(const struct fake_http *f)
{
	return atomic_load(&((struct fake_http *)f)->closed);
}

void fake_http_set_script(struct fake_http *f, const char *const *pieces, int delay_ms)
{
	pthread_mutex_lock(&f->lock);
	f->script = pieces;
	f->delay_ms = delay_ms;
	pthread_mutex_unlock(&f->lock);
}

void fake_http_stop(struct fake_http *f)
{
	if (!f)
		return;
	atomic_store(&f->stop, 1);
	pthread_join(f->acceptor, NULL);
	close(f->listen_fd);
	for (int i = 0; i < f->nconns; i++) {
		pthread_join(f->conns[i]->thread, NULL);
		close(f->conns[i]->fd);
		free(f->conns[i]);
	}
	pthread_mutex_destroy(&f->lock);
	free(f);
}
