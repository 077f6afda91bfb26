/* http_tunnel.h: a client connection that leaves HTTP (101 Switching Protocols): one request, then raw bytes both ways. */
#ifndef CM_HTTP_TUNNEL_H
#define CM_HTTP_TUNNEL_H

#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/http_client.h"

/*
 * libcurl connects (and does the TLS handshake, with the client's options)
 * on the loop's thread pool, so the loop never blocks; the request and
 * everything after it then move through curl_easy_send/recv on the loop,
 * the socket watched by a uv_poll. For WebSocket (kubectl exec through the
 * apiserver to a kubelet, minictl exec).
 */
struct cm_http_tunnel;

struct cm_http_tunnel_resp {
	int err;          /* 0, or a transport error as in struct cm_http_response */
	int status;       /* 101 when the connection switched */
	const char *head; /* the response's status line and headers, NUL-terminated */
};

/*
 * Called once when the response head has arrived (or the connection
 * failed: err set, and t is closed by itself right after). Body bytes that
 * came with the head are the first on_data gets after cm_http_tunnel_read_start.
 */
typedef void (*cm_http_tunnel_open_cb)(struct cm_http_tunnel *t, const struct cm_http_tunnel_resp *r, void *ud);
/* Bytes from the peer (borrowed), or len < 0: the end (UV_EOF) or a read error; no call follows. */
typedef void (*cm_http_tunnel_data_cb)(struct cm_http_tunnel *t, const char *data, ssize_t len, void *ud);

/*
 * Connects to url with c's options (TLS files, bearer token) and sends
 * "METHOD path HTTP/1.1" with Host, the token and headers (NULL-terminated
 * "Name: value" strings, copied). Returns 0 and *out (cb then runs exactly
 * once, later), -EINVAL (a bad url) or -ENOMEM (cb never runs).
 */
int cm_http_tunnel_open(struct cm_http_client *c, const char *method, const char *url, const char *const *headers,
			cm_http_tunnel_open_cb cb, void *ud, struct cm_http_tunnel **out);
/* Starts delivering the peer's bytes to fn; after the open callback only. */
void cm_http_tunnel_read_start(struct cm_http_tunnel *t, cm_http_tunnel_data_cb fn, void *ud);
/* Stops delivering (the peer is then held back by TCP); read_start resumes. */
void cm_http_tunnel_read_stop(struct cm_http_tunnel *t);
/* Queues data (copied) for the peer. 0, -ENOMEM, or -EPIPE once the tunnel failed or is closing. */
int cm_http_tunnel_write(struct cm_http_tunnel *t, const void *data, size_t len);
/* Bytes queued and not yet taken by the socket. */
size_t cm_http_tunnel_pending(const struct cm_http_tunnel *t);
/* Closes the connection (what is queued is dropped) and frees t later; no callback follows. NULL does nothing. */
void cm_http_tunnel_close(struct cm_http_tunnel *t);

/* Appends the value of header name (case-insensitive) in a response head to out. 0, -ENOENT, -ENOMEM. */
int cm_http_head_value(const char *head, const char *name, struct cm_buf *out);

#endif
