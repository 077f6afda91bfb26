/* gateway_maint.c: etcd's maintenance, membership and auth calls: served where etcdlite can, refused clearly where not. */
#include "etcdlite/member_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Said by every call etcdlite does not do: who refuses, and why. */
#define STATIC_MEMBERSHIP "etcdserver: etcdlite has static membership (--initial-cluster): "
#define NO_AUTH "etcdserver: etcdlite has no authentication: "

/* Decodes the body as kind, keeping only its scalars; answers a bad one itself and returns nonzero. */
static int decode(struct el_member *m, struct cm_http_req *req, enum el_jkind kind, struct el_jreq *jr)
{
	int rc = el_gateway_decode(m, req, kind, jr);

	if (!rc)
		el_jreq_close(jr);
	return rc;
}

/* {"header":{...}} alone: what etcd answers a call that has nothing else to say. */
static void respond_header(struct el_member *m, struct cm_http_req *req)
{
	struct cm_buf out = CM_BUF_INIT;
	struct el_header h;
	int rc;

	el_member_header(m, &h);
	if (!(rc = cm_buf_putc(&out, '{')) && !(rc = el_json_header(&h, &out)))
		rc = cm_buf_putc(&out, '}');
	el_gateway_respond(req, rc, &out);
}

/*
 * etcdlite raises no alarms (it has no space quota and no corruption check
 * between members), so the list is always empty, and a deactivation finds
 * nothing to clear: both are etcd's answer for that case, "{}" (its alarm
 * answers carry no header). Raising one by hand is refused.
 */
static void on_alarm(struct cm_http_req *req, void *ud)
{
	struct el_jreq jr;

	if (decode(ud, req, EL_J_ALARM, &jr))
		return;
	if (jr.alarm_action == EL_ALARM_ACTIVATE)
		el_member_respond_error(req, -ENOTSUP, "etcdserver: etcdlite raises no alarms: "
						       "alarm activate is not supported");
	else
		cm_http_respond(req, 200, "application/json", "{}", 2);
}

/* Hash and HashKV answer from the local store, as etcd does (no read index). */
static void respond_hash(struct el_member *m, struct cm_http_req *req, int64_t rev, bool kv)
{
	struct cm_buf out = CM_BUF_INIT;
	struct el_header h;
	uint32_t hash = 0;
	int64_t compact_rev = 0;
	int rc = el_store_hash_kv(m->store, rev, &hash, &compact_rev);

	el_member_header(m, &h);
	if (!rc && !(rc = cm_buf_putc(&out, '{')) && !(rc = el_json_header(&h, &out)) && hash)
		rc = cm_buf_printf(&out, ",\"hash\":%" PRIu32, hash); /* uint32: a JSON number */
	if (!rc && kv && compact_rev)
		rc = cm_buf_printf(&out, ",\"compact_revision\":\"%" PRId64 "\"", compact_rev);
	if (!rc)
		rc = cm_buf_putc(&out, '}');
	el_gateway_respond(req, rc, &out);
}

/* etcd hashes its whole database file; etcdlite's store is the key space, so both hash it. */
static void on_hash(struct cm_http_req *req, void *ud)
{
	struct el_jreq jr;

	if (decode(ud, req, EL_J_OBJECT, &jr) == 0)
		respond_hash(ud, req, 0, false);
}

static void on_hashkv(struct cm_http_req *req, void *ud)
{
	struct el_jreq jr;

	if (decode(ud, req, EL_J_HASHKV, &jr) == 0)
		respond_hash(ud, req, jr.revision, true);
}

/*
 * Defragmenting gives a database file's free pages back; etcdlite keeps its
 * store in memory (compaction frees it at once) and its WAL is cut at every
 * snapshot, so there is nothing to do: etcd's answer for a defragment, "{}".
 */
static void on_defragment(struct cm_http_req *req, void *ud)
{
	struct el_jreq jr;

	if (decode(ud, req, EL_J_OBJECT, &jr) == 0)
		cm_http_respond(req, 200, "application/json", "{}", 2);
}

static void on_member_add(struct cm_http_req *req, void *ud)
{
	struct el_jreq jr;

	if (decode(ud, req, EL_J_MEMBER, &jr))
		return;
	if (jr.n_peer_urls == 0)
		el_member_respond_error(req, -EL_EBADMEMBERURLS, NULL);
	else
		el_member_respond_error(req, -ENOTSUP, STATIC_MEMBERSHIP "member add is not supported");
}

/*
 * remove, update, promote: an id that is not a member gets etcd's "member not
 * found"; every member is a voter, so promote gets etcd's answer for a voter;
 * the rest is refused.
 */
static void member_change(struct cm_http_req *req, struct el_member *m, const char *what)
{
	struct el_jreq jr;

	if (decode(m, req, EL_J_MEMBER, &jr))
		return;
	if (!el_member_peer(m, jr.member_id))
		el_member_respond_error(req, -EL_EMEMBERNOTFOUND, NULL);
	else if (strcmp(what, "promote") == 0)
		el_member_respond_error(req, -EL_ENOTLEARNER, NULL);
	else if (strcmp(what, "remove") == 0)
		el_member_respond_error(req, -ENOTSUP, STATIC_MEMBERSHIP "member remove is not supported");
	else
		el_member_respond_error(req, -ENOTSUP, STATIC_MEMBERSHIP "member update is not supported");
}

static void on_member_remove(struct cm_http_req *req, void *ud)
{
	member_change(req, ud, "remove");
}

static void on_member_update(struct cm_http_req *req, void *ud)
{
	member_change(req, ud, "update");
}

static void on_member_promote(struct cm_http_req *req, void *ud)
{
	member_change(req, ud, "promote");
}

/*
 * Auth: etcdlite has no users and no roles, and auth is never on. So, as etcd
 * answers with auth off and nobody added: disable succeeds, authenticate says
 * auth is not enabled, lists are empty, a named user or role is not found.
 * What would need users and roles (enable, add) is refused.
 */
enum auth_answer { AUTH_HEADER, AUTH_NOT_ENABLED, AUTH_NO_USER, AUTH_NO_ROLE, AUTH_REFUSED };

static void auth_answer(struct cm_http_req *req, struct el_member *m, enum auth_answer a, const char *what)
{
	struct el_jreq jr;
	char msg[128];

	if (decode(m, req, EL_J_OBJECT, &jr))
		return;
	switch (a) {
	case AUTH_HEADER:
		respond_header(m, req);
		break;
	case AUTH_NOT_ENABLED:
		el_member_respond_error(req, -EL_EAUTHNOTENABLED, NULL);
		break;
	case AUTH_NO_USER:
		el_member_respond_error(req, -EL_EUSERNOTFOUND, NULL);
		break;
	case AUTH_NO_ROLE:
		el_member_respond_error(req, -EL_EROLENOTFOUND, NULL);
		break;
	default:
		snprintf(msg, sizeof(msg), NO_AUTH "%s is not supported", what);
		el_member_respond_error(req, -ENOTSUP, msg);
	}
}

#define AUTH_HANDLER(fn, answer, what)                           \
	static void fn(struct cm_http_req *req, void *ud)       \
	{                                                        \
		auth_answer(req, ud, answer, what);              \
	}

AUTH_HANDLER(on_auth_enable, AUTH_REFUSED, "auth enable")
AUTH_HANDLER(on_auth_disable, AUTH_HEADER, NULL)
AUTH_HANDLER(on_auth_authenticate, AUTH_NOT_ENABLED, NULL)
AUTH_HANDLER(on_auth_list, AUTH_HEADER, NULL)
AUTH_HANDLER(on_auth_user_add, AUTH_REFUSED, "user add")
AUTH_HANDLER(on_auth_role_add, AUTH_REFUSED, "role add")
AUTH_HANDLER(on_auth_no_user, AUTH_NO_USER, NULL)
AUTH_HANDLER(on_auth_no_role, AUTH_NO_ROLE, NULL)

int el_gateway_maint_routes(struct el_member *m, struct cm_http_server *s)
{
	static const struct {
		const char *path;
		cm_http_handler h;
	} routes[] = {
		{"/v3/maintenance/alarm", on_alarm},
		{"/v3/maintenance/hash", on_hash},
		{"/v3/maintenance/hashkv", on_hashkv},
		{"/v3/maintenance/defragment", on_defragment},
		{"/v3/cluster/member/add", on_member_add},
		{"/v3/cluster/member/remove", on_member_remove},
		{"/v3/cluster/member/update", on_member_update},
		{"/v3/cluster/member/promote", on_member_promote},
		{"/v3/auth/enable", on_auth_enable},
		{"/v3/auth/disable", on_auth_disable},
		{"/v3/auth/authenticate", on_auth_authenticate},
		{"/v3/auth/user/list", on_auth_list},
		{"/v3/auth/role/list", on_auth_list},
		{"/v3/auth/user/add", on_auth_user_add},
		{"/v3/auth/role/add", on_auth_role_add},
		{"/v3/auth/user/get", on_auth_no_user},
		{"/v3/auth/user/delete", on_auth_no_user},
		{"/v3/auth/user/changepw", on_auth_no_user},
		{"/v3/auth/user/grant", on_auth_no_user},
		{"/v3/auth/user/revoke", on_auth_no_user},
		{"/v3/auth/role/get", on_auth_no_role},
		{"/v3/auth/role/delete", on_auth_no_role},
		{"/v3/auth/role/grant", on_auth_no_role},
		{"/v3/auth/role/revoke", on_auth_no_role},
	};
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		int rc = el_gateway_route(m, s, "POST", routes[i].path, routes[i].h);
		if (rc)
			return rc;
	}
	return 0;
}
