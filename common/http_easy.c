/* http_easy.c: one libcurl easy handle per request, its error mapping, and the blocking cm_http_fetch. */
#include "common/http_easy.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 3000L

/* "kubelet/v1.32.0 (linux) minik8s": the program first, as Kubernetes' clients put it. */
static void user_agent(char *out, size_t size)
{
	snprintf(out, size, "%s/v1.32.0 (linux) minik8s", program_invocation_short_name);
}

static int add_header(struct curl_slist **list, const char *line)
{
	struct curl_slist *l = curl_slist_append(*list, line);

	if (!l)
		return -ENOMEM;
	*list = l;
	return 0;
}

static int build_headers(struct cm_http_easy *e, const struct cm_http_client_opts *opts,
			 const struct cm_http_request *req)
{
	struct cm_buf line = CM_BUF_INIT;
	int rc = 0;

	if (opts && opts->bearer_token && opts->bearer_token[0]) {
		rc = cm_buf_printf(&line, "Authorization: Bearer %s", opts->bearer_token);
		if (!rc)
			rc = add_header(&e->headers, line.data);
		cm_buf_reset(&line);
	}
	if (!rc && req->body) {
		rc = cm_buf_printf(&line, "Content-Type: %s",
				   req->content_type ? req->content_type : "application/json");
		if (!rc)
			rc = add_header(&e->headers, line.data);
	}
	for (const char *const *h = req->headers; !rc && h && *h; h++)
		rc = add_header(&e->headers, *h);
	cm_buf_close(&line);
	return rc;
}

/*
 * A peer whose host vanished (a killed container, a cut cable) sends no reset:
 * an idle watch to it would wait forever. Keepalive probes every 5 s, and
 * TCP_USER_TIMEOUT failing the connection once data or probes go unanswered
 * for 15 s, turn that into an error within about 20 s, and the caller
 * re-watches elsewhere.
 */
#define KEEPALIVE_S 5L
#define USER_TIMEOUT_MS 15000

static int set_user_timeout(void *ud, curl_socket_t fd, curlsocktype purpose)
{
	unsigned int ms = USER_TIMEOUT_MS;

	(void)ud;
	if (purpose == CURLSOCKTYPE_IPCXN)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms)); /* best effort */
	return CURL_SOCKOPT_OK;
}

/* Options every handle gets; setopt on these can only fail for lack of memory. */
static int set_common(struct cm_http_easy *e, const struct cm_http_client_opts *opts,
		      const struct cm_http_request *req)
{
	CURL *h = e->easy;
	long connect_ms = opts && opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
							       : DEFAULT_CONNECT_TIMEOUT_MS;
	CURLcode rc = CURLE_OK;
	char ua[128];

	/* A daemon's loop must never see SIGALRM or SIGPIPE from libcurl. */
	rc |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(h, CURLOPT_URL, req->url);
	rc |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, e->errbuf);
	rc |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	rc |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 0L);
	rc |= curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	/* Long idle watches pass through NATs that drop silent flows, and a dead peer is noticed. */
	rc |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	rc |= curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, KEEPALIVE_S);
	rc |= curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, KEEPALIVE_S);
	rc |= curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, set_user_timeout);
	/*
	 * libcurl keeps a looked-up address 60 s; a restarted container often
	 * comes back at a new one, and a peer kept dialing the old address that
	 * long (an etcd member cut off from a restarted one, no election). A new
	 * connection is rare (they are reused): look the name up again each time.
	 */
	rc |= curl_easy_setopt(h, CURLOPT_DNS_CACHE_TIMEOUT, 1L);
	/*
	 * The apiserver names a writer's managedFields entry after the program
	 * in its User-Agent, as Kubernetes does; a caller's own User-Agent
	 * header (minictl's) takes precedence over this one.
	 */
	user_agent(ua, sizeof(ua));
	rc |= curl_easy_setopt(h, CURLOPT_USERAGENT, ua); /* libcurl keeps a copy */
	rc |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, e->headers);
	if (opts && opts->unix_socket)
		rc |= curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, opts->unix_socket);
	if (opts && opts->ca_file)
		rc |= curl_easy_setopt(h, CURLOPT_CAINFO, opts->ca_file);
	if (opts && opts->cert_file)
		rc |= curl_easy_setopt(h, CURLOPT_SSLCERT, opts->cert_file);
	if (opts && opts->key_file)
		rc |= curl_easy_setopt(h, CURLOPT_SSLKEY, opts->key_file);
	if (opts && opts->insecure_skip_verify) {
		rc |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		rc |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return rc == CURLE_OK ? 0 : -ENOMEM;
}

static int set_method(struct cm_http_easy *e, const struct cm_http_request *req)
{
	const char *method = req->method ? req->method : "GET";
	CURL *h = e->easy;
	CURLcode rc = CURLE_OK;

	if (req->body) {
		/* libcurl keeps the pointer, so the body lives in e until the call ends. */
		e->body = malloc(req->body_len ? req->body_len : 1);
		if (!e->body)
			return -ENOMEM;
		memcpy(e->body, req->body, req->body_len);
		rc |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		rc |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, e->body);
	}
	if (!strcmp(method, "HEAD"))
		rc |= curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (!strcmp(method, "GET") && !req->body)
		rc |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "POST") != 0 || !req->body)
		rc |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	return rc == CURLE_OK ? 0 : -ENOMEM;
}

int cm_http_easy_init(struct cm_http_easy *e, const struct cm_http_client_opts *opts,
		      const struct cm_http_request *req)
{
	int rc;

	memset(e, 0, sizeof(*e));
	if (!req || !req->url || !req->url[0])
		return -EINVAL;
	e->easy = curl_easy_init();
	if (!e->easy)
		return -ENOMEM;
	rc = build_headers(e, opts, req);
	if (!rc)
		rc = set_common(e, opts, req);
	if (!rc)
		rc = set_method(e, req);
	if (rc)
		cm_http_easy_close(e);
	return rc;
}

void cm_http_easy_close(struct cm_http_easy *e)
{
	if (e->easy)
		curl_easy_cleanup(e->easy);
	curl_slist_free_all(e->headers);
	free(e->body);
	memset(e, 0, sizeof(*e));
}

int cm_http_easy_error(struct cm_http_easy *e, CURLcode code)
{
	long os_errno = 0;

	switch (code) {
	case CURLE_OK:
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		/* The OS error says refused, unreachable or timed out; refused if it says nothing. */
		curl_easy_getinfo(e->easy, CURLINFO_OS_ERRNO, &os_errno);
		return os_errno > 0 ? -(int)os_errno : -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
		return -EPROTO;
	default:
		return -CM_EHTTP;
	}
}

static size_t fetch_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct cm_buf *out = ud;

	return cm_buf_append(out, ptr, size * nmemb) ? 0 : size * nmemb;
}

int cm_http_fetch(const struct cm_http_client_opts *opts, const struct cm_http_request *req,
		  long *status, struct cm_buf *out)
{
	struct cm_http_easy e;
	struct cm_buf body = CM_BUF_INIT;
	CURLcode code;
	long st = 0;
	int rc;

	rc = cm_http_easy_init(&e, opts, req);
	if (rc)
		return rc;
	if (curl_easy_setopt(e.easy, CURLOPT_WRITEFUNCTION, fetch_write) != CURLE_OK ||
	    curl_easy_setopt(e.easy, CURLOPT_WRITEDATA, &body) != CURLE_OK) {
		rc = -ENOMEM;
		goto out;
	}
	code = curl_easy_perform(e.easy);
	/* A write callback refusing bytes means the buffer could not grow. */
	rc = code == CURLE_WRITE_ERROR ? -ENOMEM : cm_http_easy_error(&e, code);
	if (body.len && cm_buf_append(out, body.data, body.len) && !rc)
		rc = -ENOMEM;
	if (!rc) {
		curl_easy_getinfo(e.easy, CURLINFO_RESPONSE_CODE, &st);
		*status = st;
	}
out:
	cm_buf_close(&body);
	cm_http_easy_close(&e);
	return rc;
}
