/* http_request.c: a request's accessors, its one answer (whole or streamed), and request recycling. */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_server_impl.h"

/* Chunks of a streamed response are at most this big: MHD reads them into its connection pool. */
#define STREAM_BLOCK (16 * 1024)

struct cm_http_req *cm_http_req_get(struct cm_http_server *s)
{
	struct cm_http_req *req = s->free_reqs;
	if (req) {
		s->free_reqs = req->next;
		s->nfree--;
	} else {
		req = calloc(1, sizeof(*req));
		if (!req)
			return NULL;
	}
	req->s = s;
	return req;
}

static void buf_recycle(struct cm_buf *b)
{
	if (b->cap > CM_HTTP_KEEP_BUF)
		cm_buf_close(b);
	else
		cm_buf_reset(b);
}

void cm_http_req_put(struct cm_http_server *s, struct cm_http_req *req)
{
	if (s->nfree >= CM_HTTP_FREELIST || s->closing) {
		cm_buf_close(&req->body);
		cm_buf_close(&req->params);
		cm_buf_close(&req->headers);
		cm_buf_close(&req->stream);
		free(req);
		return;
	}
	/* Keep the buffers' storage and clear everything else. */
	struct cm_buf body = req->body, params = req->params, headers = req->headers,
		      stream = req->stream;
	buf_recycle(&body);
	buf_recycle(&params);
	buf_recycle(&headers);
	buf_recycle(&stream);
	memset(req, 0, sizeof(*req));
	req->body = body;
	req->params = params;
	req->headers = headers;
	req->stream = stream;
	req->next = s->free_reqs;
	s->free_reqs = req;
	s->nfree++;
}

enum MHD_Result cm_http_req_queue(struct cm_http_req *req)
{
	if (req->failed || !req->resp)
		return MHD_NO; /* MHD drops the connection; the done callback still runs */
	enum MHD_Result r = MHD_queue_response(req->conn, (unsigned)req->status, req->resp);
	MHD_destroy_response(req->resp);
	req->resp = NULL;
	req->queued = 1;
	return r;
}

/* Lets MHD go on with a connection suspended for want of an answer or of stream data. */
static void wake(struct cm_http_req *req)
{
	if (req->suspended && !req->in_handler) {
		req->suspended = 0;
		MHD_resume_connection(req->conn);
		cm_http_server_kick(req->s);
	}
}

const char *cm_http_req_method(const struct cm_http_req *req)
{
	return req->method;
}

const char *cm_http_req_path(const struct cm_http_req *req)
{
	return req->path;
}

const char *cm_http_req_param(const struct cm_http_req *req, const char *name)
{
	for (size_t i = 0; i < req->nparams; i++)
		if (strcmp(req->param_names[i], name) == 0)
			return req->params.data + req->param_offs[i];
	return NULL;
}

const char *cm_http_req_query(const struct cm_http_req *req, const char *name)
{
	const char *v = NULL;
	size_t vlen = 0;
	if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v,
					  &vlen) != MHD_YES)
		return NULL;
	return v ? v : "";
}

struct query_walk {
	const char *name;
	int (*fn)(const char *value, void *arg);
	void *arg;
	int rc;
};

static enum MHD_Result query_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query_walk *w = cls;

	(void)kind;
	if (strcmp(key, w->name))
		return MHD_YES;
	w->rc = w->fn(value ? value : "", w->arg);
	return w->rc ? MHD_NO : MHD_YES;
}

int cm_http_req_query_each(const struct cm_http_req *req, const char *name,
			   int (*fn)(const char *value, void *arg), void *arg)
{
	struct query_walk w = {name, fn, arg, 0};

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_one, &w);
	return w.rc;
}

const char *cm_http_req_header(const struct cm_http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct header_walk {
	int (*fn)(const char *name, const char *value, void *arg);
	void *arg;
	int rc;
};

static enum MHD_Result header_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct header_walk *w = cls;

	(void)kind;
	w->rc = w->fn(key, value ? value : "", w->arg);
	return w->rc ? MHD_NO : MHD_YES;
}

int cm_http_req_headers(const struct cm_http_req *req, int (*fn)(const char *name, const char *value, void *arg),
			void *arg)
{
	struct header_walk w = {fn, arg, 0};

	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, header_one, &w);
	return w.rc;
}

const struct cm_http_peer_identity *cm_http_req_peer_identity(const struct cm_http_req *req)
{
	return req->peer;
}

int cm_http_req_is_tls(const struct cm_http_req *req)
{
	return req->s->tls_cert != NULL;
}

int cm_http_req_peer_addr(const struct cm_http_req *req, struct sockaddr_storage *out)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return -ENOTCONN;
	memcpy(out, sa, sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	return 0;
}

const char *cm_http_req_body(const struct cm_http_req *req, size_t *len)
{
	*len = req->body.len;
	return req->body.data ? req->body.data : "";
}

void cm_http_req_on_done(struct cm_http_req *req, cm_http_req_done_cb cb, void *ud)
{
	req->done_cb = cb;
	req->done_ud = ud;
}

int cm_http_req_add_header(struct cm_http_req *req, const char *name, const char *value)
{
	if (req->answered)
		return -EALREADY;
	size_t before = req->headers.len;
	if (cm_buf_append(&req->headers, name, strlen(name) + 1) < 0 ||
	    cm_buf_append(&req->headers, value, strlen(value) + 1) < 0) {
		req->headers.len = before;
		return -ENOMEM;
	}
	return 0;
}

/*
 * Records that req could not be answered as asked: a bare 500 if MHD can
 * still make one, else the connection is dropped. Either way the request
 * ends and its done callback runs.
 */
static int answer_failed(struct cm_http_req *req)
{
	static const char body[] = "{\"code\":500,\"message\":\"out of memory\"}";
	req->answered = 1;
	req->status = 500;
	req->resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
						    MHD_RESPMEM_PERSISTENT);
	if (!req->resp)
		req->failed = 1;
	wake(req);
	return -ENOMEM;
}

int cm_http_req_answer(struct cm_http_req *req, int status, const char *content_type,
		       struct MHD_Response *resp)
{
	if (!resp)
		return answer_failed(req);
	int ok = !content_type ||
		 MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) == MHD_YES;
	for (size_t off = 0; ok && off < req->headers.len;) {
		const char *name = req->headers.data + off;
		const char *value = name + strlen(name) + 1;
		ok = MHD_add_response_header(resp, name, value) == MHD_YES;
		off = (size_t)(value + strlen(value) + 1 - req->headers.data);
	}
	/* While closing, keep-alive would let a client hold the server open. */
	if (ok && req->s->closing)
		ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES;
	if (!ok) {
		MHD_destroy_response(resp);
		return answer_failed(req);
	}
	req->answered = 1;
	req->status = status;
	req->resp = resp;
	wake(req);
	return 0;
}

int cm_http_respond(struct cm_http_req *req, int status, const char *content_type,
		    const void *body, size_t len)
{
	if (req->answered || req->over)
		return -EALREADY;
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	return cm_http_req_answer(req, status, content_type, resp);
}

int cm_http_respond_buf(struct cm_http_req *req, int status, const char *content_type,
			struct cm_buf *body)
{
	if (req->answered || req->over)
		return -EALREADY;
	size_t len = body->len;
	char *data = cm_buf_take(body);
	if (!data)
		return answer_failed(req);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		free(data);
	return cm_http_req_answer(req, status, content_type, resp);
}

/* Hands MHD a string it frees; the string is dropped if the response cannot be made. */
static int respond_owned_text(struct cm_http_req *req, int status, const char *content_type,
			      char *text)
{
	if (!text)
		return answer_failed(req);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		free(text);
	return cm_http_req_answer(req, status, content_type, resp);
}

int cm_http_respond_json(struct cm_http_req *req, int status, const cJSON *j)
{
	if (req->answered || req->over)
		return -EALREADY;
	return respond_owned_text(req, status, "application/json", cJSON_PrintUnformatted(j));
}

int cm_http_respond_error(struct cm_http_req *req, int status, const char *message)
{
	if (req->answered || req->over)
		return -EALREADY;
	cJSON *j = cJSON_CreateObject();
	char *text = NULL;
	if (j && cJSON_AddNumberToObject(j, "code", status) &&
	    cJSON_AddStringToObject(j, "message", message))
		text = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return respond_owned_text(req, status, "application/json", text);
}

/*
 * MHD asks for the next chunk. With nothing queued the connection is
 * suspended (returning 0 alone would make MHD ask again at once, a busy
 * loop); stream_write and stream_end resume it.
 */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct cm_http_req *req = cls;
	size_t avail = req->stream.len - req->stream_off;
	if (avail > 0) {
		size_t n = avail < max ? avail : max;
		memcpy(buf, req->stream.data + req->stream_off, n);
		req->stream_off += n;
		if (req->stream_off == req->stream.len) {
			cm_buf_reset(&req->stream);
			req->stream_off = 0;
		} else if (req->stream_off > req->stream.len / 2) {
			cm_buf_consume(&req->stream, req->stream_off);
			req->stream_off = 0;
		}
		return (ssize_t)n;
	}
	if (req->stream_ended)
		return MHD_CONTENT_READER_END_OF_STREAM;
	req->suspended = 1;
	MHD_suspend_connection(req->conn);
	return 0;
}

int cm_http_stream_begin(struct cm_http_req *req, int status, const char *content_type)
{
	if (req->answered || req->over)
		return -EALREADY;
	struct MHD_Response *resp = MHD_create_response_from_callback(
		MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, req, NULL);
	int rc = cm_http_req_answer(req, status, content_type, resp);
	if (rc == 0)
		req->streaming = 1;
	return rc;
}

int cm_http_stream_write(struct cm_http_req *req, const void *data, size_t len)
{
	if (!req->streaming || req->stream_ended || req->over)
		return -EPIPE;
	if (cm_buf_append(&req->stream, data, len) < 0)
		return -ENOMEM;
	wake(req);
	return 0;
}

size_t cm_http_stream_pending(const struct cm_http_req *req)
{
	return req->stream.len - req->stream_off;
}

void cm_http_stream_end(struct cm_http_req *req)
{
	if (!req->streaming || req->stream_ended || req->over)
		return;
	req->stream_ended = 1;
	wake(req);
}
