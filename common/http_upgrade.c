/* http_upgrade.c: 101 Switching Protocols: the connection after the answer handed over as a libuv stream. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/http_server_impl.h"
#include "common/log.h"

struct cm_http_upgraded {
	struct cm_http_server *s;
	struct MHD_UpgradeResponseHandle *urh;
	uv_pipe_t pipe; /* on a duplicate of MHD's socket, so that libuv's close does not close MHD's */
	cm_http_upgraded_cb cb;
	void *ud;
	struct cm_http_upgraded *prev, *next; /* in s->upgrades while the stream is the owner's */
	int conn_fd; /* the client's socket (under TLS, MHD's side of the forwarding), -1 unknown */
};

/* The stream's handle is closed: MHD may now close the connection (and, over TLS, its socketpair). */
static void on_pipe_closed(uv_handle_t *h)
{
	struct cm_http_upgraded *up = h->data;
	struct cm_http_server *s = up->s;

	if (up->prev)
		up->prev->next = up->next;
	else
		s->upgrades = up->next;
	if (up->next)
		up->next->prev = up->prev;
	MHD_upgrade_action(up->urh, MHD_UPGRADE_ACTION_CLOSE);
	cm_http_server_kick(up->s);
	free(up);
}

/*
 * MHD sent the 101: sock is the connection (plain HTTP) or our end of a
 * socketpair whose other end MHD carries through TLS on its own epoll set.
 */
static void free_closed(uv_handle_t *h)
{
	free(h->data);
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
		       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct cm_http_upgraded *up = cls;
	int fd, inited = 0;

	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct cm_http_req *req = con_cls;

	if (req)
		req->upgrade = NULL; /* switched: up is the callee's from here on, whatever happens to the request */
	up->urh = urh;
	up->conn_fd = ci ? ci->connect_fd : -1;
	fd = fcntl(sock, F_DUPFD_CLOEXEC, 0);
	if (fd >= 0 && uv_pipe_init(up->s->loop, &up->pipe, 0) == 0) {
		inited = 1;
		up->pipe.data = up;
		if (uv_pipe_open(&up->pipe, fd) == 0) {
			up->next = up->s->upgrades;
			if (up->next)
				up->next->prev = up;
			up->s->upgrades = up;
			up->cb(up, (uv_stream_t *)&up->pipe, extra_in, extra_in_size, up->ud);
			return;
		}
	}
	if (fd >= 0)
		close(fd);
	cm_warn("http: upgraded connection: cannot make a stream of it");
	MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
	up->cb(up, NULL, NULL, 0, up->ud);
	if (inited)
		uv_close((uv_handle_t *)&up->pipe, free_closed);
	else
		free(up);
}

int cm_http_respond_upgrade(struct cm_http_req *req, cm_http_upgraded_cb cb, void *ud)
{
	struct cm_http_upgraded *up;
	struct MHD_Response *resp;

	if (req->answered || req->over)
		return -EALREADY;
	if (!(up = calloc(1, sizeof(*up))))
		return cm_http_req_answer(req, 500, NULL, NULL);
	up->s = req->s;
	up->cb = cb;
	up->ud = ud;
	/* MHD frees a response with its queue; up lives on, owned by the callee once cb runs */
	req->upgrade = up;
	resp = MHD_create_response_for_upgrade(on_upgrade, up);
	if (!resp || MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "Upgrade") != MHD_YES) {
		if (resp)
			MHD_destroy_response(resp);
		req->upgrade = NULL;
		free(up);
		return cm_http_req_answer(req, 500, NULL, NULL);
	}
	return cm_http_req_answer(req, 101, NULL, resp);
}

void cm_http_upgrade_request_ended(struct cm_http_upgraded *up)
{
	/* the client left (or the answer failed) before the 101 went out: on_upgrade never ran */
	up->cb(up, NULL, NULL, 0, up->ud);
	free(up);
}

void cm_http_upgraded_close(struct cm_http_upgraded *up)
{
	if (!up || uv_is_closing((uv_handle_t *)&up->pipe))
		return;
	up->pipe.data = up;
	uv_close((uv_handle_t *)&up->pipe, on_pipe_closed);
}

/*
 * A closing server does not wait for long sessions (exec): their owners read
 * EOF and close. Under TLS the client's socket is shut too: libmicrohttpd
 * 0.9.75 lets go of an upgraded TLS connection only once the client has
 * closed it, which a client in the middle of a session does not do.
 */
void cm_http_upgrades_shutdown(struct cm_http_server *s)
{
	for (struct cm_http_upgraded *up = s->upgrades; up; up = up->next) {
		uv_os_fd_t fd;

		if (uv_fileno((uv_handle_t *)&up->pipe, &fd) == 0)
			shutdown(fd, SHUT_RDWR);
		if (up->conn_fd >= 0)
			shutdown(up->conn_fd, SHUT_RDWR);
	}
}
