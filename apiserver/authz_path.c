/* authz_path.c: the listener-wide gate: source addresses for every request, authentication and RBAC of non-resource paths. */
#include "apiserver/authz.h"

#include <ctype.h>
#include <string.h>

#include "apiserver/path.h"
#include "apiserver/rest.h"
#include "apiserver/status.h"
#include "common/log.h"

static int reply(struct cm_http_req *req, cJSON *st)
{
	cm_http_respond_json(req, st ? api_status_code(st) : 500, st);
	cJSON_Delete(st);
	return 1;
}

int api_auth_http_gate(struct cm_http_req *req, void *ud)
{
	struct api_server *srv = ud;
	struct api_auth *a = srv->auth;
	const char *method = cm_http_req_method(req), *path = cm_http_req_path(req), *reason;
	struct api_authz_attrs at = {0};
	struct api_user u;
	cJSON *st;
	char verb[16];
	size_t i;

	if (!a)
		return 0;
	if (!api_auth_source_allowed(a, req))
		return reply(req, api_status_new(403, "Forbidden", "forbidden: client address not allowed"));
	/* resource requests are judged in rest.c once the path says which resource */
	if (api_path_is_resource(path))
		return 0;
	if (api_auth_identify(a, req, cm_http_req_is_tls(req), &u, &st) < 0)
		return reply(req, st);
	/* as Kubernetes: a non-resource request's verb is its method in lower case */
	for (i = 0; method[i] && i < sizeof(verb) - 1; i++)
		verb[i] = (char)tolower((unsigned char)method[i]);
	verb[i] = '\0';
	at.user = &u;
	at.resource_request = false;
	at.verb = verb;
	at.path = path;
	if (api_auth_decide(a, &at, &reason))
		return 0;
	{
		struct cm_buf msg = CM_BUF_INIT;

		if (api_authz_forbidden_message(&at, reason, &msg) < 0) {
			cm_buf_close(&msg);
			return reply(req, api_status_internal("out of memory"));
		}
		cm_debug(1, "%s", msg.data);
		st = api_status_new(403, "Forbidden", msg.data);
		cm_buf_close(&msg);
		return reply(req, st);
	}
}
