/* apiclient.c: Kubernetes API calls over the common HTTP client, failing over between apiservers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/apiclient.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"

struct cm_api {
	uv_loop_t *loop;
	struct cm_http_client *http;
	char **servers;
	size_t n, cur;
	int freeing;
};

struct call {
	struct cm_api *a;
	char *method, *path, *ctype, *body;
	size_t len;
	long timeout_ms;
	size_t tries;
	const char *server; /* the base URL the call went to last */
	cm_api_cb cb;
	void *ud;
};

int cm_api_new(uv_loop_t *loop, const char *const *servers, size_t n, struct cm_api **out)
{
	return cm_api_new_opts(loop, servers, n, NULL, out);
}

int cm_api_new_opts(uv_loop_t *loop, const char *const *servers, size_t n, const struct cm_http_client_opts *opts,
		    struct cm_api **out)
{
	struct cm_api *a;
	int rc = -ENOMEM;

	if (!n || !servers)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->servers = calloc(n, sizeof(char *));
	if (!a->servers)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(servers[i]);
		while (l && servers[i][l - 1] == '/')
			l--;
		a->servers[i] = strndup(servers[i], l);
		if (!a->servers[i])
			goto fail;
		a->n++;
	}
	a->loop = loop;
	if ((rc = cm_http_client_new(loop, opts, &a->http)) < 0)
		goto fail;
	*out = a;
	return 0;
fail:
	for (size_t i = 0; a->servers && i < a->n; i++)
		free(a->servers[i]);
	free(a->servers);
	free(a);
	return rc;
}

static void release(void *ud)
{
	struct cm_api *a = ud;

	for (size_t i = 0; i < a->n; i++)
		free(a->servers[i]);
	free(a->servers);
	free(a);
}

void cm_api_free(struct cm_api *a)
{
	if (!a)
		return;
	a->freeing = 1;
	cm_http_client_close(a->http, release, a);
}

const char *cm_api_server(const struct cm_api *a)
{
	return a->servers[a->cur];
}

void cm_api_failover(struct cm_api *a, const char *failed)
{
	if (failed && failed != a->servers[a->cur])
		return; /* another call already moved on from it */
	if (a->n > 1) {
		a->cur = (a->cur + 1) % a->n;
		cm_info("apiclient: switching to apiserver %s", a->servers[a->cur]);
	}
}

uv_loop_t *cm_api_loop(struct cm_api *a)
{
	return a->loop;
}

struct cm_http_client *cm_api_http(struct cm_api *a)
{
	return a->http;
}

static void call_free(struct call *c)
{
	free(c->method);
	free(c->path);
	free(c->ctype);
	free(c->body);
	free(c);
}

static int send_call(struct call *c);

static void on_done(const struct cm_http_response *resp, void *ud)
{
	struct call *c = ud;
	struct cm_api *a = c->a;
	struct cm_api_resp r = {resp->err, resp->status, resp->body, resp->len, NULL};
	cJSON *obj = NULL;

	if (resp->err && resp->err != -ECANCELED && !a->freeing) {
		/* Only transport failures fail over; the same server may answer the retry too. */
		if (++c->tries < a->n) {
			cm_api_failover(a, c->server);
			if (send_call(c) == 0)
				return;
		}
	}
	if (resp->len && cm_json_parse(resp->body, resp->len, &obj, NULL) == 0)
		r.obj = obj;
	c->cb(&r, c->ud);
	cJSON_Delete(obj);
	call_free(c);
}

static int send_call(struct call *c)
{
	struct cm_api *a = c->a;
	struct cm_buf url = CM_BUF_INIT;
	struct cm_http_request req = {0};
	static const char *const hdrs[] = {"Accept: application/json", NULL};
	int rc;

	c->server = a->servers[a->cur];
	if (cm_buf_printf(&url, "%s%s", c->server, c->path))
		return -ENOMEM;
	req.method = c->method;
	req.url = url.data;
	req.content_type = c->ctype;
	req.body = c->body;
	req.body_len = c->len;
	req.timeout_ms = c->timeout_ms;
	req.headers = hdrs;
	rc = cm_http_client_send(a->http, &req, on_done, c, NULL);
	cm_buf_close(&url);
	return rc;
}

int cm_api_call(struct cm_api *a, const char *method, const char *path, const char *content_type,
		const char *body, size_t len, long timeout_ms, cm_api_cb cb, void *ud)
{
	struct call *c;
	int rc;

	if (a->freeing)
		return -CM_ESTOPPED;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->a = a;
	c->method = strdup(method ? method : "GET");
	c->path = strdup(path);
	c->ctype = content_type ? strdup(content_type) : NULL;
	c->body = body ? malloc(len + 1) : NULL;
	if (!c->method || !c->path || (content_type && !c->ctype) || (body && !c->body)) {
		call_free(c);
		return -ENOMEM;
	}
	if (body) {
		memcpy(c->body, body, len);
		c->body[len] = 0;
	}
	c->len = len;
	c->timeout_ms = timeout_ms ? timeout_ms : 10000;
	c->cb = cb;
	c->ud = ud;
	rc = send_call(c);
	if (rc)
		call_free(c);
	return rc;
}

int cm_api_call_json(struct cm_api *a, const char *method, const char *path, const cJSON *j, cm_api_cb cb,
		     void *ud)
{
	struct cm_buf b = CM_BUF_INIT;
	int rc = cm_json_print(j, &b);

	if (rc == 0)
		rc = cm_api_call(a, method, path, NULL, b.data, b.len, 0, cb, ud);
	cm_buf_close(&b);
	return rc;
}

int cm_api_path(struct cm_buf *out, const char *api_version, const char *resource, const char *ns,
		const char *name)
{
	int rc;

	if (strchr(api_version, '/'))
		rc = cm_buf_printf(out, "/apis/%s", api_version);
	else
		rc = cm_buf_printf(out, "/api/%s", api_version);
	if (!rc && ns && *ns)
		rc = cm_buf_printf(out, "/namespaces/%s", ns);
	if (!rc)
		rc = cm_buf_printf(out, "/%s", resource);
	if (!rc && name && *name)
		rc = cm_buf_printf(out, "/%s", name);
	return rc;
}

int cm_api_query_escape(struct cm_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int rc;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    strchr("-_.~", ch))
			rc = cm_buf_putc(out, (char)ch);
		else
			rc = cm_buf_printf(out, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
		if (rc)
			return rc;
	}
	return 0;
}

const char *cm_api_resp_message(const struct cm_api_resp *r)
{
	const char *m = r->obj ? cm_json_get_str(r->obj, "message") : NULL;

	if (m)
		return m;
	if (r->err)
		return cm_strerror(r->err);
	return r->body ? r->body : "";
}
