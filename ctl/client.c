/* client.c: blocking requests to the apiserver for minictl, and kubectl's wording of their failures. */
#include "ctl/client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"

void mc_ctx_init(struct mc_ctx *c, FILE *out, FILE *errout)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
	c->errout = errout;
}

void mc_ctx_close(struct mc_ctx *c)
{
	free(c->kc_path);
	cJSON_Delete(c->kc_files);
	cJSON_Delete(c->kc);
	free(c->server_url);
	free(c->ns);
	for (size_t i = 0; i < sizeof(c->owned) / sizeof(c->owned[0]); i++)
		free(c->owned[i]);
	for (size_t i = 0; i < sizeof(c->tmpfiles) / sizeof(c->tmpfiles[0]); i++) {
		if (c->tmpfiles[i])
			unlink(c->tmpfiles[i]);
		free(c->tmpfiles[i]);
	}
	memset(c, 0, sizeof(*c));
}

int mc_errorf(struct mc_ctx *c, const char *fmt, ...)
{
	va_list ap;

	fputs("error: ", c->errout);
	va_start(ap, fmt);
	vfprintf(c->errout, fmt, ap);
	va_end(ap);
	fputc('\n', c->errout);
	return MC_FAIL;
}

int mc_url_escape(struct cm_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-_.~", *p))
			rc = cm_buf_putc(out, (char)*p);
		else
			rc = cm_buf_printf(out, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
	return rc;
}

/* host:port of the server URL, as kubectl names it in connection errors. */
static const char *host_of(const char *url)
{
	const char *p = strstr(url, "://");
	return p ? p + 3 : url;
}

int mc_request(struct mc_ctx *c, const char *method, const char *path, const char *accept, const char *ctype,
	       const char *body, size_t len, long *status, struct cm_buf *out)
{
	struct cm_buf url = CM_BUF_INIT, acc = CM_BUF_INIT;
	const char *headers[3] = {NULL, "User-Agent: minictl/v1.32.0", NULL};
	struct cm_http_request req = {0};
	int rc;

	if (cm_buf_printf(&url, "%s%s", c->server_url, path) ||
	    cm_buf_printf(&acc, "Accept: %s", accept ? accept : "application/json")) {
		rc = -ENOMEM;
		goto out;
	}
	headers[0] = acc.data;
	req.method = method;
	req.url = url.data;
	req.headers = headers;
	req.body = body;
	req.body_len = len;
	req.content_type = body ? (ctype ? ctype : "application/json") : NULL;
	req.timeout_ms = c->timeout_ms;
	if (c->v >= 6)
		fprintf(c->errout, "I0000 round_trippers] %s %s\n", method ? method : "GET", url.data);
	rc = cm_http_fetch(&c->http, &req, status, out);
out:
	if (rc) {
		const char *host = host_of(c->server_url);
		if (rc == -ECONNREFUSED)
			fprintf(c->errout,
				"The connection to the server %s was refused - did you specify the right host or port?\n",
				host);
		else if (rc == -ETIMEDOUT)
			fprintf(c->errout, "Unable to connect to the server: dial tcp %s: i/o timeout\n", host);
		else
			fprintf(c->errout, "Unable to connect to the server: %s\n", strerror(rc < 0 && rc > -4096 ? -rc : EIO));
		rc = MC_FAIL;
	}
	cm_buf_close(&url);
	cm_buf_close(&acc);
	return rc;
}

static const char *reason_for(long status)
{
	switch (status) {
	case 400:
		return "BadRequest";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "NotFound";
	case 405:
		return "MethodNotAllowed";
	case 409:
		return "Conflict";
	case 410:
		return "Expired";
	case 415:
		return "UnsupportedMediaType";
	case 422:
		return "Invalid";
	case 429:
		return "TooManyRequests";
	case 500:
		return "InternalError";
	case 503:
		return "ServiceUnavailable";
	case 504:
		return "Timeout";
	}
	return "Unknown";
}

int mc_print_api_error(struct mc_ctx *c, long status, const char *body)
{
	cJSON *st = NULL;
	const char *reason = NULL, *msg = NULL;

	if (body && cm_json_parse(body, strlen(body), &st, NULL) == 0 &&
	    strcmp(cm_json_str_or(st, "kind", ""), "Status") == 0) {
		reason = cm_json_get_str(st, "reason");
		msg = cm_json_get_str(st, "message");
	}
	if (!reason || !*reason)
		reason = reason_for(status);
	if (msg)
		fprintf(c->errout, "Error from server (%s): %s\n", reason, msg);
	else
		fprintf(c->errout, "Error from server (%s): the server responded with the status code %ld\n", reason,
			status);
	cJSON_Delete(st);
	return MC_FAIL;
}

int mc_get_json(struct mc_ctx *c, const char *path, bool quiet_404, cJSON **out)
{
	struct cm_buf body = CM_BUF_INIT;
	long status = 0;
	int rc = mc_request(c, "GET", path, NULL, NULL, NULL, 0, &status, &body);

	if (rc)
		goto done;
	if (status == 404 && quiet_404) {
		rc = -ENOENT;
		goto done;
	}
	if (status < 200 || status > 299) {
		rc = mc_print_api_error(c, status, body.data);
		goto done;
	}
	if (cm_json_parse(body.data ? body.data : "", body.len, out, NULL))
		rc = mc_errorf(c, "the server sent an answer that is not JSON");
done:
	cm_buf_close(&body);
	return rc;
}

int mc_send_json(struct mc_ctx *c, const char *method, const char *path, const char *ctype, const cJSON *body,
		 cJSON **out)
{
	struct cm_buf req = CM_BUF_INIT, resp = CM_BUF_INIT;
	long status = 0;
	int rc;

	if (body && cm_json_print(body, &req)) {
		rc = -ENOMEM;
		goto done;
	}
	rc = mc_request(c, method, path, NULL, ctype, body ? req.data : NULL, req.len, &status, &resp);
	if (rc)
		goto done;
	if (status < 200 || status > 299) {
		rc = mc_print_api_error(c, status, resp.data);
		goto done;
	}
	if (out && cm_json_parse(resp.data ? resp.data : "", resp.len, out, NULL))
		rc = mc_errorf(c, "the server sent an answer that is not JSON");
done:
	cm_buf_close(&req);
	cm_buf_close(&resp);
	return rc;
}
